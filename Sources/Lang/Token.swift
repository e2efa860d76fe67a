/// One lexical token with the position of its first character.
public struct Token: CustomStringConvertible {
    public enum Kind: Equatable {
        case int(Int)
        case float(Double)
        case string(String)
        /// A string with `\(expr)` parts, in order.
        case interpolation([InterpolationPart])
        case identifier(String)
        /// A reserved word: see `Token.keywords`.
        case keyword(String)
        /// Punctuation and operators, spelled as in the source (`..<`, `+=`, `(`).
        case op(String)
        /// End of a statement (a newline outside parentheses and brackets, or `;`).
        case newline
        case eof
    }

    public let kind: Kind
    public let location: SourceLocation

    public static let keywords: Set<String> = [
        "let", "fn", "return", "if", "else", "for", "in", "while", "break", "continue",
        "true", "false", "nil", "and", "or", "not",
    ]

    /// Operators after which a line continues on the next line.
    static let continuing: Set<String> = [
        "+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=", ">", ">=", "=",
        "+=", "-=", "*=", "/=", "&&", "||", "!", "..<", "...", ".", ",", ":",
    ]
    static let continuingKeywords: Set<String> = ["and", "or", "not", "in"]

    /// Whether a statement cannot end after this token.
    var continuesLine: Bool {
        switch kind {
        case .op(let o): return Token.continuing.contains(o)
        case .keyword(let k): return Token.continuingKeywords.contains(k)
        default: return false
        }
    }

    public var description: String {
        switch kind {
        case .int(let v): return String(v)
        case .float(let v): return String(v)
        case .string(let s): return "\"\(s)\""
        case .interpolation: return "string"
        case .identifier(let s): return s
        case .keyword(let s): return s
        case .op(let s): return s
        case .newline: return "end of line"
        case .eof: return "end of input"
        }
    }
}

/// A piece of an interpolated string: literal text, or the source of an
/// expression with the position of its first character.
public enum InterpolationPart: Equatable {
    case text(String)
    case code(String, line: Int, column: Int)
}
