import Foundation

/// Runs work on a thread with a large stack, so deeply nested (but limited)
/// programs evaluate without overflowing the caller's stack (8 MB on the main
/// thread, less on others). Parsing and evaluation both go through it.
enum DeepStack {
    static let stackSize = 512 << 20

    static func run<T>(_ body: @escaping () throws -> T) throws -> T {
        let handoff = Handoff(body)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            handoff.result = Result { try handoff.body() }
            done.signal()
        }
        thread.stackSize = stackSize
        thread.start()
        done.wait()
        return try handoff.result!.get()
    }

    /// The work and its result, handed to the thread and back. Unchecked: the
    /// caller blocks until the thread is done, so they are never shared at once.
    private final class Handoff<T>: @unchecked Sendable {
        let body: () throws -> T
        var result: Result<T, Error>?
        init(_ body: @escaping () throws -> T) { self.body = body }
    }
}
