import Core
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ctrl-C. While a statement runs, SIGINT sets the session's cancellation flag
/// (long work stops after its current step; loops stop with "interrupted").
/// While the line editor waits for input, Ctrl-C is a key that clears the line.
/// POSIX only: Linux (Glibc) and macOS (Darwin); other platforms do not build.
enum Interrupt {
    static let flag = CancellationFlag()

    /// The exit status of a script stopped by Ctrl-C (128 + SIGINT), as shells report it.
    static let exitStatus: Int32 = 130

    /// - Parameter interactive: in the REPL every Ctrl-C only sets the flag, so
    ///   the session and its variables survive; in a script a second Ctrl-C
    ///   (work that did not stop at the first) ends the process.
    static func install(interactive: Bool) {
        interruptPointer = flag.rawPointer
        if interactive {
            setHandler { _ in interruptPointer?.pointee = 1 }
        } else {
            setHandler { _ in
                if let p = interruptPointer, p.pointee != 0 {
                    signal(SIGINT, SIG_DFL)
                    raise(SIGINT)
                }
                interruptPointer?.pointee = 1
            }
        }
    }

    /// Installs `handler` for SIGINT without SA_RESTART, so a blocking read
    /// returns EINTR instead of waiting on.
    private static func setHandler(_ handler: @convention(c) (Int32) -> Void) {
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = handler
        #elseif canImport(Darwin)
        action.__sigaction_u.__sa_handler = handler
        #else
        #error("Interrupt handling is written for Linux (Glibc) and macOS (Darwin)")
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
    }
}

/// Read by the signal handler; set before the handler is installed.
nonisolated(unsafe) var interruptPointer: UnsafeMutablePointer<Int32>? = nil
