import XCTest
@testable import Tensor

final class MatMulTests: XCTestCase {
    /// Against a naive Double loop for sizes 1, 7, 33, 129, 250 and all transpose combinations.
    func testMatmulAgainstNaiveLoop() throws {
        let sizes = [1, 7, 33, 129, 250]
        for (si, s) in sizes.enumerated() {
            let dims = [(s, s, s), (s, sizes[(si + 1) % 5], sizes[(si + 2) % 5])]
            for (m, k, n) in dims {
                for ta in [false, true] {
                    for tb in [false, true] {
                        let a = randomTensor(ta ? [k, m] : [m, k], seed: UInt64(m * 7 + k), requiresGrad: false)
                        let b = randomTensor(tb ? [n, k] : [k, n], seed: UInt64(n * 13 + k), requiresGrad: false)
                        let c = try Tensor.matmul(a, b, transposeA: ta, transposeB: tb)
                        XCTAssertEqual(c.shape, [m, n])
                        let ref = naiveMatmul(a.data, b.data, m: m, n: n, k: k, ta: ta, tb: tb)
                        assertClose(c.data, ref, atol: 1e-4 * Float(k).squareRoot(), rtol: 1e-4, "matmul \(m)x\(k)x\(n) ta \(ta) tb \(tb)")
                    }
                }
            }
        }
    }

    func testBatchedMatmulAgainstNaiveLoop() throws {
        for (bsz, m, k, n) in [(3, 7, 5, 4), (2, 33, 129, 7), (2, 250, 7, 33), (3, 1, 250, 129), (1, 1, 1, 1)] {
            for ta in [false, true] {
                for tb in [false, true] {
                    let a = randomTensor(ta ? [bsz, k, m] : [bsz, m, k], seed: 1, requiresGrad: false)
                    let b3 = randomTensor(tb ? [bsz, n, k] : [bsz, k, n], seed: 2, requiresGrad: false)
                    let b2 = randomTensor(tb ? [n, k] : [k, n], seed: 3, requiresGrad: false)
                    let c3 = try Tensor.matmul(a, b3, transposeA: ta, transposeB: tb)
                    let c2 = try Tensor.matmul(a, b2, transposeA: ta, transposeB: tb)
                    XCTAssertEqual(c3.shape, [bsz, m, n])
                    for i in 0..<bsz {
                        let ai = Array(a.data[(i * m * k)..<((i + 1) * m * k)])
                        let bi = Array(b3.data[(i * n * k)..<((i + 1) * n * k)])
                        let r3 = naiveMatmul(ai, bi, m: m, n: n, k: k, ta: ta, tb: tb)
                        let r2 = naiveMatmul(ai, b2.data, m: m, n: n, k: k, ta: ta, tb: tb)
                        assertClose(Array(c3.data[(i * m * n)..<((i + 1) * m * n)]), r3, atol: 2e-4 * Float(k).squareRoot(), rtol: 1e-4, "batched \(i) \(m)x\(k)x\(n) ta \(ta) tb \(tb)")
                        assertClose(Array(c2.data[(i * m * n)..<((i + 1) * m * n)]), r2, atol: 2e-4 * Float(k).squareRoot(), rtol: 1e-4, "shared \(i) \(m)x\(k)x\(n) ta \(ta) tb \(tb)")
                    }
                }
            }
        }
    }

