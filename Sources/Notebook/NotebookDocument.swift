/// The expected output of a cell: an ```output block right after it (only
/// blank lines between).
public struct OutputBlock: Equatable {
    public var fence: Fence
    /// 1-based line of the opening fence in the markdown file.
    public var openingLine: Int
    /// The expected output, one element per line.
    public var lines: [String]
    /// The blank lines between the cell's closing fence and this block.
    public var gap: [String]

    /// 1-based line of the first output line.
    public var firstLine: Int { openingLine + 1 }
}

/// A ```lora cell: code run in the notebook's session, in order.
public struct CodeCell: Equatable {
    /// 0-based position among the notebook's cells.
    public var index: Int
    public var fence: Fence
    /// 1-based line of the opening fence.
    public var openingLine: Int
    /// The code, one element per line, exactly as in the file.
    public var code: [String]
    public var options: CellOptions
    public var expected: OutputBlock?

    /// 1-based line of the first code line: cell positions map here.
    public var firstCodeLine: Int { openingLine + 1 }
}

/// A piece of a notebook: markdown passed through untouched (prose and any
/// fenced block that is not a ```lora cell), or a cell.
public enum NotebookBlock: Equatable {
    case markdown([String])
    case cell(CodeCell)
}

/// A markdown notebook: prose with ```lora cells, each optionally followed by
/// an ```output block holding what it is expected to print.
public struct NotebookDocument: Equatable {
    /// The file's name as diagnostics show it.
    public var name: String
    public var blocks: [NotebookBlock]
    /// The original text (line endings, final newline, every line).
    public var source: MarkdownText

    /// The language word that marks a cell, and the one that marks its output.
    public static let cellLanguage = "lora"
    public static let outputLanguage = "output"

    public var cells: [CodeCell] {
        blocks.compactMap { if case .cell(let c) = $0 { return c } else { return nil } }
    }

    /// Parses markdown text. Throws a `NotebookError` (with the line) for a
    /// cell or output block that is never closed, or an unknown cell option.
    public init(text: String, name: String) throws {
        self.name = name
        let source = MarkdownText(text)
        self.source = source
        let lines = source.lines
        var blocks: [NotebookBlock] = []
        var prose: [String] = []
        func flushProse() {
            if !prose.isEmpty { blocks.append(.markdown(prose)); prose = [] }
        }
        func closing(of fence: Fence, after start: Int) -> Int? {
            var j = start + 1
            while j < lines.count {
                if fence.isClosed(by: lines[j]) { return j }
                j += 1
            }
            return nil
        }
        var i = 0
        var cellIndex = 0
        while i < lines.count {
            guard let fence = Fence.opening(lines[i]) else {
                prose.append(lines[i]); i += 1; continue
            }
            guard fence.language == NotebookDocument.cellLanguage else {
                // Any other fenced block passes through whole, so fences
                // inside it (```lora in a ````markdown example) are not cells.
                let end = closing(of: fence, after: i) ?? lines.count - 1
                prose.append(contentsOf: lines[i...end])
                i = end + 1
                continue
            }
            guard let end = closing(of: fence, after: i) else {
                throw NotebookError("the ```lora cell opened here is never closed", file: name, line: i + 1,
                                    remedy: "end the cell with a line of \(fence.length) \(fence.character == "`" ? "backticks" : "tildes")")
            }
            let options = try CellOptions(words: fence.options, file: name, line: i + 1)
            var cell = CodeCell(index: cellIndex, fence: fence, openingLine: i + 1,
                                code: Array(lines[(i + 1)..<end]), options: options, expected: nil)
            cellIndex += 1
            i = end + 1
            var k = i
            while k < lines.count && lines[k].trimmingWhitespace().isEmpty { k += 1 }
            if k < lines.count, let out = Fence.opening(lines[k]), out.language == NotebookDocument.outputLanguage {
                guard let outEnd = closing(of: out, after: k) else {
                    throw NotebookError("the ```output block opened here is never closed", file: name, line: k + 1,
                                        remedy: "end it with a line of \(out.length) \(out.character == "`" ? "backticks" : "tildes")")
                }
                cell.expected = OutputBlock(fence: out, openingLine: k + 1, lines: Array(lines[(k + 1)..<outEnd]),
                                            gap: Array(lines[i..<k]))
                i = outEnd + 1
            }
            flushProse()
            blocks.append(.cell(cell))
        }
        flushProse()
        self.blocks = blocks
    }
}
