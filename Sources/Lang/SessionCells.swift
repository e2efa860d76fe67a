import Foundation

extension Session {
    /// Runs the lines of a notebook cell (markdown or Jupyter) as if each were
    /// typed at `lora>`: lines are grouped into entries the way the REPL groups
    /// them (an entry ends when its brackets close and it does not end in an
    /// operator; a `:command` is its own entry), every bare expression echoes,
    /// `:commands` work.
    ///
    /// The lines are already in `file`, from line `firstLine` on, so
    /// diagnostics quote them. The first error stops the cell and is thrown,
    /// located in `file` (a `:command`'s error too). Ctrl-C
    /// (`context.cancellation`) during an entry stops the cell after it with an
    /// `.interrupted` error whose remedy is `interruptedRemedy`.
    public func runCell(_ lines: [String], in file: SourceFile, firstLine: Int, interruptedRemedy: String) throws {
        var entry: [String] = []
        var entryLine = firstLine
        func flush() throws {
            defer { entry = [] }
            let text = entry.joined(separator: "\n")
            if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return }
            context.cancellation.clear()
            if text.trimmingCharacters(in: .whitespaces).hasPrefix(":") {
                do {
                    if try command(text) == .quit {
                        throw LangError(.runtime, ":quit does not apply in a notebook cell",
                                        at: SourceLocation(file: file, line: entryLine, column: 1),
                                        remedy: "close the notebook, or restart its kernel, to end the session")
                    }
                } catch let e as LangError {
                    throw relocated(e, to: file, line: entryLine)
                }
            } else {
                try run(text, in: file, firstLine: entryLine, echo: true)
            }
            context.progress?.finish()
            // Training stops gracefully at Ctrl-C and returns; the cell stops too.
            if context.cancellation.isSet {
                throw LangError(.interrupted, "interrupted", at: SourceLocation(file: file, line: entryLine, column: 1),
                                remedy: interruptedRemedy)
            }
        }
        do {
            for (offset, line) in lines.enumerated() {
                if entry.isEmpty { entryLine = firstLine + offset }
                entry.append(line)
                let text = entry.joined(separator: "\n")
                if text.trimmingCharacters(in: .whitespaces).hasPrefix(":") || Lexer.isComplete(text) {
                    try flush()
                }
            }
            try flush()
        } catch {
            context.progress?.finish()
            throw error
        }
    }

    /// A `:command`'s error points into the session's REPL file; move it to
    /// the cell's line the command is on (same text, so the column holds).
    private func relocated(_ e: LangError, to file: SourceFile, line: Int) -> LangError {
        guard let loc = e.location, loc.file === replFile else { return e }
        var copy = e
        copy.location = SourceLocation(file: file, line: line, column: loc.column)
        return copy
    }
}
