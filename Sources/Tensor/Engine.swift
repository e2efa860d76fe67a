// Engine-wide settings: thread count (BLAS and parallel loops) and BLAS status.
import CBLAS
import Dispatch
import Foundation
import Synchronization

/// Global engine settings.
public enum Engine {
    /// Read by every parallel loop, so an atomic (relaxed: it is a setting, not a handshake).
    private static let _threads = Atomic<Int>(max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// Number of threads for the engine's parallel loops and large matrix
    /// products (default: the number of cores). There is ONE pool of threads:
    /// OpenBLAS always runs single-threaded (its own workers spin-wait after
    /// every call and would fight these loops for the cores), and a large gemm
    /// is split into blocks over these threads instead (see `sgemm`).
    public static var threads: Int {
        get { _threads.load(ordering: .relaxed) }
        set { _threads.store(max(1, newValue), ordering: .relaxed) }
    }

    /// Below this many multiply-adds (m * n * k) a gemm runs on the calling thread
    /// alone: handing half of it to another core costs a wake-up (tens of
    /// microseconds on a busy machine), more than the half saves. Measured on the
    /// bench machine (scripts/bench, lora-bench gemmsplit): splitting pays from
    /// about 2^20 multiply-adds with the spinning worker pool (2^22 with GCD).
    public static var gemmParallelMin: Int {
        get { _gemmParallelMin.load(ordering: .relaxed) }
        set { _gemmParallelMin.store(newValue, ordering: .relaxed) }
    }
    private static let _gemmParallelMin = Atomic<Int>(1 << 20)

    /// > 0 forces the block size of `linear`'s row blocks (for `lora-bench linearblock`); 0 chooses.
    public static var linearBlockRows: Int {
        get { _linearBlockRows.load(ordering: .relaxed) }
        set { _linearBlockRows.store(newValue, ordering: .relaxed) }
    }
    private static let _linearBlockRows = Atomic<Int>(0)

    /// The pool behind every parallel loop, rebuilt when `threads` changes
    /// (the old pool's workers end once idle; a region running on it completes).
    private static let _pool = Mutex<WorkerPool?>(nil)
    static var pool: WorkerPool {
        let width = threads
        return _pool.withLock { current in
            if let p = current, p.width == width { return p }
            current?.stop()
            let p = WorkerPool(width: width, spinNanoseconds: poolSpinNanoseconds,
                               contendedSpinNanoseconds: poolContendedSpinNanoseconds)
            current = p
            return p
        }
    }

    /// How long an idle worker spins before it blocks, on a quiet machine and on
    /// contended cores (LORA_POOL_SPIN_US and LORA_POOL_CONTENDED_SPIN_US override, for measuring).
    static let poolSpinNanoseconds = microsecondsSetting("LORA_POOL_SPIN_US") ?? WorkerPool.defaultSpinNanoseconds
    static let poolContendedSpinNanoseconds = microsecondsSetting("LORA_POOL_CONTENDED_SPIN_US")
        ?? WorkerPool.defaultContendedSpinNanoseconds
    private static func microsecondsSetting(_ name: String) -> Int? {
        guard let s = ProcessInfo.processInfo.environment[name], let us = Int(s), us >= 0 else { return nil }
        return us * 1000
    }

    /// Runs `body(i)` for i in 0..<n, on the engine's threads when n > 1
    /// (the calling thread takes part).
    @inline(__always)
    static func run(_ n: Int, _ body: (Int) -> Void) {
        if n <= 1 { if n == 1 { body(0) }; return }
        pool.run(n, body)
    }

    /// What OpenBLAS reports as its kernel core ("SkylakeX", "Haswell", ...; "fallback" if not loaded).
    public static var blasCoreName: String { String(cString: lora_blas_corename()) }

    /// Human-readable BLAS status: library, core, or why loading failed.
    public static var blasStatus: String { String(cString: lora_blas_status()) }

    /// The OPENBLAS_CORETYPE in force when BLAS loaded.
    public static var blasCoreType: String { String(cString: lora_blas_coretype()) }

    /// Runs `body(chunk)` for chunk in 0..<chunks, in parallel over `threads`
    /// when `work` (roughly: elementary operations) is large enough to pay for it.
    /// Bodies that multiply matrices call `gemm1`/`gemmShaped1` (one thread), never the splitting `sgemm`
    /// (BLAS itself is single-threaded).
    @inline(__always)
    static func parallelFor(_ n: Int, work: Int, minWork: Int = 1 << 16,
                            _ body: (Range<Int>) -> Void) {
        let t = threads
        if t <= 1 || n <= 1 || work < minWork {
            body(0..<n)
            return
        }
        let chunks = balancedChunks(n, work: work, minWork: minWork)
        pool.run(chunks) { c in
            let lo = n * c / chunks, hi = n * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }

    /// How many chunks a loop of `n` items with `work` elementary operations should use.
    @inline(__always)
    static func chunkCount(_ n: Int, work: Int, minWork: Int = 1 << 16) -> Int {
        let t = threads
        if t <= 1 || n <= 1 || work < minWork { return 1 }
        return balancedChunks(n, work: work, minWork: minWork)
    }

    /// The cores are shared (other processes, the hypervisor), so a thread
    /// often runs slower than its twin: with enough work, cut 4 chunks per
    /// thread, which threads take as they finish, instead of one each.
    @inline(__always)
    static func balancedChunks(_ n: Int, work: Int, minWork: Int) -> Int {
        let t = threads
        return min(n, work >= 4 * minWork ? 4 * t : t)
    }

    /// Runs `body(chunk, range)` for `chunks` contiguous chunks of 0..<n (in parallel when chunks > 1).
    @inline(__always)
    static func parallelChunks(_ n: Int, chunks: Int, _ body: (Int, Range<Int>) -> Void) {
        if chunks <= 1 { body(0, 0..<n); return }
        pool.run(chunks) { c in
            let lo = n * c / chunks, hi = n * (c + 1) / chunks
            if lo < hi { body(c, lo..<hi) }
        }
    }
}
