import Core
import Foundation
import Lang
import Render

/// Runs a notebook's cells in order in ONE session, as if each line were typed
/// at `lora>`: lines are grouped into entries the way the REPL groups them (an
/// entry ends when its brackets close and it does not end in an operator),
/// every bare expression echoes, `:commands` work. A cell stops at its first
/// error; later cells still run, with every variable defined so far.
///
/// Output is made deterministic: colour off, a fixed width, per-epoch progress
/// lines instead of bars, the seed fixed. Code positions are the lines of the
/// markdown file, so errors read `FILE.md:LINE:COL`.
public final class NotebookRunner {
    public let document: NotebookDocument
    public let session: Session
    /// The markdown file as the session sees it: named `displayName`, holding
    /// the notebook's lines (see `Positions`), so diagnostics quote the cell's line.
    public private(set) var sourceFile: SourceFile
    /// The notebook's path as given, for errors reported on stderr.
    public let path: String
    private var buffer = ""
    /// The cell's outputs so far, and the text printed since the last display.
    private var outputs: [CellOutput] = []
    private var pending = ""
    private let workingDirectory: String?
    /// Ctrl-C stopped the last `runAll`.
    public private(set) var interrupted = false

    /// Columns for tables and heatmaps in notebook output.
    public static let width = 80

    /// - Parameters:
    ///   - displayName: the name inside output blocks (default: the file's
    ///     base name, so outputs do not depend on the current directory).
    ///   - workingDirectory: the current directory while cells run (the CLI
    ///     passes the notebook's own directory, so relative paths in cells
    ///     mean the same wherever lora is started); nil leaves it alone.
    public init(document: NotebookDocument, path: String? = nil, displayName: String? = nil,
                seed: UInt64 = 0, threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount),
                cancellation: CancellationFlag = CancellationFlag(), workingDirectory: String? = nil) {
        self.document = document
        self.workingDirectory = workingDirectory
        self.path = path ?? document.name
        let name = displayName ?? (self.path as NSString).lastPathComponent
        sourceFile = SourceFile(name: name)
        let context = Context(output: { _ in }, isInteractive: false, cancellation: cancellation, seed: seed,
                              threads: threads, quiet: false, terminalWidth: NotebookRunner.width,
                              scriptArguments: [])
        session = Session(context: context, replName: name)
        context.output = { [unowned self] text in self.write(text) }
        context.progress = ProgressPrinter(inPlace: false, write: { [unowned self] text in self.write(text) })
        // Figures and tables echo as the REPL prints them; the export also
        // keeps their SVG and HTML, so Jupyter shows the figure inline.
        context.show = { [unowned self, unowned context] value in
            let d = value.display(context)
            guard d.isRich else { return context.print(d.text) }
            self.flushPending()
            self.outputs.append(.display(d))
            self.buffer += d.text + "\n"
        }
    }

    private func write(_ text: String) {
        buffer += text
        pending += text
    }

    private func flushPending() {
        if !pending.isEmpty { outputs.append(.text(pending)) }
        pending = ""
    }

    /// Which lines positions in diagnostics refer to.
    public enum Positions {
        /// The notebook file as it is (`check`).
        case asIs
        /// The notebook as `run` rewrites it, each earlier cell's output block
        /// replaced by its fresh output, so the written file's errors point
        /// at its own lines.
        case rewritten
    }

    /// Runs every cell in order; `onCell` sees each result as it comes.
    /// Stops after the cell in which Ctrl-C was pressed (cells after it do not
    /// run); `interrupted` then tells so.
    public func runAll(positions: Positions = .asIs, onCell: (CellResult) -> Void = { _ in }) -> [CellResult] {
        var results: [CellResult] = []
        // Domain rendering reads LORA_COLOR before anything else: plain text
        // while the cells run, the caller's setting restored afterwards.
        let previousColor = getenv("LORA_COLOR").map { String(cString: $0) }
        setenv("LORA_COLOR", "plain", 1)
        defer {
            if let c = previousColor { setenv("LORA_COLOR", c, 1) } else { unsetenv("LORA_COLOR") }
        }
        interrupted = false
        let previousDirectory = FileManager.default.currentDirectoryPath
        if let dir = workingDirectory, !dir.isEmpty { _ = FileManager.default.changeCurrentDirectoryPath(dir) }
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previousDirectory) }
        // A fresh file each time: running again keeps positions right.
        sourceFile = SourceFile(name: sourceFile.name)
        if case .asIs = positions {
            sourceFile.append(document.source.lines)
        }
        for block in document.blocks {
            switch block {
            case .markdown(let lines):
                if case .rewritten = positions { sourceFile.append(lines) }
            case .cell(let cell):
                var firstLine = cell.firstCodeLine
                if case .rewritten = positions {
                    firstLine = sourceFile.lines.count + 2
                    sourceFile.append(MarkdownWriter.cellLines(cell, in: document))
                }
                guard !interrupted else { continue }
                let r = run(cell, firstLine: firstLine)
                if case .rewritten = positions { sourceFile.append(MarkdownWriter.outputBlockLines(cell, result: r)) }
                results.append(r)
                onCell(r)
                if let e = r.error as? LangError, e.kind == .interrupted { interrupted = true }
            }
        }
        return results
    }

    /// Runs one cell in the session and returns what it printed; its first
    /// code line is line `firstLine` of `sourceFile`.
    func run(_ cell: CodeCell, firstLine: Int) -> CellResult {
        buffer = ""
        pending = ""
        outputs = []
        let start = DispatchTime.now().uptimeNanoseconds
        var failure: Error? = nil
        do {
            try session.runCell(cell.code, in: sourceFile, firstLine: firstLine,
                                interruptedRemedy: "Ctrl-C stopped the notebook after this entry; the cells after it did not run")
        } catch {
            failure = error
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        flushPending()
        return CellResult(cell: cell, printed: buffer, diagnostic: failure.map { format($0) }, error: failure,
                          reportedError: failure.map { format($0, path: path) }, seconds: seconds, outputs: outputs)
    }

    /// The diagnostic, as the REPL prints it; with `path`, positions in the
    /// notebook are named by that path instead of the display name.
    func format(_ error: Error, path: String? = nil) -> String {
        guard var e = error as? LangError else { return "error: \(error)\n" }
        if let path = path, let loc = e.location, loc.file === sourceFile, path != sourceFile.name {
            let named = SourceFile(name: path)
            named.append(sourceFile.lines)
            e.location = SourceLocation(file: named, line: loc.line, column: loc.column)
        }
        return Diagnostic.format(e)
    }
}

extension SourceFile {
    /// Appends lines one by one (each may be empty).
    func append(_ lines: [String]) {
        for line in lines { append(line) }
    }
}
