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

    /// Splits `text` on LF, dropping a CR before each LF. (Works on Unicode
    /// scalars: to Swift's `Character`, CR LF is one character, not two.)
    public init(_ text: String) {
        var parts: [String] = []
        var crlf = 0
        var current = String.UnicodeScalarView()
        var previousCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                if previousCR { current.removeLast(); crlf += 1 }
                parts.append(String(current))
                current = String.UnicodeScalarView()
                previousCR = false
            } else {
                current.append(scalar)
                previousCR = scalar == "\r"
            }
        }
        endsWithNewline = !parts.isEmpty && current.isEmpty
        if !current.isEmpty { parts.append(String(current)) }
        lineEnding = crlf * 2 > parts.count ? "\r\n" : "\n"
        lines = parts
    }

    /// The text again, with the original line ending.
    public var text: String {
        var s = lines.joined(separator: lineEnding)
        if endsWithNewline && !lines.isEmpty { s += lineEnding }
        return s
    }
}
