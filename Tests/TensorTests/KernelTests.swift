import Core
import XCTest
@testable import Tensor

final class KernelTests: XCTestCase {
    func testSoftmaxAndLogSoftmax() throws {
        let x = randomTensor([3, 4, 5], seed: 1, scale: 2)
        let s = try x.softmax()
        for r in 0..<12 { XCTAssertEqual(s.data[(r * 5)..<(r * 5 + 5)].reduce(0, +), 1, accuracy: 1e-5) }
        let ls = try x.logSoftmax(axis: 1)
        let ref = try x - x.logsumexp(axis: 1, keepDims: true)
        assertClose(ls.data, ref.data, atol: 1e-5, "logSoftmax axis 1")
        for ax in [-1, 0, 1] {
            try checkGradients("softmax \(ax)", [x]) { try $0[0].softmax(axis: ax) }
            try checkGradients("logSoftmax \(ax)", [x]) { try $0[0].logSoftmax(axis: ax) }
        }
        XCTAssertThrowsError(try x.softmax(axis: 3))
    }

    func testCrossEntropy() throws {
        let logits = randomTensor([5, 7], seed: 2, scale: 2)
        let labels = [0, 6, 3, 3, 1]
        let loss = try Tensor.crossEntropy(logits: logits, labels: labels)
        let lsm = try logits.logSoftmax()
        let picked: [Float] = (0..<5).map { lsm.data[$0 * 7 + labels[$0]] }
        let ref: Float = -picked.reduce(0, +) / 5
        XCTAssertEqual(try loss.item(), ref, accuracy: 1e-5)
        try checkGradients("crossEntropy", [logits]) { try Tensor.crossEntropy(logits: $0[0], labels: labels) }
        XCTAssertThrowsError(try Tensor.crossEntropy(logits: logits, labels: [0, 1])) { e in
            XCTAssertTrue("\(e)".contains("crossEntropy") && "\(e)".contains("[5, 7]"), "\(e)")
        }
        XCTAssertThrowsError(try Tensor.crossEntropy(logits: logits, labels: [0, 1, 2, 3, 7])) { e in
            XCTAssertTrue("\(e)".contains("label 7"), "\(e)")
        }
        XCTAssertThrowsError(try Tensor.crossEntropy(logits: Tensor.zeros([5]), labels: [0]))
    }

    func testLayerNorm() throws {
        let x = randomTensor([2, 3, 6], seed: 3, scale: 2)
        let g = randomTensor([6], seed: 4), b = randomTensor([6], seed: 5)
        let y = try Tensor.layerNorm(x, gamma: Tensor.ones([6]), beta: Tensor.zeros([6]))
        for r in 0..<6 {
            let row = y.data[(r * 6)..<(r * 6 + 6)]
            XCTAssertEqual(row.reduce(0, +) / 6, 0, accuracy: 1e-5)
            XCTAssertEqual(row.map { $0 * $0 }.reduce(0, +) / 6, 1, accuracy: 1e-3)
        }
        try checkGradients("layerNorm", [x, g, b], eps: 1e-3, atol: 3e-3) { try Tensor.layerNorm($0[0], gamma: $0[1], beta: $0[2]) }
        XCTAssertThrowsError(try Tensor.layerNorm(x, gamma: Tensor.ones([5]), beta: Tensor.zeros([6]))) { e in
            XCTAssertTrue("\(e)".contains("layerNorm") && "\(e)".contains("[2, 3, 6]"), "\(e)")
        }
    }

    func testLayerNormParallelPathMatchesFixtureMath() throws {
        // Large enough to take the parallel path in forward and backward.
        let x = randomTensor([600, 64], seed: 6), g = randomTensor([64], seed: 7), b = randomTensor([64], seed: 8)
        let y = try Tensor.layerNorm(x, gamma: g, beta: b)
        try y.sum().backward()
        let dg = g.grad!.data, db = b.grad!.data
        x.zeroGrad(); g.zeroGrad(); b.zeroGrad()
        let saved = Engine.threads
        Engine.threads = 1
        let y1 = try Tensor.layerNorm(x, gamma: g, beta: b)
        try y1.sum().backward()
        Engine.threads = saved
        assertClose(y.data, y1.data, atol: 1e-6, "forward")
        assertClose(dg, g.grad!.data, atol: 1e-3, "dgamma")
        XCTAssertEqual(db[0], 600, accuracy: 1e-3)
    }

