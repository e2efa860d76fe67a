@preconcurrency import CEditLine   // stdin/stdout/stderr: C globals libedit is handed
import Files
import Foundation
import Lang

/// The REPL on a terminal, on libedit: `lora>` and `...>` prompts, history in
/// `LORA_HISTORY` or `~/.lora_history`, Tab completion (see `Completion`),
/// Ctrl-C clears the line (also an empty `lora>` or `...>` line: it never
/// quits), Ctrl-D on an empty line or `:quit` quits.
final class InteractiveREPL {
    let session: Session
    let quiet: Bool
    private var editor: OpaquePointer?
    private var history: OpaquePointer?
    private var event = HistEvent()
    let historyPath: String

    /// The REPL the C callbacks talk to (there is only one). Unsafe: touched only on the
    /// REPL thread, by libedit callbacks that run inside `el_gets` on that thread.
    nonisolated(unsafe) static var active: InteractiveREPL?
    nonisolated(unsafe) static var lineCancelled = false
    nonisolated(unsafe) static var continuation = false
    // Unsafe: constant C strings for libedit's prompt callback, never written or freed.
    nonisolated(unsafe) static let mainPrompt = strdup("lora> ")
    nonisolated(unsafe) static let continuationPrompt = strdup(" ...> ")

    init(session: Session, quiet: Bool) {
        self.session = session
        self.quiet = quiet
        if let path = ProcessInfo.processInfo.environment["LORA_HISTORY"], !path.isEmpty {
            historyPath = path
        } else {
            historyPath = (NSHomeDirectory() as NSString).appendingPathComponent(".lora_history")
        }
    }

    func run() -> Int32 {
        setlocale(LC_CTYPE, "")
        InteractiveREPL.active = self
        Interrupt.install(interactive: true)
        setUpEditor()
        defer {
            if let e = editor { el_end(e) }
            if let h = history { history_end(h) }
        }
        if !quiet { Output.standard("lora — type :help for help, Tab to complete, Ctrl-D to quit\n") }
        var buffer = ""
        while true {
            InteractiveREPL.continuation = !buffer.isEmpty
            InteractiveREPL.lineCancelled = false
            // A Ctrl-C pressed before the prompt is up belonged to the work
            // that just ended (e.g. the second of two during `fit`).
            Interrupt.flag.clear()
            var count: Int32 = 0
            let raw = el_gets(editor, &count)
            guard let raw = raw else {
                // libedit returns no line for an empty one, so Ctrl-C on an
                // empty `lora>` or `...>` line lands here as well as Ctrl-D.
                if InteractiveREPL.lineCancelled || Interrupt.flag.isSet || (count == -1 && errno == EINTR) {
                    // Ctrl-C, as a key or as a signal: clear the line, never leave.
                    Interrupt.flag.clear()
                    buffer = ""
                    Output.standard(InteractiveREPL.lineCancelled ? "^C\n" : "\n")
                    continue
                }
                // Ctrl-D on an empty line (or the terminal went away).
                Output.standard("\n")
                return 0
            }
            var line = String(cString: raw)
            if line.hasSuffix("\n") { line.removeLast() }
            if InteractiveREPL.lineCancelled {
                Output.standard("^C\n")
                buffer = ""
                continue
            }
            buffer += buffer.isEmpty ? line : "\n" + line
            let isCommand = buffer.trimmingCharacters(in: .whitespaces).hasPrefix(":")
            if !isCommand && !Lexer.isComplete(buffer) { continue }
            let entry = buffer
            buffer = ""
            if entry.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { continue }
            remember(entry)
            Interrupt.flag.clear()
            do {
                if try session.evaluateEntry(entry) == .quit { return 0 }
            } catch {
                // The terminal echoed Ctrl-C ("^C") where the cursor was: the message starts the line instead.
                if let e = error as? LangError, e.kind == .interrupted { Output.standard("\r\u{1B}[K") }
                Output.report(error)
            }
            session.context.progress?.finish()
            Interrupt.flag.clear()
        }
    }

    private func setUpEditor() {
        editor = el_init(CommandLine.arguments.first ?? "lora", stdin, stdout, stderr)
        history = history_init()
        lora_history_setsize(history, &event, 1000)
        lora_history_setunique(history, &event, 1)
        lora_history_load(history, &event, historyPath)
        lora_el_set_history(editor, history)
        lora_el_set_editor(editor, "emacs")
        lora_el_set_signal(editor, 1)
        lora_el_set_prompt(editor) { _ in
            InteractiveREPL.continuation ? InteractiveREPL.continuationPrompt : InteractiveREPL.mainPrompt
        }
        // Ctrl-C arrives as a key while editing and clears the line.
        lora_el_setty_edit(editor, "-isig")
        lora_el_addfn(editor, "lora-cancel", "Cancel the current entry") { el, _ in
            InteractiveREPL.lineCancelled = true
            return UInt8(CC_NEWLINE)
        }
        lora_el_bind(editor, "^C", "lora-cancel")
        lora_el_addfn(editor, "lora-complete", "Complete names, members, arguments and paths") { el, _ in
            InteractiveREPL.active?.complete(el) ?? UInt8(CC_ERROR)
        }
        lora_el_bind(editor, "^I", "lora-complete")
    }

    /// Adds an entry to the history and saves the file (atomically).
    private func remember(_ entry: String) {
        lora_history_enter(history, &event, entry)
        // A history file that cannot be written (read-only, a FIFO, ...) is left as it is.
        let h = history
        var ev = event
        try? AtomicFile.write(to: historyPath) { _, temporary in
            guard lora_history_save(h, &ev, temporary) >= 0 else {
                throw AtomicFile.WriteError(path: historyPath, problem: "libedit could not save the history")
            }
        }
    }

    /// The Tab key: one candidate is inserted, several extend to their common
    /// prefix or are listed under the line.
    fileprivate func complete(_ el: OpaquePointer?) -> UInt8 {
        guard let info = el_line(el)?.pointee else { return UInt8(CC_ERROR) }
        let before = Data(bytes: info.buffer, count: info.cursor - info.buffer)
        let prefix = String(decoding: before, as: UTF8.self)
        let result = session.complete(line: prefix, cursor: prefix.count)
        let typed = String(Array(prefix)[result.start...])
        guard !result.candidates.isEmpty else { return UInt8(CC_REFRESH_BEEP) }
        let common = result.commonPrefix
        if common.count > typed.count, common.hasPrefix(typed) {
            el_insertstr(el, String(common.dropFirst(typed.count)))
            return UInt8(CC_REFRESH)
        }
        if result.candidates.count == 1 { return UInt8(CC_REFRESH) }
        let width = session.context.terminalWidth
        let longest = result.candidates.map { $0.count }.max()! + 2
        let perLine = max(1, width / longest)
        var text = "\n"
        for (i, c) in result.candidates.prefix(200).enumerated() {
            text += c.padding(toLength: longest, withPad: " ", startingAt: 0)
            if i % perLine == perLine - 1 { text += "\n" }
        }
        if !text.hasSuffix("\n") { text += "\n" }
        if result.candidates.count > 200 { text += "... \(result.candidates.count - 200) more\n" }
        fputs(text, stdout)
        fflush(stdout)
        return UInt8(CC_REDISPLAY)
    }
}
