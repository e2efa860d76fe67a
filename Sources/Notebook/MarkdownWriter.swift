/// Writes a notebook back as markdown with fresh ```output blocks: prose,
/// other fences and the cells' code are kept byte for byte; each cell that
/// printed something gets an output block right after it (replacing the old
/// one unless they differ only in timings); a cell that printed nothing loses
/// its block.
public enum MarkdownWriter {
    /// - Parameter results: by cell index; a cell without a result keeps its old block.
    public static func markdown(_ document: NotebookDocument, results: [Int: CellResult]) -> String {
        var lines: [String] = []
        for block in document.blocks {
            switch block {
            case .markdown(let text):
                lines += text
            case .cell(let cell):
                lines += cellLines(cell, in: document)
                lines += outputBlockLines(cell, result: results[cell.index])
            }
        }
        var text = MarkdownText(lines: lines, lineEnding: document.source.lineEnding,
                                endsWithNewline: document.source.endsWithNewline || document.source.lines.isEmpty)
        if lines.isEmpty { text.endsWithNewline = false }
        return text.text
    }

    /// The cell's fences and code, exactly as in the file.
    public static func cellLines(_ cell: CodeCell, in document: NotebookDocument) -> [String] {
        let closing = cell.openingLine + cell.code.count // 0-based index of the closing fence
        return Array(document.source.lines[(cell.openingLine - 1)...closing])
    }

    /// What follows the cell: the blank lines and the ```output block holding
    /// `result`'s output (the old block when `result` is nil; nothing when
    /// there is no output).
    public static func outputBlockLines(_ cell: CodeCell, result: CellResult?) -> [String] {
        guard let result = result else {
            guard let old = cell.expected else { return [] }
            return old.gap + [old.fence.line] + old.lines + [old.fence.closingLine]
        }
        let output = result.outputLines
        guard !output.isEmpty else { return [] }
        // Same output up to timings: keep the old block, so a re-run does not
        // churn the file (and its diff) with fresh timings.
        if let old = cell.expected, old.lines.map(OutputText.masked) == output.map(OutputText.masked) {
            return old.gap + [old.fence.line] + old.lines + [old.fence.closingLine]
        }
        let fence = outputFence(for: output, like: cell.expected?.fence)
        return (cell.expected?.gap ?? [""]) + [fence.line] + output + [fence.closingLine]
    }

    /// A fence no output line can close: longer than any run of backticks
    /// that starts a line of the output.
    static func outputFence(for output: [String], like old: Fence?) -> Fence {
        var longest = 0
        for line in output {
            let trimmed = line.drop { $0 == " " }
            longest = max(longest, trimmed.prefix { $0 == "`" }.count)
        }
        let length = max(3, longest + 1, old?.character == "`" ? old!.length : 0)
        return Fence(character: "`", length: length, indent: old?.indent ?? 0, info: NotebookDocument.outputLanguage)
    }
}
