/// A fenced code block's opening line, as CommonMark defines it: up to three
/// spaces, then at least three backticks or tildes, then an info string (which
/// may not contain a backtick when the fence is made of backticks).
public struct Fence: Equatable {
    public var character: Character
    public var length: Int
    public var indent: Int
    /// The info string, trimmed: its first word is the language (`lora`, `output`).
    public var info: String

    /// The opening fence on `line`, or nil when the line opens no fence.
    public static func opening(_ line: String) -> Fence? {
        let chars = Array(line)
        var i = 0
        while i < chars.count && chars[i] == " " { i += 1 }
        guard i <= 3, i < chars.count, chars[i] == "`" || chars[i] == "~" else { return nil }
        let c = chars[i]
        var j = i
        while j < chars.count && chars[j] == c { j += 1 }
        guard j - i >= 3 else { return nil }
        let info = String(chars[j...]).trimmingWhitespace()
        if c == "`" && info.contains("`") { return nil }
        return Fence(character: c, length: j - i, indent: i, info: info)
    }

    /// True when `line` closes this fence: up to three spaces, at least as many
    /// of the same character, then only spaces or tabs.
    public func isClosed(by line: String) -> Bool {
        let chars = Array(line)
        var i = 0
        while i < chars.count && chars[i] == " " { i += 1 }
        guard i <= 3 else { return false }
        var j = i
        while j < chars.count && chars[j] == character { j += 1 }
        guard j - i >= length else { return false }
        return chars[j...].allSatisfy { $0 == " " || $0 == "\t" }
    }

    /// The language: the info string's first word.
    public var language: String {
        String(info.split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
    }

    /// The words after the language (cell options), commas also separating.
    public var options: [String] {
        info.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).dropFirst().map(String.init)
    }

    /// The fence line itself, e.g. "```output".
    public var line: String {
        String(repeating: " ", count: indent) + String(repeating: String(character), count: length) + (info.isEmpty ? "" : info)
    }

    /// The closing line for this fence.
    public var closingLine: String {
        String(repeating: " ", count: indent) + String(repeating: String(character), count: length)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
