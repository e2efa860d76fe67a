// The choice between the engine's own AVX-512 gemm (Sources/CBLAS/lora_gemm.c)
// and OpenBLAS, per product. The choice is made once for a whole product, on
// its whole shape, before any split over threads (`sgemm`, `linearRows`), or
// on a shape no thread count changes (one member's or one slice's product),
// so every element of C is computed by the same kernel in the same k order
// whatever `Engine.threads` is (each kernel's sum for an element does not
// depend on where the element lies in the block it is computing).
import CBLAS
import Synchronization

extension Engine {
    private static let gemmAvailable = lora_kernels_available() != 0
    private static let _ownGemm = Atomic<Bool>(gemmAvailable)

    /// Use the own AVX-512 gemm for the shapes where it beats OpenBLAS (default
    /// when the CPU has AVX-512F). Off (`lora-bench --blas-gemm` or
    /// `--portable-kernels`): every product goes through OpenBLAS. A switch of
    /// its own, apart from `vectorKernels`: those kernels equal their portable
    /// loops bit for bit, this one sums in another order than OpenBLAS.
    public static var ownGemm: Bool {
        get { _ownGemm.load(ordering: .relaxed) }
        set { _ownGemm.store(newValue && gemmAvailable, ordering: .relaxed) }
    }

    /// Whether a product of this whole shape (op(A) m x k, op(B) k x n) goes
    /// through the own gemm: where it measured faster than OpenBLAS 0.3.21
    /// (SkylakeX kernels) on the bench machine (`ownGemmShape`).
    @inline(__always)
    public static func usesOwnGemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int) -> Bool {
        guard ownGemm else { return false }
        return ownGemmShape(ta, tb, m, n, k)
    }

    /// The shape rule alone. Measured against OpenBLAS in one process, one
    /// thread (`lora-bench gemmshapes`, 2-core AMD EPYC): weight gradients
    /// op(A) = A^T with M, N <= 256 and K >= 512 (the sum over a batch's rows),
    /// 1.1-1.7x; products with K <= 192 over at least 512 rows (layers'
    /// forward and input gradients), 1.05-1.5x. Never for N < 16 (a tile's
    /// row of 16 lanes is then mostly empty: the rank-4 LoRA products dB and dH
    /// ran at 0.65x in the M = 16 LoRA-Ensemble step), nor for the other
    /// rank-r products (K < 16: hB^T; M < 16: dA), slower there in that step.
    /// Elsewhere (square products, K >= 256, a few hundred rows) OpenBLAS is
    /// as fast or faster.
    @inline(__always)
    static func ownGemmShape(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int) -> Bool {
        guard n >= 16 else { return false }
        if ta { return m >= 16 && m <= 256 && n <= 256 && k >= 512 }
        return m >= 512 && k >= 16 && k <= 192
    }
}

/// One thread: the own gemm when `own`, else OpenBLAS (`sgemm1`).
@inline(__always)
func gemm1(_ own: Bool, _ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
           _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
           _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    if own && lora_gemm(ta ? 1 : 0, tb ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                        beta, c, Int32(ldc)) == 0 { return }
    sgemm1(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

/// One thread, the kernel chosen by this shape: for products whose shape no
/// thread count changes (one member's, one slice's).
@inline(__always)
func gemmShaped1(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                 _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                 _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    gemm1(Engine.usesOwnGemm(ta, tb, m, n, k), ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

/// One thread, the own gemm with the bias fused into its store: C (m x n) =
/// x (m x k) w^T + bias, the same bits as bias rows plus `gemm1(true, ...)` with
/// beta 1. False (C untouched) when the kernel could not run: use the unfused path.
@inline(__always)
func gemmBias1(_ m: Int, _ n: Int, _ k: Int, _ x: UnsafePointer<Float>, _ ldx: Int, _ w: UnsafePointer<Float>, _ ldw: Int,
               _ bias: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) -> Bool {
    lora_gemm_bias(0, 1, Int32(m), Int32(n), Int32(k), x, Int32(ldx), w, Int32(ldw), bias, c, Int32(ldc)) == 0
}