    func testDropout() throws {
        var rng = RNG(seed: 1)
        let x = Tensor.ones([1000])
        x.requiresGrad = true
        let y = try x.dropout(p: 0.25, rng: &rng, training: true)
        let kept = y.data.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
        XCTAssertEqual(Double(kept.count) / 1000, 0.75, accuracy: 0.05)
        try y.sum().backward()
        XCTAssertEqual(x.grad!.data, y.data)
        var r2 = RNG(seed: 1)
        XCTAssertEqual(try x.dropout(p: 0.25, rng: &r2, training: true).data, y.data)
        XCTAssertTrue(try x.dropout(p: 0.5, rng: &rng, training: false) === x)
        XCTAssertThrowsError(try x.dropout(p: 1.5, rng: &rng, training: true))
        let z = randomTensor([4, 5], seed: 2)
        var r3 = RNG(seed: 5)
        let mask = try Tensor.ones([4, 5]).dropout(p: 0.3, rng: &r3, training: true)
        try checkGradients("dropout", [z]) { ins in
            var r = RNG(seed: 5)
            let o = try ins[0].dropout(p: 0.3, rng: &r, training: true)
            XCTAssertEqual(o.data, zip(ins[0].data, mask.data).map { $0 * $1 })
            return o
        }
    }

    func testEmbedding() throws {
        let table = randomTensor([6, 3], seed: 1)
        let e = try Tensor.embedding([5, 0, 5], table: table)
        XCTAssertEqual(e.shape, [3, 3])
        XCTAssertEqual(Array(e.data[0..<3]), Array(table.data[15..<18]))
        try checkGradients("embedding", [table]) { try Tensor.embedding([5, 0, 5, 2], table: $0[0]) }
        XCTAssertThrowsError(try Tensor.embedding([6], table: table)) { e in XCTAssertTrue("\(e)".contains("embedding"), "\(e)") }
    }

    func testAttentionGradientsAndWeights() throws {
        let q = randomTensor([2, 2, 3, 4], seed: 1), k = randomTensor([2, 2, 5, 4], seed: 2), v = randomTensor([2, 2, 5, 3], seed: 3)
        let (o, w) = try Tensor.attention(q: q, k: k, v: v, keepWeights: true)
        XCTAssertEqual(o.shape, [2, 2, 3, 3])
        XCTAssertEqual(w!.shape, [2, 2, 3, 5])
        XCTAssertFalse(w!.requiresGrad)
        // Against the unfused composition.
        let s = try Tensor.matmul(q.reshape([4, 3, 4]), k.reshape([4, 5, 4]), transposeB: true) * (1 / Float(4).squareRoot())
        let p = try s.softmax()
        let ref = try Tensor.matmul(p, v.reshape([4, 5, 3]))
        assertClose(o.data, ref.data, atol: 1e-5, "attention output")
        assertClose(w!.data, p.data, atol: 1e-6, "attention weights")
        try checkGradients("attention", [q, k, v]) { try Tensor.attention(q: $0[0], k: $0[1], v: $0[2]).output }
        let x = randomTensor([1, 2, 4, 3], seed: 4)
        try checkGradients("self attention same tensor", [x]) { try Tensor.attention(q: $0[0], k: $0[0], v: $0[0]).output }
        XCTAssertThrowsError(try Tensor.attention(q: q, k: v, v: v)) { e in
            XCTAssertTrue("\(e)".contains("attention") && "\(e)".contains("[2, 2, 5, 3]"), "\(e)")
        }
    }

