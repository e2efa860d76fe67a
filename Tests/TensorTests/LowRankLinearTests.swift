import XCTest
@testable import Tensor

final class LowRankLinearTests: XCTestCase {
    /// Reference: linear, then per update a batched matmul pair added to its column block.
    func unfused(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ us: [LowRankUpdate]) throws -> Tensor {
        let m = us[0].a.shape[0], inF = w.shape[1], outF = w.shape[0]
        let rows = x.count / inF
        var y = try Tensor.linear(x, weight: w, bias: b).reshape([m, rows / m, outF])
        for u in us {
            let o = u.b.shape[1]
            let h = try Tensor.matmul(x.reshape([m, rows / m, inF]), u.a, transposeB: true)
            let d = try Tensor.matmul(h, u.b, transposeB: true) * u.scale            // [m, rows/m, o]
            var parts: [Tensor] = []
            if u.offset > 0 { parts.append(Tensor.zeros([m, rows / m, u.offset])) }
            parts.append(d)
            if outF - u.offset - o > 0 { parts.append(Tensor.zeros([m, rows / m, outF - u.offset - o])) }
            y = try y + Tensor.concat(parts, axis: 2)
        }
        return try y.reshape(x.shape.dropLast() + [outF])
    }

    func testMatchesUnfusedAndFiniteDifferences() throws {
        // 3 members, 2 x 5 rows each, in 7, out 9; updates on columns 0..<3 (rank 2) and 5..<9 (rank 3).
        let x = randomTensor([6, 5, 7], seed: 1), w = randomTensor([9, 7], seed: 2), b = randomTensor([9], seed: 3)
        let a1 = randomTensor([3, 2, 7], seed: 4), b1 = randomTensor([3, 3, 2], seed: 5)
        let a2 = randomTensor([3, 3, 7], seed: 6), b2 = randomTensor([3, 4, 3], seed: 7)
        func ups(_ t: [Tensor]) -> [LowRankUpdate] {
            [LowRankUpdate(a: t[0], b: t[1], scale: 1, offset: 0), LowRankUpdate(a: t[2], b: t[3], scale: 0.5, offset: 5)]
        }
        let fused = try Tensor.linear(x, weight: w, bias: b, lowRank: ups([a1, b1, a2, b2]))
        let ref = try unfused(x, w, b, ups([a1, b1, a2, b2]))
        XCTAssertEqual(fused.shape, [6, 5, 9])
        assertClose(fused.data, ref.data, atol: 1e-5, "forward")
        try (fused * ref.detached()).sum().backward()
        let gFused = [x, w, b, a1, b1, a2, b2].map { $0.grad!.data }
        for t in [x, w, b, a1, b1, a2, b2] { t.zeroGrad() }
        try (ref * ref.detached()).sum().backward()
        for (i, t) in [x, w, b, a1, b1, a2, b2].enumerated() { assertClose(gFused[i], t.grad!.data, atol: 1e-4, "grad \(i)") }
        try checkGradients("linear(lowRank:)", [x, w, b, a1, b1, a2, b2]) {
            try Tensor.linear($0[0], weight: $0[1], bias: $0[2], lowRank: ups(Array($0[3...])))
        }
        // Parallel path (large enough to split over members) equals the single-thread one.
        let xl = randomTensor([16, 400, 32], seed: 8), wl = randomTensor([48, 32], seed: 9)
        let al = randomTensor([16, 4, 32], seed: 10), bl = randomTensor([16, 48, 4], seed: 11)
        let u = [LowRankUpdate(a: al, b: bl, scale: 1, offset: 0)]
        let saved = Engine.threads
        Engine.threads = 1
        let y1 = try Tensor.linear(xl, weight: wl, bias: nil, lowRank: u)
        Engine.threads = 2
        let y2 = try Tensor.linear(xl, weight: wl, bias: nil, lowRank: u)
        Engine.threads = saved
        assertClose(y2.data, y1.data, atol: 1e-5, "threads")
    }

    func testShapeErrorsThrow() throws {
        let x = randomTensor([4, 7], seed: 1), w = randomTensor([9, 7], seed: 2)
        let a = randomTensor([3, 2, 7], seed: 4), b = randomTensor([3, 3, 2], seed: 5)
        // 4 rows do not split into 3 members.
        XCTAssertThrowsError(try Tensor.linear(x, weight: w, bias: nil, lowRank: [LowRankUpdate(a: a, b: b, scale: 1, offset: 0)])) { e in
            XCTAssertTrue("\(e)".contains("linear(lowRank:)"), "\(e)")
        }
        // Columns 8..<11 exceed out = 9.
        let x6 = randomTensor([6, 7], seed: 1)
        XCTAssertThrowsError(try Tensor.linear(x6, weight: w, bias: nil, lowRank: [LowRankUpdate(a: a, b: b, scale: 1, offset: 8)]))
    }
}