    func testMatmulGradients() throws {
        for ta in [false, true] {
            for tb in [false, true] {
                let (m, k, n) = (3, 5, 4)
                let a = randomTensor(ta ? [k, m] : [m, k], seed: 1)
                let b = randomTensor(tb ? [n, k] : [k, n], seed: 2)
                try checkGradients("matmul 2d ta \(ta) tb \(tb)", [a, b]) { try Tensor.matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
                let a3 = randomTensor(ta ? [2, k, m] : [2, m, k], seed: 3)
                let b3 = randomTensor(tb ? [2, n, k] : [2, k, n], seed: 4)
                try checkGradients("matmul 3d ta \(ta) tb \(tb)", [a3, b3]) { try Tensor.matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
                try checkGradients("matmul 3dx2d ta \(ta) tb \(tb)", [a3, b]) { try Tensor.matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
            }
        }
        let a4 = randomTensor([2, 2, 3, 5], seed: 5), b4 = randomTensor([2, 2, 4, 5], seed: 6)
        try checkGradients("matmul 4d tb", [a4, b4]) { try Tensor.matmul($0[0], $0[1], transposeB: true) }
        try checkGradients("matmul 4dx2d", [a4, randomTensor([5, 3], seed: 8)]) { try Tensor.matmul($0[0], $0[1]) }
        let c4 = try Tensor.matmul(a4, b4, transposeB: true)
        XCTAssertEqual(c4.shape, [2, 2, 3, 4])
        let ref4 = try Tensor.matmul(a4.reshape([4, 3, 5]), b4.reshape([4, 4, 5]), transposeB: true)
        XCTAssertEqual(c4.data, ref4.data)
        let x = randomTensor([4, 4], seed: 7)
        try checkGradients("x x^T", [x]) { try Tensor.matmul($0[0], $0[0], transposeB: true) }
    }

    func testMatmulShapeErrors() {
        let a = Tensor.zeros([2, 3]), b = Tensor.zeros([4, 5])
        XCTAssertThrowsError(try Tensor.matmul(a, b)) { e in
            let m = "\(e)"
            XCTAssertTrue(m.contains("matmul") && m.contains("[2, 3]") && m.contains("[4, 5]"), m)
        }
        XCTAssertThrowsError(try Tensor.matmul(Tensor.zeros([2, 2, 3]), Tensor.zeros([3, 3, 2])))
        XCTAssertThrowsError(try Tensor.matmul(Tensor.zeros([3]), Tensor.zeros([3, 2])))
        XCTAssertThrowsError(try Tensor.matmul(Tensor.zeros([2, 3]), Tensor.zeros([2, 3, 2])))
        XCTAssertThrowsError(try Tensor.matmul(Tensor.zeros([2, 2, 3, 4]), Tensor.zeros([2, 3, 4, 2]))) { e in
            XCTAssertTrue("\(e)".contains("batch axes"), "\(e)")
        }
    }

    func testLinear() throws {
        let x = randomTensor([2, 3, 5], seed: 1), w = randomTensor([4, 5], seed: 2), b = randomTensor([4], seed: 3)
        let y = try Tensor.linear(x, weight: w, bias: b)
        XCTAssertEqual(y.shape, [2, 3, 4])
        let ref = naiveMatmul(x.data, w.data, m: 6, n: 4, k: 5, ta: false, tb: true)
        assertClose(y.data, (0..<24).map { ref[$0] + b.data[$0 % 4] }, atol: 1e-5, "linear")
        try checkGradients("linear", [x, w, b]) { try Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        try checkGradients("linear no bias", [x, w]) { try Tensor.linear($0[0], weight: $0[1], bias: nil) }
        XCTAssertThrowsError(try Tensor.linear(x, weight: Tensor.zeros([4, 6]), bias: nil)) { e in
            XCTAssertTrue("\(e)".contains("linear") && "\(e)".contains("[2, 3, 5]"), "\(e)")
        }
        XCTAssertThrowsError(try Tensor.linear(x, weight: w, bias: Tensor.zeros([5])))
    }

    func testParallelBatchedMatmulSameAsSingleThread() throws {
        let a = randomTensor([16, 64, 48], seed: 1), b = randomTensor([16, 48, 40], seed: 2)
        let saved = Engine.threads
        Engine.threads = 1
        let c1 = try Tensor.matmul(a, b)
        Engine.threads = max(2, saved)
        let c2 = try Tensor.matmul(a, b)
        Engine.threads = saved
        assertClose(c2.data, c1.data, atol: 1e-5, "threads")
    }
}
