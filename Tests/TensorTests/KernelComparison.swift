import XCTest
@testable import Tensor

// Comparing the engine's AVX-512 kernels with the portable Swift loops they
// replace (Engine.vectorKernels on and off): the same numbers, bit for bit.

/// Output, weights and every gradient of `f`, with the kernels on or off.
func kernelRun(kernels: Bool, threads: Int, _ inputs: [Tensor], _ f: ([Tensor]) throws -> (Tensor, Tensor?)) throws -> [[Float]] {
    let savedThreads = Engine.threads
    Engine.vectorKernels = kernels
    Engine.threads = threads
    defer { Engine.threads = savedThreads; Engine.vectorKernels = true }
    for x in inputs { x.zeroGrad() }
    let (y, w) = try f(inputs)
    let seed = randomTensor(y.shape, seed: 77, requiresGrad: false)
    try (y * seed).sum().backward()
    return [y.data, w?.data ?? []] + inputs.map { $0.grad?.data ?? [] }
}

/// Fails unless output, weights and gradients agree bit for bit with the kernels on and off, on 1 and 2 threads.
func assertSameBits(_ name: String, _ inputs: [Tensor], file: StaticString = #filePath, line: UInt = #line,
                    _ f: ([Tensor]) throws -> (Tensor, Tensor?)) throws {
    for threads in [1, 2] {
        let plain = try kernelRun(kernels: false, threads: threads, inputs, f)
        let fast = try kernelRun(kernels: true, threads: threads, inputs, f)
        for (i, (a, b)) in zip(fast, plain).enumerated() {
            XCTAssertEqual(a.count, b.count, "\(name) part \(i)", file: file, line: line)
            let differing = zip(a, b).filter { $0.0.bitPattern != $0.1.bitPattern }.count
            XCTAssertEqual(differing, 0, "\(name) part \(i) (0 output, 1 weights, then gradients), \(threads) thread(s)",
                           file: file, line: line)
        }
    }
}
