import Lang

/// One piece of what a cell showed, in the order it came: text it printed,
/// or a value a richer front end draws (a figure as SVG, a table as HTML).
public enum CellOutput {
    /// Printed text: echoes of plain values, `print`, progress lines.
    case text(String)
    /// An echoed figure or table; its `text` is what the REPL prints for it.
    case display(RichDisplay)
}

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
    /// What the cell printed, split where it echoed a figure or a table (the
    /// text of each display is also in `printed`); empty when only the text
    /// is known (outputs read back from Jupyter).
    public var outputs: [CellOutput] = []

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
