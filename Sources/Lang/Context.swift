import Foundation

/// A flag set from a SIGINT handler (Ctrl-C) and polled by long work. Its storage
/// is a plain `Int32` so a C signal handler can set it through `rawPointer`.
/// Unchecked Sendable: an aligned word that is only ever set to 0 or 1 and polled,
/// which a signal handler must be able to write without locks.
public final class CancellationFlag: @unchecked Sendable {
    public let rawPointer: UnsafeMutablePointer<Int32>
    public init() {
        rawPointer = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        rawPointer.initialize(to: 0)
    }
    deinit { rawPointer.deallocate() }
    public var isSet: Bool { rawPointer.pointee != 0 }
    public func set() { rawPointer.pointee = 1 }
    public func clear() { rawPointer.pointee = 0 }
}

/// One report of progress from long work (training, evaluation).
public struct ProgressUpdate {
    public var label: String
    public var epoch: Int
    public var epochs: Int
    public var step: Int
    public var steps: Int
    public var loss: Double?
    public var accuracy: Double?
    public var samplesPerSecond: Double?
    /// Seconds left, if known.
    public var eta: Double?
    /// How much of the whole run is done, 0...1, when it is more than the
    /// epochs say (explicit ensembles train member after member); nil: from epoch and step.
    public var overall: Double?
    /// Work whose progress only a terminal shows, and only once it has taken
    /// a moment (evaluation, prediction); the line is erased when it ends.
    public var transient: Bool
    public init(label: String, epoch: Int, epochs: Int, step: Int, steps: Int, loss: Double? = nil,
                accuracy: Double? = nil, samplesPerSecond: Double? = nil, eta: Double? = nil, overall: Double? = nil,
                transient: Bool = false) {
        self.label = label; self.epoch = epoch; self.epochs = epochs; self.step = step; self.steps = steps
        self.loss = loss; self.accuracy = accuracy; self.samplesPerSecond = samplesPerSecond; self.eta = eta
        self.overall = overall; self.transient = transient
    }

    /// The part of the whole run done, 0...1.
    public var fractionDone: Double {
        if let o = overall { return max(0, min(1, o)) }
        guard epochs > 0, steps > 0 else { return 0 }
        return max(0, min(1, (Double(epoch - 1) + Double(step) / Double(steps)) / Double(epochs)))
    }
}

/// Receives progress from long work; `ProgressPrinter` is the standard one.
public protocol ProgressReporter: AnyObject {
    func update(_ progress: ProgressUpdate)
    /// The work is over (normally or not); a terminal bar ends its line.
    func finish()
}

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
