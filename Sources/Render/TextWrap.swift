/// Plain messages broken at spaces for a terminal, so that none wraps in the
/// middle of a word (an 80-column terminal shows lines of at most 79: some
/// terminals wrap when the last column is written).
public enum TextWrap {
    /// `text` in lines of at most `columns - 1` characters (at least 20),
    /// continuation lines starting with `indent` (the first keeps the text's
    /// leading spaces). A word longer than a line stays whole.
    public static func lines(_ text: String, columns: Int, indent: String = "  ") -> [String] {
        let limit = max(20, columns - 1)
        let lead = String(text.prefix { $0 == " " })
        var out: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if line.isEmpty {
                line = (out.isEmpty ? lead : indent) + word
            } else if line.count + 1 + word.count <= limit {
                line += " " + word
            } else {
                out.append(line)
                line = indent + word
            }
        }
        if !line.isEmpty || out.isEmpty { out.append(line) }
        return out
    }

    /// `lines(...)` joined by newlines.
    public static func wrapped(_ text: String, columns: Int, indent: String = "  ") -> String {
        lines(text, columns: columns, indent: indent).joined(separator: "\n")
    }
}
