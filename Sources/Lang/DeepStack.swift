import Foundation

/// Runs work on a thread with a large stack, so deeply nested (but limited)
/// programs evaluate without overflowing the caller's stack (8 MB on the main
/// thread, less on others). Parsing and evaluation both go through it.
enum DeepStack {
    static let stackSize = 512 << 20

    static func run<T>(_ body: @escaping () throws -> T) throws -> T {
        var result: Result<T, Error>? = nil
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            result = Result { try body() }
            done.signal()
        }
        thread.stackSize = stackSize
        thread.start()
        done.wait()
        return try result!.get()
    }
}
