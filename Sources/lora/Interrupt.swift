import Foundation
import Lang

/// Ctrl-C. While a statement runs, SIGINT sets the session's cancellation flag
/// (long work stops after its current step; loops stop with "interrupted").
/// While the line editor waits for input, Ctrl-C is a key that clears the line.
enum Interrupt {
    static let flag = CancellationFlag()

    /// - Parameter interactive: in the REPL every Ctrl-C only sets the flag, so
    ///   the session and its variables survive; in a script a second Ctrl-C
    ///   (work that did not stop at the first) ends the process.
    static func install(interactive: Bool) {
        interruptPointer = flag.rawPointer
        var action = sigaction()
        if interactive {
            action.__sigaction_handler.sa_handler = { _ in interruptPointer?.pointee = 1 }
        } else {
            action.__sigaction_handler.sa_handler = { _ in
                if let p = interruptPointer, p.pointee != 0 {
                    signal(SIGINT, SIG_DFL)
                    raise(SIGINT)
                }
                interruptPointer?.pointee = 1
            }
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
    }
}

/// Read by the signal handler; set before the handler is installed.
nonisolated(unsafe) var interruptPointer: UnsafeMutablePointer<Int32>? = nil
