import Core
import Foundation
import Lang
import Render

/// The lora side of the Jupyter kernel: one `Session` that Jupyter's
/// requests run in (see `KernelRequest`), answered with `KernelEvent`s.
/// `lora kernel serve` feeds it stdin's lines; tests feed it directly.
///
/// A cell runs as a notebook cell does (`Session.runCell`): lines grouped
/// into entries as the REPL groups them, bare expressions echoed, `:commands`
/// working, the first error ending the cell. Figures and tables echo as rich
/// `display` events (SVG, HTML, and the text the REPL prints); other values
/// and `print` as `stream` text; `fit` progress as one `progress` display
/// redrawn in place. Diagnostics name the cell `In[N]` (N the execution count).
/// Output is plain text `width` columns wide, as in notebooks.
public final class KernelServer {
    public let session: Session
    private let send: (KernelEvent) -> Void
    /// The request whose output is being produced.
    private var current = 0

    /// The remedy printed under "interrupted" when Ctrl-C stops a cell.
    public static let interruptedRemedy = "the kernel was interrupted; the cell stopped after this entry and every variable keeps its value"

    public init(seed: UInt64 = 0, threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount),
                cancellation: CancellationFlag = CancellationFlag(), width: Int = 80,
                send: @escaping (KernelEvent) -> Void) {
        self.send = send
        let context = Context(output: { _ in }, isInteractive: false, cancellation: cancellation, seed: seed,
                              threads: threads, quiet: false, terminalWidth: width, scriptArguments: [])
        session = Session(context: context, replName: "<kernel>")
        context.output = { [unowned self] text in
            self.send(.stream(id: self.current, name: "stdout", text: text))
        }
        context.show = { [unowned self, unowned context] value in
            let d = value.display(context)
            if d.isRich {
                self.send(.display(id: self.current, d))
            } else {
                context.print(d.text)
            }
        }
        context.progress = ProgressDisplay(columns: width) { [unowned self] text, final in
            self.send(.progress(id: self.current, text: text, final: final))
        }
    }

    /// Handles one request line. Returns false after `shutdown` (the caller
    /// then ends the process).
    @discardableResult
    public func handle(line: String) -> Bool {
        if line.trimmingCharacters(in: .whitespaces).isEmpty { return true }
        do {
            return handle(try KernelRequest(line: line))
        } catch let e as KernelRequest.Malformed {
            send(.reply(id: e.id ?? -1, fields: ["status": "error", "ename": "ProtocolError", "evalue": e.description]))
            return true
        } catch {
            send(.reply(id: -1, fields: ["status": "error", "ename": "ProtocolError", "evalue": "\(error)"]))
            return true
        }
    }

    /// Handles one request; returns false after `shutdown`.
    @discardableResult
    public func handle(_ r: KernelRequest) -> Bool {
        current = r.id
        switch r.kind {
        case .execute: execute(r)
        case .complete: send(.reply(id: r.id, fields: complete(r.code, cursor: r.cursor)))
        case .inspect: send(.reply(id: r.id, fields: inspect(r.code, cursor: r.cursor)))
        case .isComplete: send(.reply(id: r.id, fields: isComplete(r.code)))
        case .shutdown:
            send(.reply(id: r.id, fields: ["status": "ok"]))
            return false
        }
        return true
    }

    // MARK: execute

    func execute(_ r: KernelRequest) {
        let file = SourceFile(name: "In[\(r.count)]")
        file.append(r.code)
        do {
            try session.runCell(file.lines, in: file, firstLine: 1, interruptedRemedy: KernelServer.interruptedRemedy)
            send(.reply(id: r.id, fields: ["status": "ok"]))
        } catch {
            let (name, value, traceback) = KernelServer.describe(error)
            send(.error(id: r.id, name: name, value: value, traceback: traceback))
            send(.reply(id: r.id, fields: ["status": "error", "ename": name, "evalue": value, "traceback": traceback]))
        }
    }

    /// An error as Jupyter shows it: a name (`NameError`, ..., `Interrupted`),
    /// the message, and the diagnostic's lines (position, the line, the caret, the note).
    static func describe(_ error: Error) -> (name: String, value: String, traceback: [String]) {
        guard let e = error as? LangError else {
            return ("Error", "\(error)", ["error: \(error)"])
        }
        let names: [ErrorKind: String] = [
            .syntax: "SyntaxError", .name: "NameError", .argument: "ArgumentError", .type: "TypeError",
            .index: "IndexError", .arithmetic: "ArithmeticError", .limit: "LimitError",
            .interrupted: "Interrupted", .runtime: "RuntimeError",
        ]
        var lines = Diagnostic.format(e).components(separatedBy: "\n")
        while lines.last == "" { lines.removeLast() }
        return (names[e.kind] ?? "Error", e.message, lines)
    }

    // MARK: complete, inspect, is_complete

    /// Completions at a cursor (in code points) through lora's own completion
    /// (names, members, named arguments, paths, `:commands`).
    func complete(_ code: String, cursor: Int) -> [String: Any] {
        let text = CursorText(code, cursor: cursor)
        let result = session.complete(line: text.linePrefix, cursor: text.linePrefix.count)
        let start = text.codePointOffset(ofLineCharacter: result.start)
        return ["status": "ok", "matches": result.candidates, "cursor_start": start, "cursor_end": text.cursor]
    }

    /// The `:help` text of the name at the cursor.
    func inspect(_ code: String, cursor: Int) -> [String: Any] {
        let text = CursorText(code, cursor: cursor)
        guard let help = session.help(at: text.line, cursor: text.linePrefix.count) else {
            return ["status": "ok", "found": false]
        }
        return ["status": "ok", "found": true, "text": help]
    }

    /// Whether the console should run `code` or ask for another line: lora's
    /// own test (open brackets, a trailing operator), with an indent of four
    /// spaces per open brace. `:command` lines are entries of their own.
    func isComplete(_ code: String) -> [String: Any] {
        let statements = code.components(separatedBy: "\n")
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix(":") }
            .joined(separator: "\n")
        if statements.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || Lexer.isComplete(statements) {
            return ["status": "complete"]
        }
        let braces = Lexer.openBrackets(statements).filter { $0 == "{" }.count
        return ["status": "incomplete", "indent": String(repeating: "    ", count: braces)]
    }
}
