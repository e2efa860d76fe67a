/// Writes a notebook back as markdown with fresh ```output blocks: prose,
/// other fences and the cells' code are kept byte for byte; each cell that
/// printed something gets an output block right after it (replacing the old
/// one); a cell that printed nothing loses its block.
public enum MarkdownWriter {
    /// - Parameter results: by cell index; a cell without a result keeps its old block.
    public static func markdown(_ document: NotebookDocument, results: [Int: CellResult]) -> String {
        let source = document.source.lines
        var lines: [String] = []
        for block in document.blocks {
            switch block {
            case .markdown(let text):
                lines += text
            case .cell(let cell):
                let closing = cell.openingLine + cell.code.count // 0-based index of the closing fence
                lines += source[(cell.openingLine - 1)...closing]
                let output: [String]
                if let r = results[cell.index] { output = r.outputLines }
                else { output = cell.expected?.lines ?? [] }
                guard !output.isEmpty else { continue }
                lines += cell.expected?.gap ?? [""]
                let fence = outputFence(for: output, like: cell.expected?.fence)
                lines.append(fence.line)
                lines += output
                lines.append(fence.closingLine)
            }
        }
        var text = MarkdownText(lines: lines, lineEnding: document.source.lineEnding,
                                endsWithNewline: document.source.endsWithNewline || document.source.lines.isEmpty)
        if lines.isEmpty { text.endsWithNewline = false }
        return text.text
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
