// The engine's one pool of threads. A training step runs hundreds of short
// parallel regions (a gemm split, a layernorm, a gelu) tens of microseconds
// apart; waking a parked thread for each (as DispatchQueue.concurrentPerform
// does) costs about 15 us per region on this machine, a large share of a
// 30 us region. Here the workers spin briefly after each region, so the next
// one starts at once, and park on a condition variable after ~64k idle
// polls (a few hundred microseconds). Every worker checks in for every
// region, so a region never overlaps the next.
// BLAS is single-threaded (see Engine), so nothing else spins beside them.
import Foundation
import Synchronization

final class WorkerPool: @unchecked Sendable {
    /// Number of threads including the caller's.
    let width: Int
    private let generation = Atomic<Int>(0)
    private let next = Atomic<Int>(0)
    private let done = Atomic<Int>(0)
    private let exited = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
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
            let t = Thread { [unowned self] in self.workerLoop() }
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
            work()
            // The caller waits for every worker to leave, so no worker can
            // still hold this region's body when the next region starts.
            exited.wrappingAdd(1, ordering: .releasing)
        }
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
            done.wrappingAdd(1, ordering: .releasing)
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
            done.store(0, ordering: .relaxed)
            exited.store(0, ordering: .relaxed)
            generation.wrappingAdd(1, ordering: .releasing)
            pthread_mutex_lock(&mutex)
            if sleepers > 0 { pthread_cond_broadcast(&cond) }
            pthread_mutex_unlock(&mutex)
            work()
            while done.load(ordering: .acquiring) < n || exited.load(ordering: .acquiring) < width - 1 {}
            body = nil
        }
        busy.store(false, ordering: .releasing)
    }
}
