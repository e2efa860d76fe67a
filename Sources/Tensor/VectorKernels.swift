// The engine's choice between its AVX-512 kernels (Sources/CBLAS/lora_kernels.c:
// attention on short sequences, GELU) and the portable Swift loops. The Swift
// package is compiled for baseline x86-64, so those loops run on SSE; the C
// kernels are compiled for AVX-512 and called only when the CPU has it. Both
// give the same numbers, bit for bit (the *KernelTests), except attention at
// head widths OpenBLAS sums in another order (attentionKernelMatchesBLAS).
import CBLAS
import Synchronization

extension Engine {
    private static let available = lora_kernels_available() != 0
    private static let _vectorKernels = Atomic<Bool>(available)

    /// Use the AVX-512 kernels (default when the CPU has AVX-512F). Setting it
    /// on where the CPU lacks AVX-512 changes nothing; off runs the portable loops.
    public static var vectorKernels: Bool {
        get { _vectorKernels.load(ordering: .relaxed) }
        set { _vectorKernels.store(newValue && available, ordering: .relaxed) }
    }

    /// Whether attention slices of `tk` keys and head widths `dh`, `dv` go
    /// through the kernel: head widths up to 64 and up to
    /// LORA_ATTENTION_PACK_MAX / max(dh, dv) keys (rounded up to 16).
    @inline(__always)
    static func attentionKernel(tk: Int, dh: Int, dv: Int) -> Bool {
        vectorKernels && dh <= 64 && dv <= 64 && (tk + 15) / 16 * 16 * Swift.max(dh, dv) <= Int(LORA_ATTENTION_PACK_MAX)
    }

    /// Whether the kernel's products reproduce OpenBLAS's (0.3.21, SkylakeX)
    /// bit for bit at these sizes, so that kernel and portable path give the
    /// same numbers: OpenBLAS sums q k^T over a key width above 16 in another
    /// order, and p v over 32 or more keys when the value width is not 16.
    /// Elsewhere (MiniLM's head width 32) the two differ by rounding only
    /// (AttentionKernelTests bounds the difference).
    static func attentionKernelMatchesBLAS(tk: Int, dh: Int, dv: Int) -> Bool {
        attentionKernel(tk: tk, dh: dh, dv: dv) && dh <= 16 && dv <= 16 && (tk < 32 || (dh == 16 && dv == 16))
    }
}
