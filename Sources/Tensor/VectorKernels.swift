// The engine's choice between its AVX-512 kernels (Sources/CBLAS/lora_kernels.c:
// attention on short sequences, GELU) and the portable Swift loops. The Swift
// package is compiled for baseline x86-64, so those loops run on SSE; the C
// kernels are compiled for AVX-512 and called only when the CPU has it. Both
// give the same numbers, bit for bit (VectorKernelTests).
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
    /// through the kernel: where its products reproduce OpenBLAS's (0.3.21,
    /// SkylakeX) bit for bit. OpenBLAS sums q k^T over a key width above 16 in
    /// another order, and p v over 32 or more keys when the value width is not
    /// 16; there the portable path runs, so no model's numbers depend on the CPU.
    @inline(__always)
    static func attentionKernel(tk: Int, dh: Int, dv: Int) -> Bool {
        vectorKernels && dh <= 16 && dv <= 16 && (tk < 32 || (dh == 16 && dv == 16))
            && tk * 16 <= Int(LORA_ATTENTION_PACK_MAX)
    }
}