    func testKeyPaddingMaskEqualsAttentionOverTheRealKeysOnly() throws {
        // Row b attends to its first validKeys[b] keys: the same as attention on
        // keys and values cut to that length; padded keys get weight 0 and no gradient.
        let q = randomTensor([2, 2, 3, 4], seed: 11), k = randomTensor([2, 2, 5, 4], seed: 12), v = randomTensor([2, 2, 5, 3], seed: 13)
        let valid = [5, 2]
        let (o, w) = try Tensor.attention(q: q, k: k, v: v, validKeys: valid, keepWeights: true)
        for b in 0..<2 {
            let n = valid[b]
            let qb = try q.slice(axis: 0, range: b..<(b + 1))
            let kb = try k.slice(axis: 0, range: b..<(b + 1)).slice(axis: 2, range: 0..<n)
            let vb = try v.slice(axis: 0, range: b..<(b + 1)).slice(axis: 2, range: 0..<n)
            let ref = try Tensor.attention(q: qb, k: kb, v: vb, keepWeights: true)
            assertClose(Array(o.data[(b * 18)..<((b + 1) * 18)]), ref.output.data, atol: 1e-6, "row \(b) output")
            for hi in 0..<2 { for i in 0..<3 { for j in 0..<5 {
                let got = w!.data[((b * 2 + hi) * 3 + i) * 5 + j]
                XCTAssertEqual(got, j < n ? ref.weights!.data[((hi * 3) + i) * n + j] : 0, accuracy: 1e-6)
            } } }
        }
        try checkGradients("masked attention", [q, k, v]) { try Tensor.attention(q: $0[0], k: $0[1], v: $0[2], validKeys: valid).output }
        // Packed q, k, v: the same mask.
        let qkv = randomTensor([2, 4, 3 * 6], seed: 14)
        try checkGradients("masked packed attention", [qkv]) { try Tensor.attention(qkv: $0[0], heads: 2, validKeys: [3, 4]).output }
        XCTAssertThrowsError(try Tensor.attention(q: q, k: k, v: v, validKeys: [0, 5])) { e in
            XCTAssertTrue("\(e)".contains("validKeys"), "\(e)")
        }
        XCTAssertThrowsError(try Tensor.attention(q: q, k: k, v: v, validKeys: [5])) { e in
            XCTAssertTrue("\(e)".contains("validKeys"), "\(e)")
        }
    }

    func testPackedAttentionMatchesPermutedForm() throws {
        let (b, t, h, dh) = (2, 5, 3, 4)
        let d = h * dh
        let qkv = randomTensor([b, t, 3 * d], seed: 5)
        func split(_ x: Tensor, _ i: Int) throws -> Tensor {
            try x.slice(axis: 2, range: (i * d)..<((i + 1) * d)).reshape([b, t, h, dh]).permute([0, 2, 1, 3])
        }
        let (ref, wref) = try Tensor.attention(q: split(qkv, 0), k: split(qkv, 1), v: split(qkv, 2), keepWeights: true)
        let merged = try ref.permute([0, 2, 1, 3]).reshape([b, t, d])
        let (o, w) = try Tensor.attention(qkv: qkv, heads: h, keepWeights: true)
        XCTAssertEqual(o.shape, [b, t, d])
        assertClose(o.data, merged.data, atol: 1e-6, "packed output")
        assertClose(w!.data, wref!.data, atol: 1e-7, "packed weights")
        let small = randomTensor([2, 3, 12], seed: 6)
        try checkGradients("packed attention", [small]) { try Tensor.attention(qkv: $0[0], heads: 2).output }
        XCTAssertThrowsError(try Tensor.attention(qkv: small, heads: 5))
    }

