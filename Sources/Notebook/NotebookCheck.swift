/// Compares what cells printed with their ```output blocks.
public enum NotebookCheck {
    /// One cell that did not behave as its notebook says.
    public struct Finding: CustomStringConvertible {
        public enum Kind { case failed, missedError, outputDiffers }
        public var kind: Kind
        public var cell: CodeCell
        /// Why: "output differs", "failed", "did not fail".
        public var summary: String
        /// The diagnostic of an unexpected error, or the diff of outputs.
        public var details: String
        public var description: String { summary + "\n" + details }
    }

    /// Whether `result`'s output matches the expected block, timings masked
    /// (see `OutputText.masked`). A `skip-check` cell always matches.
    /// `key` is what lines are compared by (default: timings masked).
    public static func outputMatches(_ result: CellResult, key: (String) -> String = OutputText.masked) -> Bool {
        if result.cell.options.skipCheck { return true }
        let expected = OutputText.lines((result.cell.expected?.lines ?? []).joined(separator: "\n"))
        return expected.map(key) == result.outputLines.map(key)
    }

    /// What is wrong with one cell's run, or nil when it is as expected.
    /// `path` names the notebook in the report (`FILE:LINE`).
    public static func findings(_ result: CellResult, path: String, key: @escaping (String) -> String = OutputText.masked) -> [Finding] {
        let cell = result.cell
        let at = "\(path):\(cell.openingLine)"
        var found: [Finding] = []
        if result.failedUnexpectedly {
            found.append(Finding(kind: .failed, cell: cell, summary: "\(at): cell \(cell.index + 1) failed:",
                                 details: result.reportedError ?? ""))
        }
        if result.missedExpectedError {
            found.append(Finding(kind: .missedError, cell: cell, summary: "\(at): cell \(cell.index + 1) is marked `error` but ran without one",
                                 details: "note: fix the cell so it fails, or remove `error` from its info string\n"))
        }
        if !outputMatches(result, key: key) && !result.failedUnexpectedly {
            let expected = OutputText.lines((cell.expected?.lines ?? []).joined(separator: "\n"))
            let firstLine = cell.expected?.firstLine ?? (cell.firstCodeLine + cell.code.count + 1)
            let what = cell.expected == nil ? "printed output but has no ```output block"
                : "output differs (- expected, + actual)"
            let diff = LineDiff.hunks(expected, result.outputLines, oldFirstLine: firstLine, key: key)
            found.append(Finding(kind: .outputDiffers, cell: cell, summary: "\(at): cell \(cell.index + 1) \(what):",
                                 details: "--- expected\n+++ actual\n" + diff))
        }
        return found
    }
}
