import XCTest
import Synchronization
@testable import Tensor

/// The worker pool: every chunk of every region runs exactly once, whichever
/// threads join (workers that arrive after every chunk is taken skip the
/// region), and the engine's results do not depend on who ran which chunk.
final class WorkerPoolTests: XCTestCase {
    final class Counter: Sendable { let value = Atomic<Int>(0) }

    /// Many short regions of varying size on pools wider than the machine
    /// (3 threads on 2 cores: workers are often descheduled and join late or
    /// not at all), each chunk counted.
    func testEveryChunkRunsExactlyOnce() {
        // Spin 0: idle workers block at once, so most regions also wake them.
        for (width, spin) in [(2, WorkerPool.defaultSpinNanoseconds), (3, WorkerPool.defaultSpinNanoseconds), (2, 0), (8, 0)] {
            let pool = WorkerPool(width: width, spinNanoseconds: spin)
            defer { pool.stop() }
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: 64)
            defer { counts.deallocate() }
            for region in 0..<3000 {
                let n = 2 + region % 37
                counts.initialize(repeating: 0, count: n)
                pool.run(n) { i in counts[i] += 1 }
                for i in 0..<n where counts[i] != 1 {
                    XCTFail("width \(width), spin \(spin) ns, region \(region): chunk \(i) of \(n) ran \(counts[i]) times")
                    return
                }
            }
        }
    }

    /// No lost wake-up: workers that block as soon as they are idle (spin 0)
    /// are woken for every region. Each region has two chunks that each wait
    /// for the other to start, so the caller (one chunk at a time) completes a
    /// region only when a worker woke and took the other chunk. A lost wake-up
    /// shows as a chunk left waiting (failed after 20 s, not hung).
    func testBlockedWorkersWakeForEveryRegion() {
        for width in [2, 3] {
            let pool = WorkerPool(width: width, spinNanoseconds: 0)
            defer { pool.stop() }
            let started = Atomic<Int>(0), stuck = Atomic<Int>(0)
            for region in 0..<300 {
                started.store(0, ordering: .sequentiallyConsistent)
                pool.run(2) { _ in
                    started.wrappingAdd(1, ordering: .sequentiallyConsistent)
                    let deadline = Date().addingTimeInterval(20)
                    while started.load(ordering: .sequentiallyConsistent) < 2 {
                        if Date() > deadline { stuck.wrappingAdd(1, ordering: .relaxed); return }
                        sched_yield()
                    }
                }
                if stuck.load(ordering: .relaxed) > 0 {
                    XCTFail("width \(width), region \(region): no worker woke to take the second chunk")
                    return
                }
                // Let the workers reach their condition variable now and then.
                if region % 10 == 0 { usleep(200) }
            }
        }
    }

    /// `stop` ends every worker (a pool no longer used does not keep threads),
    /// also while a region runs on another thread; later regions run serially
    /// on the caller and still run every chunk once.
    func testStopEndsTheWorkers() {
        for spin in [0, WorkerPool.defaultSpinNanoseconds] {
            let pool = WorkerPool(width: 4, spinNanoseconds: spin)
            let total = Counter()
            let running = Thread {
                for _ in 0..<500 { pool.run(6) { _ in total.value.wrappingAdd(1, ordering: .relaxed) } }
            }
            running.start()
            for _ in 0..<50 { pool.run(3) { _ in total.value.wrappingAdd(1, ordering: .relaxed) } }
            pool.stop()
            let deadline = Date().addingTimeInterval(20)
            while (pool.liveWorkers.load(ordering: .sequentiallyConsistent) > 0 || !running.isFinished) && Date() < deadline {
                usleep(1000)
            }
            XCTAssertEqual(pool.liveWorkers.load(ordering: .sequentiallyConsistent), 0, "spin \(spin): workers still running after stop")
            XCTAssertTrue(running.isFinished, "spin \(spin): a caller did not return")
            XCTAssertEqual(total.value.load(ordering: .relaxed), 500 * 6 + 50 * 3, "spin \(spin)")
            var seen = [Int](repeating: 0, count: 7)
            pool.run(7) { i in seen[i] += 1 }
            XCTAssertEqual(seen, [Int](repeating: 1, count: 7), "spin \(spin): a region after stop")
        }
    }

    /// The engine replaces its pool when the thread count changes and stops
    /// the old one, so toggling the threads does not pile up threads.
    func testEngineStopsTheReplacedPool() {
        let saved = Engine.threads
        defer { Engine.threads = saved }
        Engine.threads = 3
        let first = Engine.pool
        Engine.threads = 2
        let second = Engine.pool
        XCTAssertFalse(first === second)
        let deadline = Date().addingTimeInterval(20)
        while first.liveWorkers.load(ordering: .sequentiallyConsistent) > 0 && Date() < deadline { usleep(1000) }
        XCTAssertEqual(first.liveWorkers.load(ordering: .sequentiallyConsistent), 0, "the replaced pool's workers still run")
        XCTAssertEqual(second.liveWorkers.load(ordering: .sequentiallyConsistent), 1)
    }

    /// A body that calls the pool again (re-entrantly) runs the inner region
    /// serially, and two threads calling at once both complete.
    func testReentrantAndConcurrentCallsComplete() {
        let pool = WorkerPool(width: 2)
        let total = Atomic<Int>(0)
        pool.run(4) { _ in pool.run(5) { _ in total.wrappingAdd(1, ordering: .relaxed) } }
        XCTAssertEqual(total.load(ordering: .relaxed), 20)
        total.store(0, ordering: .relaxed)
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            for _ in 0..<200 { pool.run(3) { _ in total.wrappingAdd(1, ordering: .relaxed) } }
        }
        XCTAssertEqual(total.load(ordering: .relaxed), 2 * 200 * 3)
    }

    /// A forward and backward pass large enough to split (gemm, GELU,
    /// softmax cross-entropy) gives bit-identical gradients run after run at 2
    /// threads, and the same values as 1 thread within float rounding.
    func testGradientsDoNotDependOnTheThreads() throws {
        func gradients(threads: Int) throws -> [Float] {
            let saved = Engine.threads
            Engine.threads = threads
            defer { Engine.threads = saved }
            let a = randomTensor([512, 256], seed: 1, scale: 0.1), b = randomTensor([256, 256], seed: 2, scale: 0.1)
            let z = try Tensor.matmul(a, b).gelu()
            let loss = try Tensor.crossEntropy(logits: z, labels: (0..<512).map { $0 % 256 })
            try loss.backward()
            return a.grad!.data + b.grad!.data
        }
        let one = try gradients(threads: 1)
        let two = try gradients(threads: 2)
        for run in 0..<5 {
            XCTAssertEqual(try gradients(threads: 2), two, "run \(run) at 2 threads differs from the first")
        }
        let worst = zip(one, two).map { abs($0 - $1) }.max() ?? 0
        let scale = one.map { abs($0) }.max() ?? 1
        XCTAssertLessThanOrEqual(worst, 1e-5 * scale, "1 vs 2 threads")
    }
}
