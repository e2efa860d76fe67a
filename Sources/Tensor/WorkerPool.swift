// The engine's one pool of threads. A training step runs hundreds of short
// parallel regions (a gemm split, a layernorm, a gelu) tens of microseconds
// apart; waking a parked thread for each (as DispatchQueue.concurrentPerform
// does) costs about 15 us per region on this machine, a large share of a
// 30 us region. Here an idle worker spins for a while, so the next region
// starts at once, and then blocks on a condition variable until the next one.
// How long depends on the machine: 1 ms (longer than nearly every serial
// stretch of a step) while the cores are free, 20 us once a spinning thread
// has found it lost its core (the clock jumped between two polls) within the
// last 200 ms.
//
// A worker JOINS a region before it takes chunks, and the caller waits only
// for the workers that joined. The caller takes chunks too, and once every
// chunk is taken it closes the region: a worker that arrives later (its core
// was busy with another process, or it was still waking) skips it. So a
// descheduled worker never holds up a region it has not started.
//
// Blocking instead of spinning on: with another process on one of the cores,
// a worker that spins through the serial parts of a step uses up its share of
// that core, so the scheduler preempts it, often in the middle of a chunk,
// and the caller then waits a whole time slice of the other process for that
// chunk. A worker that blocks when idle keeps its share for its chunks: woken
// for a region, it runs at once and is seldom preempted. The caller too stops
// spinning and blocks when a joined worker is slow (it may be queued behind
// the caller on the caller's own core).
// BLAS is single-threaded (see Engine), so nothing else spins beside them.
import Foundation
import Synchronization

final class WorkerPool: @unchecked Sendable {
    /// Number of threads including the caller's.
    let width: Int
    /// How long an idle worker, or the caller waiting for a joined worker,
    /// spins before it blocks: `spinNanoseconds` on a quiet machine,
    /// `contendedSpinNanoseconds` while the cores are contended (a spinning
    /// worker found it had lost its core within the last
    /// `contendedWindowNanoseconds`).
    let spinNanoseconds: Int
    let contendedSpinNanoseconds: Int
    static let contendedWindowNanoseconds = 200_000_000
    /// A spinning thread that saw the clock jump by this much between two polls was descheduled.
    static let preemptedNanoseconds = 30_000
    private let contendedUntil = Atomic<Int>(0)
    private let generation = Atomic<Int>(0)
    private let next = Atomic<Int>(0)
    /// The open region: generation << 20 | closed << 19 | workers that joined it.
    private let entry = Atomic<Int>(0)
    /// Workers that joined the current region and finished their chunks.
    private let left = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    /// Workers blocked on `wake` (they re-check `generation` under `mutex` before waiting).
    private let sleepers = Atomic<Int>(0)
    /// The caller is blocked on `done` (it re-checks `left` under `mutex` before waiting).
    private let callerBlocked = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    /// Worker threads that have not exited.
    let liveWorkers = Atomic<Int>(0)
    private static let closedBit = 1 << 19, joinedMask = (1 << 19) - 1
    private var chunks = 0
    private var body: ((Int) -> Void)?
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var done = pthread_cond_t()

    /// The default spins: on a quiet machine longer than nearly every serial
    /// stretch between two regions of a step; on contended cores short.
    static let defaultSpinNanoseconds = 1_000_000, defaultContendedSpinNanoseconds = 20_000

    init(width: Int, spinNanoseconds: Int = WorkerPool.defaultSpinNanoseconds,
         contendedSpinNanoseconds: Int = WorkerPool.defaultContendedSpinNanoseconds) {
        self.width = max(1, width)
        self.spinNanoseconds = max(0, spinNanoseconds)
        self.contendedSpinNanoseconds = max(0, min(spinNanoseconds, contendedSpinNanoseconds))
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
        pthread_cond_init(&done, nil)
        liveWorkers.store(self.width - 1, ordering: .sequentiallyConsistent)
        for _ in 1..<self.width {
            // A strong reference: the pool lives until its workers exit (`stop`).
            let t = Thread { self.workerLoop() }
            t.stackSize = 1 << 20
            t.start()
        }
    }

    deinit {
        pthread_cond_destroy(&done)
        pthread_cond_destroy(&wake)
        pthread_mutex_destroy(&mutex)
    }

