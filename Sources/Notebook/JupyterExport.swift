import Lang

/// Exports a run notebook as Jupyter nbformat 4.5 JSON: each stretch of prose
/// becomes a markdown cell, each ```lora cell a code cell with its output as
/// `stream`s (stdout; an error's diagnostic on stderr) and, for every figure or
/// table it echoed, a `display_data` carrying the drawing itself
/// (`image/svg+xml`, `text/html` for tables, and the `text/plain` the REPL
/// prints), as the lora kernel sends them: Jupyter and GitHub show the
/// figures inline, and the file needs nothing beside it. Cells marked `error`
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
                    if r.outputs.isEmpty {
                        let printed = OutputText.lines(r.printed)
                        if !printed.isEmpty { outputs.append(stream("stdout", printed)) }
                    }
                    for piece in r.outputs {
                        switch piece {
                        case .text(let text):
                            let lines = OutputText.lines(text)
                            if !lines.isEmpty { outputs.append(stream("stdout", lines)) }
                        case .display(let d):
                            outputs.append(display(d))
                        }
                    }
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

    /// A figure or table as Jupyter display data: its SVG and HTML (when it
    /// has them) and its text, each a list of lines.
    static func display(_ d: RichDisplay) -> JSONText {
        var data: [String: JSONText] = ["text/plain": sourceLines(OutputText.lines(d.text))]
        if let svg = d.svg { data["image/svg+xml"] = multiline(svg) }
        if let html = d.html { data["text/html"] = multiline(html) }
        return .object(["output_type": .string("display_data"), "data": .object(data), "metadata": .object([:])])
    }

    /// Text as nbformat's list of lines, every line keeping its newline.
    static func multiline(_ text: String) -> JSONText {
        var lines: [JSONText] = []
        var line = ""
        for c in text {
            line.append(c)
            if c == "\n" || c == "\r\n" { lines.append(.string(line)); line = "" }
        }
        if !line.isEmpty { lines.append(.string(line)) }
        return .array(lines)
    }

    static func stream(_ name: String, _ lines: [String]) -> JSONText {
        .object(["output_type": .string("stream"), "name": .string(name), "text": .array(lines.map { .string($0 + "\n") })])
    }
}
