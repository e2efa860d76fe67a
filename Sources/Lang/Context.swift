import Core
import Foundation

/// What every builtin and method receives: where output goes, whether a person
/// is watching, Ctrl-C, progress, the seed and thread count.
public final class Context {
    /// Writes text (already containing its newlines) to the user.
    public var output: (String) -> Void
    /// True in the REPL on a terminal: progress may redraw a line in place.
    public var isInteractive: Bool
    /// Set by Ctrl-C during long work: stop after the current step.
    public let cancellation: CancellationFlag
    /// Where long work reports progress; nil when `--quiet`.
    public var progress: ProgressReporter?
    /// The global seed (`--seed`, `seed(n)`); domain code derives its RNGs from it.
    public var seed: UInt64
    /// Worker threads allowed (`--threads`).
    public var threads: Int
    /// `--quiet`: no progress, no banners.
    public var quiet: Bool
    /// Columns available for tables and heatmaps.
    public var terminalWidth: Int
    /// Arguments after the script name, visible to scripts as `args`.
    public var scriptArguments: [String]
    /// Shows an echoed value (a bare expression, `.plot()`). nil: its text
    /// (`Value.echo`) goes to `output`. A front end that shows richer forms
    /// (Jupyter: SVG figures, HTML tables) sets it and uses `Value.display`.
    public var show: ((Value) -> Void)?

    public init(output: @escaping (String) -> Void = { FileHandle.standardOutput.write($0.data(using: .utf8)!) },
                isInteractive: Bool = false, cancellation: CancellationFlag = CancellationFlag(),
                progress: ProgressReporter? = nil, seed: UInt64 = 0, threads: Int = 1, quiet: Bool = false,
                terminalWidth: Int = 80, scriptArguments: [String] = []) {
        self.output = output
        self.isInteractive = isInteractive
        self.cancellation = cancellation
        self.progress = progress
        self.seed = seed
        self.threads = threads
        self.quiet = quiet
        self.terminalWidth = terminalWidth
        self.scriptArguments = scriptArguments
    }

    /// Writes `text` and a newline.
    public func print(_ text: String) { output(text + "\n") }

    /// Shows `value` as the REPL echoes a bare expression (through `show` when set).
    public func echo(_ value: Value) {
        if let show { show(value) } else { print(value.echo(self)) }
    }

    /// Throws an `.interrupted` error when Ctrl-C was pressed. Long work that
    /// prefers to stop gracefully checks `cancellation.isSet` itself instead.
    public func checkCancelled() throws {
        if cancellation.isSet {
            throw LangError(.interrupted, "interrupted", remedy: "Ctrl-C stopped the work; variables keep their last values")
        }
    }
}
