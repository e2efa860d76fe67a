import Foundation

/// Exports a run notebook as Jupyter nbformat 4.5 JSON: each stretch of prose
/// becomes a markdown cell, each ```lora cell a code cell with its output as a
/// `stream` (stdout; an error's diagnostic on stderr). Cells marked `error`
/// carry Jupyter's `raises-exception` tag, `skip-check` ones a `skip-check` tag.
/// Keys are sorted and cell ids numbered, so the same run gives the same bytes.
public enum JupyterExport {
    public static let nbformat = 4
    public static let nbformatMinor = 5

    public static func notebook(_ document: NotebookDocument, results: [Int: CellResult]) -> [String: Any] {
        var cells: [[String: Any]] = []
        var markdownCount = 0
        for block in document.blocks {
            switch block {
            case .markdown(let lines):
                var text = lines
                while let f = text.first, f.trimmingWhitespace().isEmpty { text.removeFirst() }
                while let l = text.last, l.trimmingWhitespace().isEmpty { text.removeLast() }
                guard !text.isEmpty else { continue }
                markdownCount += 1
                cells.append(["cell_type": "markdown", "id": "markdown-\(markdownCount)",
                              "metadata": [String: Any](), "source": sourceLines(text)])
            case .cell(let cell):
                let code = cell.code.map { line -> String in
                    var l = Substring(line), n = cell.fence.indent
                    while n > 0, l.first == " " { l.removeFirst(); n -= 1 }
                    return String(l)
                }
                var outputs: [[String: Any]] = []
                var tags: [String] = []
                if cell.options.expectsError { tags.append("raises-exception") }
                if cell.options.skipCheck { tags.append("skip-check") }
                var executionCount: Any = NSNull()
                if let r = results[cell.index] {
                    executionCount = cell.index + 1
                    let printed = OutputText.lines(r.printed)
                    if !printed.isEmpty { outputs.append(stream("stdout", printed)) }
                    if let d = r.diagnostic { outputs.append(stream("stderr", OutputText.lines(d))) }
                } else if let old = cell.expected, !old.lines.isEmpty {
                    outputs.append(stream("stdout", old.lines))
                }
                var metadata: [String: Any] = [:]
                if !tags.isEmpty { metadata["tags"] = tags }
                cells.append(["cell_type": "code", "id": "cell-\(cell.index + 1)", "execution_count": executionCount,
                              "metadata": metadata, "outputs": outputs, "source": sourceLines(code)])
            }
        }
        return [
            "cells": cells,
            "metadata": [
                "kernelspec": ["display_name": "lora", "language": "lora", "name": "lora"],
                "language_info": ["name": "lora", "file_extension": ".lora", "mimetype": "text/x-lora"],
            ],
            "nbformat": nbformat,
            "nbformat_minor": nbformatMinor,
        ]
    }

    /// The notebook as JSON text (sorted keys, indented, final newline).
    public static func json(_ document: NotebookDocument, results: [Int: CellResult]) throws -> Data {
        var data = try JSONSerialization.data(withJSONObject: notebook(document, results: results),
                                              options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        return data
    }

    /// Jupyter's multi-line strings: a list of lines, each but the last ending in "\n".
    static func sourceLines(_ lines: [String]) -> [String] {
        lines.enumerated().map { $0.offset == lines.count - 1 ? $0.element : $0.element + "\n" }
    }

    static func stream(_ name: String, _ lines: [String]) -> [String: Any] {
        ["output_type": "stream", "name": name, "text": lines.map { $0 + "\n" }]
    }
}
