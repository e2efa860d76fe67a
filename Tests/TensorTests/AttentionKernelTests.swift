import XCTest
@testable import Tensor

/// The AVX-512 attention slice kernel (forward and backward) against the
/// portable path: bit for bit at odd sizes where its products reproduce
/// OpenBLAS's, within rounding elsewhere (MiniLM's head width 32), with masks
/// and packed q, k, v, on 1 and 2 threads; bit for bit against a reference in
/// the kernel's own order (ReferenceAttention) at every size; and gradients
/// against finite differences.
final class AttentionKernelTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(Engine.vectorKernels, "this CPU has no AVX-512F: only the portable loops run here")
    }

    override func tearDown() { Engine.vectorKernels = true }

    func testAttentionKernelMatchesPortablePathBitForBit() throws {
        // 4-D q, k, v with odd sizes where the products equal OpenBLAS's
        // (Engine.attentionKernelMatchesBLAS), a value width unlike the key width, tq != tk,
        // 129 keys (beyond the fused row blocks).
        for (b, h, tq, tk, dh, dv) in [(3, 2, 7, 19, 5, 3), (2, 3, 50, 50, 16, 16), (1, 1, 1, 1, 1, 1), (2, 2, 37, 45, 16, 16),
                                       (1, 2, 17, 129, 16, 16)] {
            XCTAssertTrue(Engine.attentionKernelMatchesBLAS(tk: tk, dh: dh, dv: dv))
            let q = randomTensor([b, h, tq, dh], seed: 1), k = randomTensor([b, h, tk, dh], seed: 2)
            let v = randomTensor([b, h, tk, dv], seed: 3)
            try assertSameBits("attention \(b)x\(h) tq \(tq) tk \(tk) dh \(dh) dv \(dv)", [q, k, v]) {
                try Tensor.attention(q: $0[0], k: $0[1], v: $0[2], keepWeights: true)
            }
        }
        // Packed q, k, v (the ViT's path) with a key-padding mask, and merged heads.
        let qkv = randomTensor([3, 11, 3 * 12], seed: 4)
        try assertSameBits("attention(qkv:) with validKeys", [qkv]) {
            try Tensor.attention(qkv: $0[0], heads: 3, validKeys: [11, 4, 1], keepWeights: true)
        }
        let q3 = randomTensor([2, 9, 10], seed: 5), k3 = randomTensor([2, 13, 10], seed: 6), v3 = randomTensor([2, 13, 10], seed: 7)
        try assertSameBits("attention(heads:)", [q3, k3, v3]) {
            try Tensor.attention(q: $0[0], k: $0[1], v: $0[2], heads: 2, keepWeights: true)
        }
        // Only some inputs need a gradient.
        let kFrozen = randomTensor([2, 2, 9, 5], seed: 8, requiresGrad: false)
        let q4 = randomTensor([2, 2, 6, 5], seed: 9), v4 = randomTensor([2, 2, 9, 7], seed: 10)
        try assertSameBits("attention, k frozen", [q4, v4]) { try Tensor.attention(q: $0[0], k: kFrozen, v: $0[1]) }
        // Large enough to run on both threads (many slices).
        let big = randomTensor([16, 50, 3 * 64], seed: 11)
        try assertSameBits("attention(qkv:) ViT-sized", [big]) { try Tensor.attention(qkv: $0[0], heads: 4) }
    }

    func testAttentionKernelGradientsMatchFiniteDifferences() throws {
        let q = randomTensor([2, 2, 5, 3], seed: 12), k = randomTensor([2, 2, 7, 3], seed: 13), v = randomTensor([2, 2, 7, 4], seed: 14)
        try checkGradients("attention (kernel)", [q, k, v]) { try Tensor.attention(q: $0[0], k: $0[1], v: $0[2]).output }
        let qkv = randomTensor([2, 6, 3 * 4], seed: 15)
        try checkGradients("attention(qkv:) (kernel)", [qkv]) { try Tensor.attention(qkv: $0[0], heads: 2, validKeys: [6, 3]).output }
        // Head widths 32 and 33 (not OpenBLAS's order), 17 keys; 129 keys (past the fused row blocks).
        for (tq, tk, dh, dv, seed) in [(3, 17, 32, 32, UInt64(16)), (2, 17, 33, 33, 19), (1, 129, 32, 5, 22)] {
            let q = randomTensor([1, 1, tq, dh], seed: seed, scale: 0.5), k = randomTensor([1, 1, tk, dh], seed: seed + 1, scale: 0.5)
            let v = randomTensor([1, 1, tk, dv], seed: seed + 2)
            try checkGradients("attention (kernel) tq \(tq) tk \(tk) dh \(dh)", [q, k, v]) { try Tensor.attention(q: $0[0], k: $0[1], v: $0[2]).output }
        }
    }

    func testAttentionKernelAgreesWithPortablePathAtOtherWidths() throws {
        // Sequences of 1, 17, 50, 128 and 129 keys at head widths 32 (MiniLM) and 33, and 8 with 50 keys.
        for (b, h, tq, tk, dh, dv) in [(2, 3, 1, 1, 32, 32), (2, 2, 17, 17, 32, 32), (1, 2, 50, 50, 33, 33), (1, 2, 128, 128, 32, 32),
                                       (1, 1, 129, 129, 32, 32), (2, 2, 50, 50, 8, 8), (1, 2, 20, 50, 32, 16)] {
            XCTAssertTrue(Engine.attentionKernel(tk: tk, dh: dh, dv: dv))
            XCTAssertFalse(Engine.attentionKernelMatchesBLAS(tk: tk, dh: dh, dv: dv))
            let q = randomTensor([b, h, tq, dh], seed: 31), k = randomTensor([b, h, tk, dh], seed: 32)
            let v = randomTensor([b, h, tk, dv], seed: 33)
            try assertCloseToPortable("attention \(b)x\(h) tq \(tq) tk \(tk) dh \(dh) dv \(dv)", [q, k, v]) {
                try Tensor.attention(q: $0[0], k: $0[1], v: $0[2], keepWeights: true)
            }
        }
        // MiniLM's packed q, k, v (12 heads of 32) with a key-padding mask.
        let qkv = randomTensor([3, 40, 3 * 96], seed: 34)
        try assertCloseToPortable("attention(qkv:) heads of 32 with validKeys", [qkv]) {
            try Tensor.attention(qkv: $0[0], heads: 3, validKeys: [40, 17, 1], keepWeights: true)
        }
    }

    func testAttentionKernelFollowsItsOwnOrderBitForBit() throws {
        // The kernel against ReferenceAttention (one fused multiply-add chain per product element, the
        // portable softmax and its backward) at every size, on 1 and 2 threads, with and without a mask.
        for (b, h, tq, tk, dh, dv, masked) in [(2, 3, 50, 50, 16, 16, false), (1, 2, 128, 128, 32, 32, true), (2, 1, 17, 129, 33, 33, true),
                                               (3, 1, 1, 1, 32, 32, false), (1, 1, 129, 17, 32, 7, true), (2, 2, 50, 50, 8, 8, true)] {
            let q = randomTensor([b, h, tq, dh], seed: 41), k = randomTensor([b, h, tk, dh], seed: 42)
            let v = randomTensor([b, h, tk, dv], seed: 43)
            let valid = masked ? (0..<b).map { Swift.max(1, tk - 7 * $0 - 3) } : nil
            let reference = try ReferenceAttention.run(q: q, k: k, v: v, validKeys: valid,
                                                       dy: randomTensor([b, h, tq, dv], seed: 77, requiresGrad: false))
            for threads in [1, 2] {
                let fast = try kernelRun(kernels: true, threads: threads, [q, k, v]) {
                    try Tensor.attention(q: $0[0], k: $0[1], v: $0[2], validKeys: valid, keepWeights: true)
                }
                for (i, (a, r)) in zip(fast, reference).enumerated() {
                    XCTAssertEqual(a.count, r.count)
                    let differing = zip(a, r).filter { $0.0.bitPattern != $0.1.bitPattern }.count
                    XCTAssertEqual(differing, 0, "\(b)x\(h) tq \(tq) tk \(tk) dh \(dh) dv \(dv) part \(i) (0 output, 1 weights, then dq, dk, dv), \(threads) thread(s)")
                }
            }
        }
    }

    func testKernelShapes() {
        XCTAssertTrue(Engine.attentionKernelMatchesBLAS(tk: 50, dh: 16, dv: 16))
        XCTAssertTrue(Engine.attentionKernelMatchesBLAS(tk: 31, dh: 5, dv: 3))
        XCTAssertFalse(Engine.attentionKernelMatchesBLAS(tk: 32, dh: 8, dv: 8))
        XCTAssertFalse(Engine.attentionKernelMatchesBLAS(tk: 10, dh: 32, dv: 32))
        XCTAssertTrue(Engine.attentionKernel(tk: 128, dh: 32, dv: 32))
        XCTAssertTrue(Engine.attentionKernel(tk: 256, dh: 64, dv: 64))
        XCTAssertFalse(Engine.attentionKernel(tk: 257, dh: 64, dv: 64))
        XCTAssertFalse(Engine.attentionKernel(tk: 50, dh: 65, dv: 16))
        XCTAssertFalse(Engine.attentionKernel(tk: 2000, dh: 16, dv: 16))
        Engine.vectorKernels = false
        XCTAssertFalse(Engine.attentionKernel(tk: 50, dh: 16, dv: 16))
        XCTAssertFalse(Engine.attentionKernelMatchesBLAS(tk: 50, dh: 16, dv: 16))
    }
}

