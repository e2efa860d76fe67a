import Foundation
import Lang

/// The REPL when stdin is not a terminal: lines are read plainly, without
/// prompts; entries run exactly as typed at `lora>` (bare expressions echo,
/// `:commands` work), errors are reported and the session goes on. The exit
/// status is 1 if any entry failed.
struct PipedREPL {
    let session: Session

    func run() -> Int32 {
        var failed = false
        var buffer = ""
        func flush() -> Bool {
            defer { buffer = "" }
            session.context.cancellation.clear()
            do {
                if try session.evaluateEntry(buffer) == .quit { return false }
            } catch {
                failed = true
                Output.report(error)
            }
            return true
        }
        while let line = readLine(strippingNewline: true) {
            buffer += buffer.isEmpty ? line : "\n" + line
            if buffer.trimmingCharacters(in: .whitespaces).hasPrefix(":") || Lexer.isComplete(buffer) {
                if !flush() { return failed ? 1 : 0 }
            }
        }
        if !buffer.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { _ = flush() }
        return failed ? 1 : 0
    }
}
