import XCTest
@testable import Tensor

/// The own AVX-512 gemm (Sources/CBLAS/lora_gemm.c, chosen in GemmKernel.swift):
/// against a Double reference at odd sizes, every transpose, alpha and beta,
/// padded leading dimensions; the same bits however C is cut into blocks and
/// on 1 or 2 threads; close to OpenBLAS.
final class GemmKernelTests: XCTestCase {
    override func setUp() {
        super.setUp()
        Engine.ownGemm = true
    }

    /// alpha op(A) op(B) + beta C0 in Double, and the sum of the magnitudes of its terms (for the error bound).
    private func reference(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                           _ a: [Float], _ lda: Int, _ b: [Float], _ ldb: Int, _ beta: Float, _ c0: [Float], _ ldc: Int)
        -> (value: [Double], magnitude: [Double]) {
        var value = [Double](repeating: 0, count: m * n), magnitude = value
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0, s1 = 0.0
                for p in 0..<k {
                    let av = Double(ta ? a[p * lda + i] : a[i * lda + p])
                    let bv = Double(tb ? b[j * ldb + p] : b[p * ldb + j])
                    s += av * bv
                    s1 += abs(av * bv)
                }
                let cv = beta == 0 ? 0 : Double(beta) * Double(c0[i * ldc + j])
                value[i * n + j] = Double(alpha) * s + cv
                magnitude[i * n + j] = abs(Double(alpha)) * s1 + abs(cv)
            }
        }
        return (value, magnitude)
    }

    private func values(_ count: Int, seed: UInt64) -> [Float] {
        randomTensor([count], seed: seed, requiresGrad: false).data
    }

    private func ownAvailable() throws {
        try XCTSkipUnless(Engine.ownGemm, "the CPU has no AVX-512F: the own gemm never runs")
    }

    func testAgainstDoubleReferenceAtOddSizes() throws {
        try ownAvailable()
        let sizes = [(1, 1, 1), (15, 17, 63), (17, 15, 65), (63, 65, 17), (65, 63, 1), (1, 33, 15),
                     (33, 1, 64), (9, 47, 3201), (64, 192, 64), (40, 48, 513)]
        var cases = 0
        for (m, n, k) in sizes {
            for ta in [false, true] {
                for tb in [false, true] {
                    for (alpha, beta) in [(Float(1), Float(0)), (1, 1), (-0.5, 0.75), (2, 0)] {
                        // Leading dimensions wider than the operands, with sentinels in the padding.
                        let lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2
                        let a = values((ta ? k : m) * lda, seed: UInt64(m * 31 + k))
                        let b = values((tb ? n : k) * ldb, seed: UInt64(n * 37 + k))
                        var c = values(m * ldc, seed: UInt64(cases + 5))
                        if beta == 0 { for i in 0..<m { for j in 0..<n { c[i * ldc + j] = .nan } } }   // beta 0 must not read C
                        let c0 = c
                        let ref = reference(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c0, ldc)
                        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                            gemm1(true, ta, tb, m, n, k, alpha, ap.baseAddress!, lda, bp.baseAddress!, ldb, beta, cp.baseAddress!, ldc)
                        } } }
                        let name = "\(m)x\(n)x\(k) ta \(ta) tb \(tb) alpha \(alpha) beta \(beta)"
                        var bad = 0
                        for i in 0..<m {
                            for j in 0..<n {
                                let got = Double(c[i * ldc + j]), want = ref.value[i * n + j]
                                // Float rounding of k products and sums, bounded by k u sum|terms|.
                                let bound = Double(k + 2) * 6e-8 * ref.magnitude[i * n + j] + 1e-30
                                if !(abs(got - want) <= bound) { bad += 1 }
                            }
                            for j in n..<ldc where c[i * ldc + j].bitPattern != c0[i * ldc + j].bitPattern { bad += 1 }
                        }
                        XCTAssertEqual(bad, 0, name)
                        cases += 1
                    }
                }
            }
        }
    }

    /// Any cut of C into blocks of rows or columns (as the engine's threads cut
    /// it) gives the same bits as the whole product.
    func testBlocksOfCGiveTheSameBits() throws {
        try ownAvailable()
        for (m, n, k) in [(67, 45, 3200), (130, 70, 64), (19, 100, 300)] {
            for ta in [false, true] {
                for tb in [false, true] {
                    let lda = ta ? m : k, ldb = tb ? k : n
                    let a = values(m * k, seed: 11), b = values(n * k, seed: 12), c0 = values(m * n, seed: 13)
                    func run(rows: [Int], cols: [Int]) -> [Float] {
                        var c = c0
                        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                            for (r0, r1) in zip(rows, rows.dropFirst()) {
                                for (j0, j1) in zip(cols, cols.dropFirst()) {
                                    let ao = ta ? r0 : r0 * lda, bo = tb ? j0 * ldb : j0
                                    gemm1(true, ta, tb, r1 - r0, j1 - j0, k, 0.5, ap.baseAddress! + ao, lda,
                                          bp.baseAddress! + bo, ldb, 0.25, cp.baseAddress! + r0 * n + j0, n)
                                }
                            }
                        } } }
                        return c
                    }
                    let whole = run(rows: [0, m], cols: [0, n])
                    for (rows, cols) in [([0, 13, m], [0, n]), ([0, m], [0, 7, 40, n]), ([0, 1, 9, m], [0, 16, 17, n])] {
                        let cut = run(rows: rows, cols: cols)
                        XCTAssertEqual(zip(whole, cut).filter { $0.0.bitPattern != $0.1.bitPattern }.count, 0,
                                       "\(m)x\(n)x\(k) ta \(ta) tb \(tb) rows \(rows) cols \(cols)")
                    }
                }
            }
        }
    }

    /// Products, linear layers and their gradients on 1 and 2 threads: the same bits
    /// (shapes large enough to be split over the threads, where the own gemm is chosen).
    func testOneAndTwoThreadsGiveTheSameBits() throws {
        try ownAvailable()
        XCTAssertTrue(Engine.usesOwnGemm(true, false, 64, 192, 3200))
        XCTAssertTrue(Engine.usesOwnGemm(false, true, 3200, 192, 64))
        let saved = Engine.threads
        defer { Engine.threads = saved }
        func run(_ threads: Int) throws -> [[Float]] {
            Engine.threads = threads
            let x = randomTensor([2, 1601, 64], seed: 1), w = randomTensor([192, 64], seed: 2), bias = randomTensor([192], seed: 3)
            let m = randomTensor([64, 96], seed: 4)
            let y = try Tensor.linear(x, weight: w, bias: bias)
            let z = try Tensor.matmul(y, randomTensor([192, 96], seed: 5, requiresGrad: false))
            let u = try Tensor.matmul(z, m, transposeB: true)
            try (u * randomTensor(u.shape, seed: 6, requiresGrad: false)).sum().backward()
            return [y.data, z.data, u.data, x.grad!.data, w.grad!.data, bias.grad!.data, m.grad!.data]
        }
        let one = try run(1), two = try run(2)
        for (i, (p, q)) in zip(one, two).enumerated() {
            XCTAssertEqual(p.count, q.count)
            XCTAssertEqual(zip(p, q).filter { $0.0.bitPattern != $0.1.bitPattern }.count, 0, "part \(i)")
        }
    }

    /// The own gemm and OpenBLAS agree within the rounding of a K-term sum.
    func testCloseToOpenBLAS() throws {
        try ownAvailable()
        for (ta, tb, m, n, k) in [(true, false, 64, 192, 3200), (false, true, 3200, 64, 64), (false, false, 200, 8, 64),
                                  (false, true, 200, 64, 8), (true, false, 8, 64, 200), (false, false, 65, 63, 17)] {
            let lda = ta ? m : k, ldb = tb ? k : n
            let a = values(m * k, seed: 21), b = values(n * k, seed: 22)
            var own = [Float](repeating: 0, count: m * n), blas = own
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
                own.withUnsafeMutableBufferPointer { cp in
                    gemm1(true, ta, tb, m, n, k, 1, ap.baseAddress!, lda, bp.baseAddress!, ldb, 0, cp.baseAddress!, n)
                }
                blas.withUnsafeMutableBufferPointer { cp in
                    gemm1(false, ta, tb, m, n, k, 1, ap.baseAddress!, lda, bp.baseAddress!, ldb, 0, cp.baseAddress!, n)
                }
            } }
            // Unit normal terms: each sum's rounding error is about sqrt(k) ulp of sqrt(k).
            assertClose(own, blas, atol: 1e-6 * Float(k), rtol: 1e-5, "\(m)x\(n)x\(k) ta \(ta) tb \(tb)")
            XCTAssertNotEqual(own, [Float](repeating: 0, count: m * n))
        }
    }

    /// The fused bias of `linear` (lora_gemm_bias) gives the bits of rows set to the
    /// bias plus the product with beta 1, and is close to the Double reference.
    func testBiasEpilogueEqualsBiasRowsPlusProduct() throws {
        try ownAvailable()
        for (m, n, k) in [(1, 1, 1), (17, 33, 65), (70, 192, 64), (9, 15, 300)] {
            let x = values(m * k, seed: 31), w = values(n * k, seed: 32), bias = values(n, seed: 33)
            var fused = [Float](repeating: .nan, count: m * n)
            var rows = (0..<(m * n)).map { bias[$0 % n] }
            x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in bias.withUnsafeBufferPointer { bp in
                fused.withUnsafeMutableBufferPointer { cp in
                    XCTAssertTrue(gemmBias1(m, n, k, xp.baseAddress!, k, wp.baseAddress!, k, bp.baseAddress!, cp.baseAddress!, n))
                }
                rows.withUnsafeMutableBufferPointer { cp in
                    gemm1(true, false, true, m, n, k, 1, xp.baseAddress!, k, wp.baseAddress!, k, 1, cp.baseAddress!, n)
                }
            } } }
            XCTAssertEqual(zip(fused, rows).filter { $0.0.bitPattern != $0.1.bitPattern }.count, 0, "\(m)x\(n)x\(k)")
            let ref = reference(false, true, m, n, k, 1, x, k, w, k, 1, (0..<(m * n)).map { bias[$0 % n] }, n)
            for i in 0..<(m * n) where !(abs(Double(fused[i]) - ref.value[i]) <= Double(k + 2) * 6e-8 * ref.magnitude[i]) {
                XCTFail("\(m)x\(n)x\(k) element \(i): \(fused[i]) vs \(ref.value[i])")
                break
            }
        }
    }

    func testSwitchOffMeansOpenBLAS() {
        Engine.ownGemm = false
        defer { Engine.ownGemm = true }
        XCTAssertFalse(Engine.usesOwnGemm(true, false, 64, 192, 3200))
        XCTAssertFalse(Engine.usesOwnGemm(false, true, 3200, 192, 64))
    }
}