/// Fails unless output, weights and gradients with the kernels on agree with the portable path's within
/// rounding (relative 2e-5 of each part's largest magnitude), and are the same bits on 1 and 2 threads.
func assertCloseToPortable(_ name: String, _ inputs: [Tensor], file: StaticString = #filePath, line: UInt = #line,
                           _ f: ([Tensor]) throws -> (Tensor, Tensor?)) throws {
    let plain = try kernelRun(kernels: false, threads: 1, inputs, f)
    let fast = try kernelRun(kernels: true, threads: 1, inputs, f)
    let fast2 = try kernelRun(kernels: true, threads: 2, inputs, f)
    for (i, (a, b)) in zip(fast, plain).enumerated() {
        XCTAssertEqual(a.count, b.count, "\(name) part \(i)", file: file, line: line)
        let size = b.reduce(Float(0)) { Swift.max($0, abs($1)) }
        let worst = zip(a, b).reduce(Float(0)) { Swift.max($0, abs($1.0 - $1.1)) }
        XCTAssertLessThanOrEqual(worst, 2e-5 * size, "\(name) part \(i) (0 output, 1 weights, then gradients)", file: file, line: line)
        XCTAssertTrue(zip(a, fast2[i]).allSatisfy { $0.0.bitPattern == $0.1.bitPattern }, "\(name) part \(i): 1 and 2 threads differ",
                      file: file, line: line)
    }
}

