/// Ctrl-C's flag, the one every layer shares: the executable's SIGINT handler
/// (`lora/Interrupt.swift`) sets it; training and evaluation loops (`NN`) and
/// the interpreter (`Lang`) poll it and stop at their next safe point; whoever
/// handles the stop clears it.
///
/// Its storage is a plain, aligned `Int32` that is only ever set to 0 or 1,
/// so a C signal handler can set it through `rawPointer` without locks
/// (hence `@unchecked Sendable`: a handler or another thread may set it while
/// the work polls it; a poll that misses a set sees it at the next poll).
public final class CancellationFlag: @unchecked Sendable {
    /// The word a signal handler writes (1 = set).
    public let rawPointer: UnsafeMutablePointer<Int32>

    public init() {
        rawPointer = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        rawPointer.initialize(to: 0)
    }

    deinit { rawPointer.deallocate() }

    /// Whether the work was asked to stop.
    public var isSet: Bool { rawPointer.pointee != 0 }
    /// Asks the work to stop at its next check.
    public func set() { rawPointer.pointee = 1 }
    /// Consumes the request (after the stop was handled, or before new work).
    public func clear() { rawPointer.pointee = 0 }
}
