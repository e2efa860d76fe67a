/// A mistake in a notebook file itself (not in its code): an unclosed cell, an
/// unknown cell option, an unreadable file. Cell errors are `LangError`s.
public struct NotebookError: Error, CustomStringConvertible {
    /// `FILE:LINE: ` prefix when the mistake has a place.
    public var file: String?
    public var line: Int?
    public var message: String
    public var remedy: String?

    public init(_ message: String, file: String? = nil, line: Int? = nil, remedy: String? = nil) {
        self.message = message
        self.file = file
        self.line = line
        self.remedy = remedy
    }

    public var description: String {
        var out = ""
        if let f = file { out += f + ":" + (line.map { "\($0):" } ?? "") + " " }
        out += "error: " + message + "\n"
        if let r = remedy { out += "note: " + r + "\n" }
        return out
    }
}
