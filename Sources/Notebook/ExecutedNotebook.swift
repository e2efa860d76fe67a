import Foundation

/// The outputs of a notebook that Jupyter executed (for example
/// `jupyter nbconvert --to notebook --execute` on the .ipynb that
/// `lora notebook run` or `export` wrote, with the lora kernel), read back so
/// `lora notebook compare` can check them against the markdown's output blocks.
public struct ExecutedNotebook {
    /// One code cell's outputs, as text, in order.
    public struct Cell {
        /// The cell's id (`cell-N` in lora's exports), if it has one.
        public var id: String?
        /// Streams and the `text/plain` of displays and results, in order;
        /// a display's text gets the newline the REPL prints after an echo.
        public var printed: String
        /// The traceback of an `error` output (lora's diagnostic), if the cell failed.
        public var diagnostic: String?
    }

    public var kernelName: String?
    public var cells: [Cell]

    /// Reads an executed .ipynb; `name` is how errors refer to it.
    public init(data: Data, name: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: data), let root = object as? [String: Any],
              let cells = root["cells"] as? [[String: Any]] else {
            throw NotebookError("'\(name)' is not a Jupyter notebook (no JSON object with \"cells\")",
                                remedy: "give the .ipynb that Jupyter executed, e.g. jupyter nbconvert --to notebook --execute --output OUT.ipynb NB.ipynb")
        }
        kernelName = ((root["metadata"] as? [String: Any])?["kernelspec"] as? [String: Any])?["name"] as? String
        self.cells = cells.filter { $0["cell_type"] as? String == "code" }.map { cell in
            var printed = ""
            var diagnostic: String?
            for output in cell["outputs"] as? [[String: Any]] ?? [] {
                switch output["output_type"] as? String {
                case "stream":
                    printed += ExecutedNotebook.text(output["text"])
                case "display_data", "execute_result":
                    let text = ExecutedNotebook.text((output["data"] as? [String: Any])?["text/plain"])
                    if !text.isEmpty { printed += text.hasSuffix("\n") ? text : text + "\n" }
                case "error":
                    let lines = (output["traceback"] as? [String]) ?? [output["evalue"] as? String ?? "error"]
                    diagnostic = (diagnostic ?? "") + lines.joined(separator: "\n") + "\n"
                default:
                    break
                }
            }
            return Cell(id: cell["id"] as? String, printed: printed, diagnostic: diagnostic)
        }
    }

    /// nbformat's multi-line strings: one string, or a list of lines.
    static func text(_ value: Any?) -> String {
        if let s = value as? String { return s }
        if let lines = value as? [String] { return lines.joined() }
        return ""
    }

    /// The results of `document`'s cells as Jupyter produced them, matched by
    /// cell id (`cell-N`) or else by order.
    public func results(for document: NotebookDocument, name: String) throws -> [CellResult] {
        let codeCells = document.cells
        guard cells.count == codeCells.count else {
            throw NotebookError("'\(name)' has \(cells.count) code cells, \(document.name) has \(codeCells.count)",
                                remedy: "export the notebook again (lora notebook export \(document.name)) and execute that")
        }
        let byID = Dictionary(cells.compactMap { c in c.id.map { ($0, c) } }, uniquingKeysWith: { a, _ in a })
        return codeCells.enumerated().map { i, cell in
            let executed = byID["cell-\(cell.index + 1)"] ?? cells[i]
            return CellResult(cell: cell, printed: executed.printed, diagnostic: executed.diagnostic,
                              error: executed.diagnostic.map { JupyterError(diagnostic: $0) },
                              reportedError: executed.diagnostic, seconds: 0)
        }
    }

    /// An error output of an executed cell.
    struct JupyterError: Error { let diagnostic: String }
}

extension OutputText {
    /// Where a diagnostic points differs between front ends: markdown
    /// notebooks name the file and its lines (`02-x.md:181:8`), Jupyter
    /// names the cell (`In[5]:1:8`). Masks the name and line number of
    /// `NAME:LINE:COL: error:` and the line-number gutter (`181 | code`,
    /// `    |    ^`); the column and everything else stay compared.
    public static func maskedPosition(_ line: String) -> String {
        var s = line
        for (pattern, replacement) in positionMasks {
            s = pattern.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: replacement)
        }
        return s
    }

    private static let positionMasks: [(NSRegularExpression, String)] = [
        (#"^\S.*?:\d+:(\d+): (error|warning):"#, "<position>:$1: $2:"),
        (#"^ *\d* \|( |$)"#, "|$1"),
    ].map { (try! NSRegularExpression(pattern: $0.0), $0.1) }
}