    /// Ends the workers once they are idle (a region in progress completes);
    /// later calls of `run` run serially on the caller.
    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(&mutex)
        pthread_cond_broadcast(&wake)
        pthread_mutex_unlock(&mutex)
    }

    @inline(__always)
    static func now() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1_000_000_000 + ts.tv_nsec
    }

    private func workerLoop() {
        defer { liveWorkers.wrappingSubtract(1, ordering: .sequentiallyConsistent) }
        var seen = 0
        while true {
            // Spin for new work, then block.
            var g = generation.load(ordering: .acquiring)
            if g == seen {
                var last = Self.now()
                var deadline = last + spinBudget(at: last)
                var polls = 0
                while g == seen {
                    polls &+= 1
                    if polls & 63 == 0 {
                        if stopping.load(ordering: .relaxed) { return }
                        let t = Self.now()
                        if t - last > Self.preemptedNanoseconds {
                            // This thread lost its core for a while: the cores are contended.
                            contendedUntil.store(t + Self.contendedWindowNanoseconds, ordering: .relaxed)
                            deadline = min(deadline, t + contendedSpinNanoseconds)
                        }
                        last = t
                        if t >= deadline {
                            g = park(seen)
                            break
                        }
                    }
                    g = generation.load(ordering: .acquiring)
                }
                if g == seen { return }   // woken to stop
            }
            seen = g
            // Join region g unless it is closed (or already followed by another).
            if join(g) {
                work()
                // The caller waits for every worker that joined to leave, so no
                // worker still holds this region's body when the next one starts.
                left.wrappingAdd(1, ordering: .sequentiallyConsistent)
                if callerBlocked.load(ordering: .sequentiallyConsistent) {
                    pthread_mutex_lock(&mutex)
                    pthread_cond_signal(&done)
                    pthread_mutex_unlock(&mutex)
                }
            }
        }
    }

    /// Blocks until the generation differs from `seen` (returns it) or the pool stops (returns `seen`).
    /// No lost wake-up: a worker counts itself a sleeper and then re-reads the
    /// generation, while `run` publishes the generation and then reads the
    /// sleepers (all sequentially consistent): one of the two sees the other.
    private func park(_ seen: Int) -> Int {
        if PoolStats.on { PoolStats.parks.wrappingAdd(1, ordering: .relaxed) }
        pthread_mutex_lock(&mutex)
        sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
        var g = generation.load(ordering: .sequentiallyConsistent)
        while g == seen && !stopping.load(ordering: .sequentiallyConsistent) {
            pthread_cond_wait(&wake, &mutex)
            g = generation.load(ordering: .sequentiallyConsistent)
        }
        sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(&mutex)
        return g
    }

    /// Counts this worker into region `g` if it is still open.
    @inline(__always)
    private func join(_ g: Int) -> Bool {
        var e = entry.load(ordering: .acquiring)
        while e >> 20 == g && e & Self.closedBit == 0 {
            let r = entry.compareExchange(expected: e, desired: e + 1, ordering: .acquiringAndReleasing)
            if r.exchanged { return true }
            e = r.original
        }
        return false
    }

    /// Takes chunks until none are left.
    @inline(__always)
    private func work() {
        let n = chunks
        guard let f = body else { return }
        while true {
            let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if i >= n { return }
            f(i)
        }
    }

    /// Runs body(0..<n) over the pool; the caller takes part and returns when all are done.
    /// Called re-entrantly or from two threads at once, the later call runs serially.
    func run(_ n: Int, _ f: (Int) -> Void) {
        if n <= 1 || width <= 1 || stopping.load(ordering: .relaxed)
            || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            for i in 0..<n { f(i) }
            return
        }
        withoutActuallyEscaping(f) { g in
            body = g
            chunks = n
            next.store(0, ordering: .relaxed)
            left.store(0, ordering: .relaxed)
            let gen = (generation.load(ordering: .relaxed) + 1) & ((1 << 43) - 1)
            entry.store(gen << 20, ordering: .releasing)
            generation.store(gen, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(&mutex)
                pthread_cond_broadcast(&wake)
                pthread_mutex_unlock(&mutex)
            }
            let openedAt = PoolStats.on ? Self.now() : 0
            work()
            let closedAt = PoolStats.on ? Self.now() : 0
            // Every chunk is taken: close the region, then wait for the workers
            // that joined it to finish theirs (spinning briefly, then blocking).
            let joined = entry.bitwiseOr(Self.closedBit, ordering: .acquiringAndReleasing).oldValue & Self.joinedMask
            if PoolStats.on { PoolStats.region(joined: joined, open: openedAt) }
            if left.load(ordering: .acquiring) < joined { awaitWorkers(joined) }
            if PoolStats.on { PoolStats.waited(since: closedAt) }
            body = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// How long to spin before blocking, from `now`: long on a quiet machine,
    /// short while the cores are contended.
    @inline(__always)
    private func spinBudget(at now: Int) -> Int {
        now < contendedUntil.load(ordering: .relaxed) ? contendedSpinNanoseconds : spinNanoseconds
    }

    /// Waits until `joined` workers have left the region.
    private func awaitWorkers(_ joined: Int) {
        let start = Self.now()
        var last = start, deadline = start + spinBudget(at: start)
        var polls = 0
        while left.load(ordering: .acquiring) < joined {
            polls &+= 1
            guard polls & 63 == 0 else { continue }
            let t = Self.now()
            if t - last > Self.preemptedNanoseconds {
                contendedUntil.store(t + Self.contendedWindowNanoseconds, ordering: .relaxed)
                deadline = min(deadline, t + contendedSpinNanoseconds)
            }
            last = t
            if t >= deadline {
                if PoolStats.on { PoolStats.callerBlocks.wrappingAdd(1, ordering: .relaxed) }
                pthread_mutex_lock(&mutex)
                callerBlocked.store(true, ordering: .sequentiallyConsistent)
                while left.load(ordering: .sequentiallyConsistent) < joined { pthread_cond_wait(&done, &mutex) }
                callerBlocked.store(false, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(&mutex)
                return
            }
        }
    }
}

/// With LORA_POOL_STATS=1 in the environment, the pool counts its regions and
/// waits and prints them to standard error when the process exits (for
/// `scripts/bench steady`: where a step's time goes when a core is busy).
enum PoolStats {
    static let on = ProcessInfo.processInfo.environment["LORA_POOL_STATS"] == "1"
    static let regions = Atomic<Int>(0), joinedRegions = Atomic<Int>(0)
    static let waitNs = Atomic<Int>(0), maxWaitNs = Atomic<Int>(0), longWaits = Atomic<Int>(0)
    static let regionNs = Atomic<Int>(0)
    static let parks = Atomic<Int>(0), callerBlocks = Atomic<Int>(0)
    private static let registered: Bool = {
        atexit {
            let r = PoolStats.regions.load(ordering: .relaxed)
            let line = String(format: "pool_stats regions=%d joined=%d caller_share_ms=%.2f wait_ms=%.2f max_wait_us=%.0f waits_over_200us=%d worker_parks=%d caller_blocks=%d\n",
                              r, PoolStats.joinedRegions.load(ordering: .relaxed),
                              Double(PoolStats.regionNs.load(ordering: .relaxed)) / 1e6,
                              Double(PoolStats.waitNs.load(ordering: .relaxed)) / 1e6,
                              Double(PoolStats.maxWaitNs.load(ordering: .relaxed)) / 1e3,
                              PoolStats.longWaits.load(ordering: .relaxed),
                              PoolStats.parks.load(ordering: .relaxed), PoolStats.callerBlocks.load(ordering: .relaxed))
            FileHandle.standardError.write(line.data(using: .utf8)!)
        }
        return true
    }()

    /// A region's chunks are all taken (`open`: when it opened); `joined` workers took part.
    static func region(joined: Int, open: Int) {
        _ = registered
        regions.wrappingAdd(1, ordering: .relaxed)
        if joined > 0 { joinedRegions.wrappingAdd(1, ordering: .relaxed) }
        regionNs.wrappingAdd(WorkerPool.now() - open, ordering: .relaxed)
    }

    /// The caller waited for joined workers since `closed`.
    static func waited(since closed: Int) {
        let w = WorkerPool.now() - closed
        waitNs.wrappingAdd(w, ordering: .relaxed)
        if w > 200_000 { longWaits.wrappingAdd(1, ordering: .relaxed) }
        var m = maxWaitNs.load(ordering: .relaxed)
        while w > m {
            let r = maxWaitNs.compareExchange(expected: m, desired: w, ordering: .relaxed)
            if r.exchanged { break }
            m = r.original
        }
    }
}
