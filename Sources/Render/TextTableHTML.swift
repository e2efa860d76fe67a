/// A `TextTable` as an HTML table, for front ends that show HTML (Jupyter):
/// the same cells as the text (numbers formatted alike, so both agree), the
/// title as a caption, each column aligned as in the text.
extension TextTable {
    public func html() -> String {
        let cells = formattedCells()
        let aligns = columns.indices.map(alignment)
        func style(_ c: Int) -> String {
            switch aligns[c] {
            case .left: return " style=\"text-align: left\""
            case .right: return " style=\"text-align: right\""
            case .center: return " style=\"text-align: center\""
            }
        }
        var out = "<table>\n"
        if let title { out += "<caption>\(HTML.escape(title))</caption>\n" }
        out += "<thead><tr>" + columns.indices.map { "<th\(style($0))>\(HTML.escape(columns[$0].header))</th>" }.joined() + "</tr></thead>\n"
        out += "<tbody>\n"
        for row in cells {
            out += "<tr>" + row.indices.map { "<td\(style($0))>\(HTML.escape(row[$0]))</td>" }.joined() + "</tr>\n"
        }
        out += "</tbody>\n</table>"
        return out
    }
}

/// Escaping text for HTML.
public enum HTML {
    /// `&`, `<`, `>`, `"` and `'` as entities, so any text is shown as it is.
    public static func escape(_ text: String) -> String { MarkupEscape.escape(text, apostrophe: "&#39;") }

    /// Lines of text kept as they are (spaces, line breaks), in a `<pre>`.
    public static func preformatted(_ text: String) -> String {
        "<pre>" + escape(text) + "</pre>"
    }
}
