/// The lines of a markdown file, without terminators, and how they ended, so a
/// rewritten file keeps its line endings (LF or CRLF) and its final newline.
public struct MarkdownText: Equatable {
    public var lines: [String]
    /// "\r\n" when most lines ended in CRLF, else "\n".
    public var lineEnding: String
    /// Whether the last line ended with a line terminator.
    public var endsWithNewline: Bool

    public init(lines: [String], lineEnding: String = "\n", endsWithNewline: Bool = true) {
        self.lines = lines
        self.lineEnding = lineEnding
        self.endsWithNewline = endsWithNewline
    }

    /// Splits `text` on LF, dropping a CR before each LF.
    public init(_ text: String) {
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        endsWithNewline = parts.count > 1 && parts.last == ""
        if endsWithNewline { parts.removeLast() }
        if parts == [""] { parts = [] }
        let crlf = parts.filter { $0.hasSuffix("\r") }.count
        lineEnding = crlf * 2 > parts.count ? "\r\n" : "\n"
        lines = parts.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
    }

    /// The text again, with the original line ending.
    public var text: String {
        var s = lines.joined(separator: lineEnding)
        if endsWithNewline && !lines.isEmpty { s += lineEnding }
        return s
    }
}
