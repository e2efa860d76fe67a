import Lang

/// What running one cell produced.
public struct CellResult {
    /// The cell that ran.
    public var cell: CodeCell
    /// What the cell printed before it ended or failed: echoes, `print`,
    /// per-epoch progress lines.
    public var printed: String
    /// The diagnostic of the error that stopped the cell, as the REPL shows it.
    public var diagnostic: String?
    /// The error that stopped the cell, if one did.
    public var error: Error?
    /// The error relocated to the notebook's path as given (for stderr).
    public var reportedError: String?
    /// Wall-clock time of the cell.
    public var seconds: Double

    /// Everything, in order: what was printed, then the diagnostic.
    public var output: String {
        guard let d = diagnostic else { return printed }
        return printed.isEmpty || printed.hasSuffix("\n") ? printed + d : printed + "\n" + d
    }

    /// The output as it is written into an ```output block: trailing spaces
    /// and trailing blank lines removed.
    public var outputLines: [String] { OutputText.lines(output) }

    /// The cell failed and was not marked `error`.
    public var failedUnexpectedly: Bool { error != nil && !cell.options.expectsError }
    /// The cell was marked `error` but ran without one.
    public var missedExpectedError: Bool { error == nil && cell.options.expectsError }
    /// Either way, the cell did not behave as the notebook says.
    public var misbehaved: Bool { failedUnexpectedly || missedExpectedError }
}
