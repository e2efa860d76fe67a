/// What kind of mistake a `LangError` reports; used by tests and by the REPL.
public enum ErrorKind: String, Sendable {
    case syntax, name, argument, type, index, arithmetic, limit, interrupted, runtime
}

/// Every error the language reports: a message, where it happened, and a remedy.
/// Errors thrown by domain code (any Swift `Error`) are wrapped into a
/// `.runtime` LangError at the position of the call that raised them.
public struct LangError: Error, CustomStringConvertible {
    public var kind: ErrorKind
    public var message: String
    public var location: SourceLocation?
    /// A hint on what to do instead, printed as `note:` under the caret.
    public var remedy: String?

    public init(_ kind: ErrorKind, _ message: String, at location: SourceLocation? = nil, remedy: String? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
        self.remedy = remedy
    }

    /// The same error with a location, unless it already has one.
    public func located(_ location: SourceLocation?) -> LangError {
        var copy = self
        if copy.location == nil { copy.location = location }
        return copy
    }

    public var description: String { Diagnostic.format(self) }
}

/// Formats errors like the Swift compiler does:
///
///     train.lora:3:7: error: unknown name 'ensemle'
///       3 | print(ensemle)
///         |       ^
///     note: did you mean 'ensemble'?
public enum Diagnostic {
    /// Longest stretch of a source line shown; very long lines are cut around the column.
    public static let maxShownWidth = 100

    public static func format(_ error: LangError) -> String {
        var out = ""
        guard let loc = error.location else {
            out = "error: \(error.message)\n"
            if let r = error.remedy { out += "note: \(r)\n" }
            return out
        }
        out = "\(loc.file.name):\(loc.line):\(loc.column): error: \(error.message)\n"
        if let text = loc.file.line(loc.line) {
            let (shown, caretColumn) = window(of: text, column: loc.column)
            let number = String(loc.line)
            let pad = String(repeating: " ", count: number.count)
            out += "\(number) | \(shown)\n"
            out += "\(pad) | \(String(repeating: " ", count: max(0, caretColumn - 1)))^\n"
        }
        if let r = error.remedy { out += "note: \(r)\n" }
        return out
    }

    /// The part of `text` to display and the caret column inside it; tabs become
    /// spaces and control characters are made visible so the caret lines up.
    static func window(of text: String, column: Int) -> (String, Int) {
        var scalars = Array(text.unicodeScalars).map { s -> Character in
            if s == "\t" { return " " }
            if s.value < 0x20 || s.value == 0x7f { return "\u{FFFD}" }
            return Character(s)
        }
        var caret = column
        if scalars.count > maxShownWidth {
            let start = max(0, min(column - 1 - maxShownWidth / 2, scalars.count - maxShownWidth))
            let end = min(scalars.count, start + maxShownWidth)
            var cut = Array(scalars[start..<end])
            if start > 0 { cut.insert(contentsOf: "...", at: 0); caret = column - start + 3 } else { caret = column }
            if end < scalars.count { cut.append(contentsOf: "...") }
            scalars = cut
        }
        return (String(scalars), caret)
    }
}

/// "Did you mean" suggestions by edit distance.
public enum Suggest {
    /// Levenshtein distance between two strings (case-sensitive).
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// The closest candidate to `name`, if it is close enough to be a likely typo.
    public static func closest(to name: String, in candidates: [String]) -> String? {
        guard name.count <= 64 else { return nil }
        let limit = name.count <= 4 ? 1 : (name.count <= 8 ? 2 : 3)
        var best: (String, Int)? = nil
        for c in candidates where c != name {
            let d = c.lowercased() == name.lowercased() ? 0 : distance(name, c)
            if d <= limit, best == nil || d < best!.1 || (d == best!.1 && c < best!.0) { best = (c, d) }
        }
        return best?.0
    }

    /// `did you mean 'x'?` or nil.
    public static func didYouMean(_ name: String, in candidates: [String]) -> String? {
        closest(to: name, in: candidates).map { "did you mean '\($0)'?" }
    }
}
