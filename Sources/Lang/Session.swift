import Foundation

/// A running lora session: the globals, the builtins and the context, plus the
/// REPL's growing `<repl>` file. Scripts, `-e` snippets, piped input and the
/// interactive REPL all run through it.
public final class Session {
    public let builtins: BuiltinTable
    public let context: Context
    public private(set) var interpreter: Interpreter
    /// The virtual file REPL entries are appended to.
    public let replFile: SourceFile

    /// What a REPL command asks the caller to do next.
    public enum CommandResult { case `continue`, quit }

    public init(builtins: BuiltinTable = .standard(), context: Context = Context(), replName: String = "<repl>") {
        self.builtins = builtins
        self.context = context
        self.replFile = SourceFile(name: replName)
        self.interpreter = Interpreter(builtins: builtins, context: context)
        defineArgs()
    }

    private func defineArgs() {
        interpreter.globals.define("args", .list(context.scriptArguments.map { .string($0) }))
    }

    /// Runs `text` in `file` (appending it first); echoes the value of a final
    /// bare expression when `echo` is set. Throws a located `LangError`.
    public func run(_ text: String, in file: SourceFile, echo: Bool) throws {
        let first = file.append(text)
        try run(text, in: file, firstLine: first, echo: echo)
    }

    /// Runs `text`, already in `file` at line `firstLine` (notebooks map cells to
    /// the lines of their markdown file this way); echoes like `run(_:in:echo:)`.
    public func run(_ text: String, in file: SourceFile, firstLine: Int, echo: Bool) throws {
        let (interpreter, context) = (self.interpreter, self.context)
        let value = try DeepStack.run { () throws -> Value? in
            let program = try Parser.parse(text, file: file, firstLine: firstLine)
            // Reading, writing and converting files report to the session (progress, Ctrl-C).
            return try WatchedWork.run(context) { try interpreter.run(program) }
        }
        if echo, let v = value {
            if case .null = v { return }
            context.echo(v)
        }
    }

    /// Runs one REPL entry (statements or a `:command`); bare expressions echo.
    public func evaluateEntry(_ entry: String) throws -> CommandResult {
        let trimmed = entry.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix(":") { return try command(entry) }
        if trimmed.isEmpty && !entry.contains("\n") { return .continue }
        try run(entry, in: replFile, echo: true)
        return .continue
    }

    /// Runs a script file; its name appears in diagnostics.
    public func runFile(path: String, echo: Bool = false) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDir: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            throw LangError(.runtime, exists && isDir.boolValue ? "'\(path)' is a directory, not a script" : "cannot read file '\(path)'",
                            remedy: exists ? nil : "check the path; the current directory is \(FileManager.default.currentDirectoryPath)")
        }
        // Editors on Windows often start UTF-8 files with a byte-order mark; it is not part of the script.
        let body = data.starts(with: [0xEF, 0xBB, 0xBF]) ? data.dropFirst(3) : data[...]
        let text = String(decoding: body, as: UTF8.self)
        try run(text, in: SourceFile(name: path), echo: echo)
    }

    /// Runs a `-e` snippet or a whole script text under `name`.
    public func runSource(_ text: String, name: String, echo: Bool = false) throws {
        try run(text, in: SourceFile(name: name), echo: echo)
    }

    // MARK: commands

    /// Handles `:help`, `:vars`, `:type`, `:time`, `:load`, `:reset`, `:quit`.
    public func command(_ line: String) throws -> CommandResult {
        // The line goes into the REPL file so errors in `:type expr` point into it.
        let lineNumber = replFile.append(line)
        let leading = line.prefix { $0 == " " || $0 == "\t" }.count
        let body = line.dropFirst(leading)
        let name = String(body.prefix { !$0.isWhitespace })
        let restStart = leading + name.count
        let rest = String(line.dropFirst(restStart))
        let argument = rest.trimmingCharacters(in: .whitespaces)
        let padded = String(repeating: " ", count: restStart) + rest
        let commandLocation = SourceLocation(file: replFile, line: lineNumber, column: leading + 1)
        switch name {
        case ":help", ":h", ":?":
            context.output(HelpText.topic(argument, builtins: builtins, variables: interpreter.globals))
        case ":vars":
            context.output(variablesTable())
        case ":type", ":t":
            guard !argument.isEmpty else { throw LangError(.syntax, ":type needs an expression, e.g. :type 1.5", at: commandLocation) }
            let (interpreter, file) = (self.interpreter, replFile)
            let value = try DeepStack.run { () throws -> Value in
                let program = try Parser.parse(padded, file: file, firstLine: lineNumber)
                guard program.count == 1, case .expression(let e) = program[0].kind else {
                    throw LangError(.syntax, ":type needs a single expression", at: commandLocation)
                }
                return try interpreter.evaluate(e, in: interpreter.globals)
            }
            context.print(value.typeName)
        case ":time":
            guard !argument.isEmpty else { throw LangError(.syntax, ":time needs a statement, e.g. :time sum(0..<1000)", at: commandLocation) }
            let start = DispatchTime.now().uptimeNanoseconds
            try run(padded, in: replFile, firstLine: lineNumber, echo: true)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            context.print("time: " + Session.formatDuration(seconds))
        case ":load", ":l":
            var path = argument
            if path.count >= 2, path.first == "\"", path.last == "\"" { path = String(path.dropFirst().dropLast()) }
            guard !path.isEmpty else { throw LangError(.syntax, ":load needs a file name, e.g. :load train.lora", at: commandLocation) }
            try runFile(path: (path as NSString).expandingTildeInPath)
        case ":reset":
            reset()
            context.print("all variables cleared")
        case ":quit", ":q", ":exit":
            return .quit
        default:
            let known = [":help", ":vars", ":type", ":time", ":load", ":reset", ":quit"]
            throw LangError(.syntax, "unknown command '\(name)'", at: commandLocation,
                            remedy: Suggest.didYouMean(name, in: known) ?? "commands: " + known.joined(separator: " "))
        }
        return .continue
    }

    /// Forgets every variable (builtins stay).
    public func reset() {
        interpreter = Interpreter(builtins: builtins, context: context)
        defineArgs()
    }

    static func formatDuration(_ s: Double) -> String {
        if s < 1e-3 { return String(format: "%.1f µs", s * 1e6) }
        if s < 1 { return String(format: "%.2f ms", s * 1e3) }
        return String(format: "%.3f s", s)
    }

    /// The session's variables, sorted by name.
    public var variables: [(name: String, value: Value)] {
        interpreter.globals.values.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
    }

    /// The `:vars` table: name, kind, summary, aligned.
    public func variablesTable() -> String {
        let rows = variables.map { [$0.name, $0.value.typeName, $0.value.summary(width: max(20, context.terminalWidth - 30))] }
        if rows.isEmpty { return "no variables\n" }
        return Table.render(header: ["name", "kind", "summary"], rows: rows)
    }
}

/// A minimal aligned text table (the Render layer has richer ones).
enum Table {
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { $0[c].count }.max()! }
        func line(_ cells: [String]) -> String {
            var s = zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
            while s.hasSuffix(" ") { s.removeLast() }
            return s + "\n"
        }
        return line(header) + line(widths.map { String(repeating: "-", count: $0) }) + rows.map(line).joined()
    }
}
