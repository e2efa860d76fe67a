/// One lexical token with the position of its first character.
public struct Token: CustomStringConvertible {
    public enum Kind: Equatable {
        case int(Int)
        case float(Double)
        case string(String)
        /// A string with `\(expr)` parts, in order.
        case interpolation([InterpolationPart])
        case identifier(String)
        /// A reserved word.
        case keyword(Keyword)
        /// Punctuation and operators (`..<`, `+=`, `(`).
        case op(Symbol)
        /// End of a statement (a newline outside parentheses and brackets, or `;`).
        case newline
        case eof
    }

    public let kind: Kind
    public let location: SourceLocation

    /// Whether a statement cannot end after this token.
    var continuesLine: Bool {
        switch kind {
        case .op(let o): return o.continuesLine
        case .keyword(let k): return k.continuesLine
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
        case .keyword(let k): return k.rawValue
        case .op(let o): return o.rawValue
        case .newline: return "end of line"
        case .eof: return "end of input"
        }
    }
}

/// The reserved words.
public enum Keyword: String, CaseIterable, Sendable {
    case `let`, fn, `return`, `if`, `else`, `for`, `in`, `while`, `break`, `continue`
    case `true`, `false`, `nil`, and, or, not

    /// A line ending in this word continues on the next line.
    var continuesLine: Bool { self == .and || self == .or || self == .not || self == .in }
}

/// Punctuation and operators, as the lexer reads them (longest match first).
public enum Symbol: String, CaseIterable, Sendable {
    case closedRange = "...", halfOpenRange = "..<", power = "**", floorDivide = "//"
    case equal = "==", notEqual = "!=", lessEqual = "<=", greaterEqual = ">=", less = "<", greater = ">"
    case andAnd = "&&", orOr = "||", bang = "!"
    case plusAssign = "+=", minusAssign = "-=", timesAssign = "*=", divideAssign = "/=", assign = "="
    case plus = "+", minus = "-", times = "*", divide = "/", remainder = "%"
    case dot = ".", comma = ",", colon = ":"
    case leftParen = "(", rightParen = ")", leftBracket = "[", rightBracket = "]", leftBrace = "{", rightBrace = "}"

    /// A line ending in this symbol continues on the next line (every operator; not brackets).
    var continuesLine: Bool {
        switch self {
        case .leftParen, .rightParen, .leftBracket, .rightBracket, .leftBrace, .rightBrace: return false
        default: return true
        }
    }

    /// The arithmetic of `+ - * / // % **`.
    var arithmetic: ArithmeticOperator? {
        switch self {
        case .plus: return .add
        case .minus: return .subtract
        case .times: return .multiply
        case .divide: return .divide
        case .floorDivide: return .floorDivide
        case .remainder: return .remainder
        case .power: return .power
        default: return nil
        }
    }

    /// The arithmetic of a compound assignment `+= -= *= /=`.
    var compoundArithmetic: ArithmeticOperator? {
        switch self {
        case .plusAssign: return .add
        case .minusAssign: return .subtract
        case .timesAssign: return .multiply
        case .divideAssign: return .divide
        default: return nil
        }
    }

    /// The comparison of `== != < <= > >=`.
    var comparison: ComparisonOperator? {
        switch self {
        case .equal: return .equal
        case .notEqual: return .notEqual
        case .less: return .less
        case .lessEqual: return .lessEqual
        case .greater: return .greater
        case .greaterEqual: return .greaterEqual
        default: return nil
        }
    }
}

/// A piece of an interpolated string: literal text, or the source of an
/// expression with the position of its first character.
public enum InterpolationPart: Equatable {
    case text(String)
    case code(String, line: Int, column: Int)
}
