import XCTest
import Synchronization
@testable import Tensor

/// The worker pool: every chunk of every region runs exactly once, whichever
/// threads join (workers that arrive after every chunk is taken skip the
/// region), and the engine's results do not depend on who ran which chunk.
final class WorkerPoolTests: XCTestCase {
    /// Many short regions of varying size on pools wider than the machine
    /// (3 threads on 2 cores: workers are often descheduled and join late or
    /// not at all), each chunk counted.
    func testEveryChunkRunsExactlyOnce() {
        for width in [2, 3] {
            let pool = WorkerPool(width: width)
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: 64)
            defer { counts.deallocate() }
            for region in 0..<3000 {
                let n = 2 + region % 37
                counts.initialize(repeating: 0, count: n)
                pool.run(n) { i in counts[i] += 1 }
                for i in 0..<n where counts[i] != 1 {
                    XCTFail("width \(width), region \(region): chunk \(i) of \(n) ran \(counts[i]) times")
                    return
                }
            }
        }
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