    func testMergedHeadsAttentionMatchesPermutedForm() throws {
        let (b, tq, tk, h, dh) = (2, 3, 5, 2, 4)
        let d = h * dh
        let q = randomTensor([b, tq, d], seed: 7), k = randomTensor([b, tk, d], seed: 8), v = randomTensor([b, tk, d], seed: 9)
        func split(_ x: Tensor, _ t: Int) throws -> Tensor { try x.reshape([b, t, h, dh]).permute([0, 2, 1, 3]) }
        var r1: RNG? = RNG(seed: 3), r2: RNG? = RNG(seed: 3)
        let (ref, wref) = try Tensor.attention(q: split(q, tq), k: split(k, tk), v: split(v, tk), dropKey: 0.2, rng: &r1, keepWeights: true)
        let merged = try ref.permute([0, 2, 1, 3]).reshape([b, tq, d])
        let (o, w) = try Tensor.attention(q: q, k: k, v: v, heads: h, dropKey: 0.2, rng: &r2, keepWeights: true)
        XCTAssertEqual(o.shape, [b, tq, d])
        assertClose(o.data, merged.data, atol: 1e-6, "merged output")
        assertClose(w!.data, wref!.data, atol: 1e-7, "merged weights")
        try checkGradients("merged-heads attention", [q, k, v]) { try Tensor.attention(q: $0[0], k: $0[1], v: $0[2], heads: h).output }
        try checkGradients("merged-heads self attention", [q]) { try Tensor.attention(q: $0[0], k: $0[0], v: $0[0], heads: h).output }
        XCTAssertThrowsError(try Tensor.attention(q: q, k: k, v: v, heads: 3)) { e in
            XCTAssertTrue("\(e)".contains("attention") && "\(e)".contains("[2, 3, 8]"), "\(e)")
        }
    }

    func testAttentionParallelPathMatchesSerial() throws {
        let q = randomTensor([8, 4, 50, 16], seed: 1), k = randomTensor([8, 4, 50, 16], seed: 2), v = randomTensor([8, 4, 50, 16], seed: 3)
        let o = try Tensor.attention(q: q, k: k, v: v).output
        try o.sum().backward()
        let dq = q.grad!.data
        q.zeroGrad(); k.zeroGrad(); v.zeroGrad()
        let saved = Engine.threads
        Engine.threads = 1
        let o1 = try Tensor.attention(q: q, k: k, v: v).output
        try o1.sum().backward()
        Engine.threads = saved
        assertClose(o.data, o1.data, atol: 1e-6, "output")
        assertClose(dq, q.grad!.data, atol: 1e-6, "dq")
    }

    func testDropKey() throws {
        let q = randomTensor([1, 2, 6, 4], seed: 1), k = randomTensor([1, 2, 6, 4], seed: 2), v = randomTensor([1, 2, 6, 4], seed: 3)
        var r1: RNG? = RNG(seed: 11), r2: RNG? = RNG(seed: 11)
        let (o1, w1) = try Tensor.attention(q: q, k: k, v: v, dropKey: 0.3, rng: &r1, keepWeights: true)
        let (o2, _) = try Tensor.attention(q: q, k: k, v: v, dropKey: 0.3, rng: &r2, keepWeights: true)
        XCTAssertEqual(o1.data, o2.data, "same seed, same mask")
        let w = w1!.data
        let zeros = w.filter { $0 == 0 }.count
        XCTAssertGreaterThan(zeros, 5)
        XCTAssertLessThan(zeros, 40)
        for r in 0..<12 { XCTAssertEqual(w[(r * 6)..<(r * 6 + 6)].reduce(0, +), 1, accuracy: 1e-5) }
        // Matches the reference with the same mask applied as -inf logits.
        var mrng = RNG(seed: 11)
        let keep = (0..<72).map { _ in mrng.uniform() >= 0.3 }
        let s = try Tensor.matmul(q.reshape([2, 6, 4]), k.reshape([2, 6, 4]), transposeB: true) * 0.5
        let masked = Tensor([2, 6, 6], (0..<72).map { keep[$0] ? s.data[$0] : -1e30 })
        assertClose(w, try masked.softmax().data, atol: 1e-6, "DropKey weights")
        try checkGradients("dropKey attention", [q, k, v]) { ins in
            var r: RNG? = RNG(seed: 11)
            return try Tensor.attention(q: ins[0], k: ins[1], v: ins[2], dropKey: 0.3, rng: &r).output
        }
        var none: RNG? = nil
        XCTAssertThrowsError(try Tensor.attention(q: q, k: k, v: v, dropKey: 0.2, rng: &none))
        XCTAssertThrowsError(try Tensor.attention(q: q, k: k, v: v, dropKey: 1, rng: &r1))
    }
}
