/// Exports a run notebook as Jupyter nbformat 4.5 JSON: each stretch of prose
/// becomes a markdown cell, each ```lora cell a code cell with its output as a
/// `stream` (stdout; an error's diagnostic on stderr). Cells marked `error`
/// carry Jupyter's `raises-exception` tag, `skip-check` ones a `skip-check` tag.
/// Keys are sorted and cell ids numbered, so the same run gives the same bytes.
public enum JupyterExport {
    public static let nbformat = 4
    public static let nbformatMinor = 5

    public static func notebook(_ document: NotebookDocument, results: [Int: CellResult]) -> JSONText {
        var cells: [JSONText] = []
        var markdownCount = 0
        for block in document.blocks {
            switch block {
            case .markdown(let lines):
                var text = lines
                while let f = text.first, f.trimmingWhitespace().isEmpty { text.removeFirst() }
                while let l = text.last, l.trimmingWhitespace().isEmpty { text.removeLast() }
                guard !text.isEmpty else { continue }
                markdownCount += 1
                cells.append(.object(["cell_type": .string("markdown"), "id": .string("markdown-\(markdownCount)"),
                                      "metadata": .object([:]), "source": sourceLines(text)]))
            case .cell(let cell):
                let code = cell.code.map { line -> String in
                    var l = Substring(line), n = cell.fence.indent
                    while n > 0, l.first == " " { l.removeFirst(); n -= 1 }
                    return String(l)
                }
                var outputs: [JSONText] = []
                var tags: [String] = []
                if cell.options.expectsError { tags.append("raises-exception") }
                if cell.options.skipCheck { tags.append("skip-check") }
                var executionCount = JSONText.null
                if let r = results[cell.index] {
                    executionCount = .int(cell.index + 1)
                    let printed = OutputText.lines(r.printed)
                    if !printed.isEmpty { outputs.append(stream("stdout", printed)) }
                    if let d = r.diagnostic { outputs.append(stream("stderr", OutputText.lines(d))) }
                } else if let old = cell.expected, !old.lines.isEmpty {
                    outputs.append(stream("stdout", old.lines))
                }
                var metadata: [String: JSONText] = [:]
                if !tags.isEmpty { metadata["tags"] = .array(tags.map { .string($0) }) }
                cells.append(.object(["cell_type": .string("code"), "id": .string("cell-\(cell.index + 1)"),
                                      "execution_count": executionCount, "metadata": .object(metadata),
                                      "outputs": .array(outputs), "source": sourceLines(code)]))
            }
        }
        return .object([
            "cells": .array(cells),
            "metadata": .object([
                "kernelspec": .object(["display_name": .string("lora"), "language": .string("lora"), "name": .string("lora")]),
                // As the lora kernel reports it (Sources/Kernel/lora_kernel.py): lora reads
                // close enough to Swift for Swift's highlighting.
                "language_info": .object(["name": .string("lora"), "file_extension": .string(".lora"),
                                          "mimetype": .string("text/x-lora"), "codemirror_mode": .string("swift"),
                                          "pygments_lexer": .string("swift")]),
            ]),
            "nbformat": .int(nbformat),
            "nbformat_minor": .int(nbformatMinor),
        ])
    }

    /// The notebook as JSON text (sorted keys, indented, final newline).
    public static func json(_ document: NotebookDocument, results: [Int: CellResult]) -> String {
        notebook(document, results: results).rendered(indent: 1) + "\n"
    }

    /// Jupyter's multi-line strings: a list of lines, each but the last ending in "\n".
    static func sourceLines(_ lines: [String]) -> JSONText {
        .array(lines.enumerated().map { .string($0.offset == lines.count - 1 ? $0.element : $0.element + "\n") })
    }

    static func stream(_ name: String, _ lines: [String]) -> JSONText {
        .object(["output_type": .string("stream"), "name": .string(name), "text": .array(lines.map { .string($0 + "\n") })])
    }
}
