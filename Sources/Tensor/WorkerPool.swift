// The engine's one pool of threads. A training step runs hundreds of short
// parallel regions (a gemm split, a layernorm, a gelu) tens of microseconds
// apart; waking a parked thread for each (as DispatchQueue.concurrentPerform
// does) costs about 15 us per region on this machine, a large share of a
// 30 us region. Here the workers spin briefly after each region, so the next
// one starts at once, yield the core to other processes while they spin,
// and park on a condition variable after ~64k idle polls.
//
// A worker JOINS a region before it takes chunks, and the caller waits only
// for the workers that joined. The caller takes chunks too, and once every
// chunk is taken it closes the region: a worker that arrives later (its core
// was busy with another process, or it was still waking) skips it. So a
// descheduled worker never holds up a region it has not started, and with
// one core busy elsewhere 2 threads are no slower than 1 (before, the caller
// waited for every worker to check in for every region: each region could
// wait a scheduler time slice for a worker behind another process).
// BLAS is single-threaded (see Engine), so nothing else spins beside them.
import Foundation
import Synchronization

final class WorkerPool: @unchecked Sendable {
    /// Number of threads including the caller's.
    let width: Int
    private let generation = Atomic<Int>(0)
    private let next = Atomic<Int>(0)
    /// The open region: generation << 20 | closed << 19 | workers that joined it.
    private let entry = Atomic<Int>(0)
    /// Workers that joined the current region and finished their chunks.
    private let left = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private static let closedBit = 1 << 19, joinedMask = (1 << 19) - 1
    private var chunks = 0
    private var body: ((Int) -> Void)?
    private var mutex = pthread_mutex_t()
    private var cond = pthread_cond_t()
    private var sleepers = 0

    init(width: Int) {
        self.width = max(1, width)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&cond, nil)
        for _ in 1..<self.width {
            // A strong reference: a worker may start after its pool was replaced
            // (Engine.threads changed) and must find it alive; pools are never freed.
            let t = Thread { self.workerLoop() }
            t.stackSize = 1 << 20
            t.start()
        }
    }

    private func workerLoop() {
        var seen = 0
        while true {
            // Spin for new work, then park.
            var spins = 0
            var g = generation.load(ordering: .acquiring)
            while g == seen {
                spins += 1
                // Past a short spin, let another runnable thread have the core between polls.
                if spins & 255 == 0 && spins >= 4096 { sched_yield() }
                if spins & 1023 == 0 && spins >= 64 * 1024 {
                    pthread_mutex_lock(&mutex)
                    sleepers += 1
                    while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(&cond, &mutex) }
                    sleepers -= 1
                    pthread_mutex_unlock(&mutex)
                    spins = 0
                }
                g = generation.load(ordering: .acquiring)
            }
            seen = g
            // Join region g unless it is closed (or already followed by another).
            if join(g) {
                work()
                // The caller waits for every worker that joined to leave, so no
                // worker still holds this region's body when the next one starts.
                left.wrappingAdd(1, ordering: .releasing)
            }
        }
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
        if n <= 1 || width <= 1 || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
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
            generation.store(gen, ordering: .releasing)
            pthread_mutex_lock(&mutex)
            if sleepers > 0 { pthread_cond_broadcast(&cond) }
            pthread_mutex_unlock(&mutex)
            work()
            // Every chunk is taken: close the region, then wait for the workers
            // that joined it to finish theirs (yielding the core if one is slow).
            let joined = entry.bitwiseOr(Self.closedBit, ordering: .acquiringAndReleasing).oldValue & Self.joinedMask
            var spins = 0
            while left.load(ordering: .acquiring) < joined {
                spins += 1
                if spins >= 4096 && spins & 63 == 0 { sched_yield() }
            }
            body = nil
        }
        busy.store(false, ordering: .releasing)
    }
}
