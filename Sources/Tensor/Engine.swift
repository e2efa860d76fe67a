// Engine-wide settings: thread count (BLAS and parallel loops) and BLAS status.
import CBLAS
import Dispatch
import Foundation

/// Global engine settings.
public enum Engine {
    private static var _threads: Int = {
        let n = max(1, ProcessInfo.processInfo.activeProcessorCount)
        lora_blas_set_threads(Int32(n))
        return n
    }()

    /// Number of threads for BLAS and for the engine's parallel loops (default:
    /// the number of cores). Parallel loops call BLAS single-threaded, so the two
    /// never oversubscribe the cores.
    public static var threads: Int {
        get { _threads }
        set {
            let n = max(1, newValue)
            _threads = n
            lora_blas_set_threads(Int32(n))
        }
    }

    /// What OpenBLAS reports as its kernel core ("SkylakeX", "Haswell", ...; "fallback" if not loaded).
    public static var blasCoreName: String { String(cString: lora_blas_corename()) }

    /// Human-readable BLAS status: library, core, or why loading failed.
    public static var blasStatus: String { String(cString: lora_blas_status()) }

    /// The OPENBLAS_CORETYPE in force when BLAS loaded.
    public static var blasCoreType: String { String(cString: lora_blas_coretype()) }

    /// Runs `body(chunk)` for chunk in 0..<chunks, in parallel over `threads`
    /// when `work` (roughly: elementary operations) is large enough to pay for it.
    /// When the body calls BLAS (`usesBLAS`), BLAS is switched to one thread for the loop.
    @inline(__always)
    static func parallelFor(_ n: Int, work: Int, minWork: Int = 1 << 16, usesBLAS: Bool = false,
                            _ body: (Range<Int>) -> Void) {
        let t = threads
        if t <= 1 || n <= 1 || work < minWork {
            body(0..<n)
            return
        }
        let chunks = min(n, t)
        if usesBLAS { lora_blas_set_threads(1) }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = n * c / chunks, hi = n * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
        if usesBLAS { lora_blas_set_threads(Int32(t)) }
    }

    /// How many chunks a loop of `n` items with `work` elementary operations should use.
    @inline(__always)
    static func chunkCount(_ n: Int, work: Int, minWork: Int = 1 << 16) -> Int {
        let t = threads
        if t <= 1 || n <= 1 || work < minWork { return 1 }
        return min(n, t)
    }

    /// Runs `body(chunk, range)` for `chunks` contiguous chunks of 0..<n (in parallel when chunks > 1).
    @inline(__always)
    static func parallelChunks(_ n: Int, chunks: Int, usesBLAS: Bool = false, _ body: (Int, Range<Int>) -> Void) {
        if chunks <= 1 { body(0, 0..<n); return }
        if usesBLAS { lora_blas_set_threads(1) }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = n * c / chunks, hi = n * (c + 1) / chunks
            if lo < hi { body(c, lo..<hi) }
        }
        if usesBLAS { lora_blas_set_threads(Int32(threads)) }
    }
}