/// Attention in the kernel's order, written out plainly: every product element one chain of fused
/// multiply-adds over k in order (then times alpha), the portable softmax (softmaxRow) and its
/// backward (vdot). Returns output, weights, dq, dk, dv for the output gradient dy.
enum ReferenceAttention {
    static func product(_ m: Int, _ n: Int, _ k: Int, _ alpha: Float, _ a: (Int, Int) -> Float, _ b: (Int, Int) -> Float) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var acc: Float = 0
                for p in 0..<k { acc = acc.addingProduct(a(i, p), b(p, j)) }
                c[i * n + j] = acc * alpha
            }
        }
        return c
    }

    static func run(q: Tensor, k: Tensor, v: Tensor, validKeys: [Int]?, dy: Tensor) throws -> [[Float]] {
        let b = q.shape[0], h = q.shape[1], tq = q.shape[2], tk = k.shape[2], dh = q.shape[3], dv = v.shape[3]
        let scale = 1 / Float(dh).squareRoot()
        var out: [Float] = [], probs: [Float] = [], gq: [Float] = [], gk: [Float] = [], gv: [Float] = []
        for s in 0..<(b * h) {
            let qs = Array(q.data[(s * tq * dh)..<((s + 1) * tq * dh)]), ks = Array(k.data[(s * tk * dh)..<((s + 1) * tk * dh)])
            let vs = Array(v.data[(s * tk * dv)..<((s + 1) * tk * dv)]), ds = Array(dy.data[(s * tq * dv)..<((s + 1) * tq * dv)])
            let nk = validKeys?[s / h] ?? tk
            var p = product(tq, tk, dh, scale, { qs[$0 * dh + $1] }, { ks[$1 * dh + $0] })
            p.withUnsafeMutableBufferPointer { pb in
                for i in 0..<tq {
                    let row = pb.baseAddress! + i * tk
                    for j in nk..<tk { row[j] = 0 }
                    softmaxRow(row, row, nk)
                }
            }
            out += product(tq, dv, tk, 1, { p[$0 * tk + $1] }, { vs[$0 * dv + $1] })
            probs += p
            gv += product(tk, dv, tq, 1, { p[$1 * tk + $0] }, { ds[$0 * dv + $1] })
            var dS = product(tq, tk, dv, 1, { ds[$0 * dv + $1] }, { vs[$1 * dv + $0] })
            p.withUnsafeBufferPointer { pb in dS.withUnsafeMutableBufferPointer { db in
                for i in 0..<tq {
                    let pr = pb.baseAddress! + i * tk, dr = db.baseAddress! + i * tk
                    let acc = vdot(pr, dr, tk)
                    for j in 0..<tk { dr[j] = pr[j] * (dr[j] - acc) * scale }
                }
            } }
            gq += product(tq, dh, tk, 1, { dS[$0 * tk + $1] }, { ks[$0 * dh + $1] })
            gk += product(tk, dh, tq, 1, { dS[$1 * tk + $0] }, { qs[$0 * dh + $1] })
        }
        return [out, probs, gq, gk, gv]
    }
}
