/// The syntax tree. Every node keeps the location diagnostics point at.

/// `+ - * / // % **`: numbers (and strings, lists, tensors) to a value.
public enum ArithmeticOperator: String, CaseIterable, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//"
    case remainder = "%", power = "**"
}

/// `== != < <= > >=`: two values to a bool.
public enum ComparisonOperator: String, CaseIterable, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
}

/// A binary operator: arithmetic or comparison, so each evaluator handles only its own kind.
public enum BinaryOperator: Equatable, Sendable {
    case arithmetic(ArithmeticOperator)
    case comparison(ComparisonOperator)

    /// The operator as written.
    public var rawValue: String {
        switch self {
        case .arithmetic(let a): return a.rawValue
        case .comparison(let c): return c.rawValue
        }
    }
}

public enum UnaryOperator: String, Sendable {
    case negate = "-", not = "!"
}

/// One argument at a call site: positional (`label == nil`) or named (`epochs: 3`).
public struct CallArgument {
    public let label: String?
    public let value: Expr
    public let location: SourceLocation
}

public struct Expr {
    public indirect enum Kind {
        case int(Int)
        case float(Double)
        case string(String)
        /// `"acc \(r.accuracy)"`: the printed values of the parts, joined.
        case interpolation([Expr])
        case bool(Bool)
        case `nil`
        case name(String)
        case list([Expr])
        case tuple([Expr])
        case range(Expr, Expr, inclusive: Bool)
        case unary(UnaryOperator, Expr)
        case binary(BinaryOperator, Expr, Expr)
        case and(Expr, Expr)
        case or(Expr, Expr)
        case call(Expr, [CallArgument])
        /// `value.name`; the location of the expression is the name's.
        case member(Expr, String)
        case index(Expr, Expr)
    }
    public let kind: Kind
    public let location: SourceLocation
    /// Height of the tree below this node; the parser refuses very tall trees.
    public let height: Int

    public init(kind: Kind, location: SourceLocation) {
        self.kind = kind
        self.location = location
        var h = 0
        switch kind {
        case .int, .float, .string, .bool, .nil, .name: h = 0
        case .list(let xs), .tuple(let xs), .interpolation(let xs): h = xs.map { $0.height }.max() ?? 0
        case .range(let a, let b, _), .binary(_, let a, let b), .and(let a, let b), .or(let a, let b), .index(let a, let b):
            h = max(a.height, b.height)
        case .unary(_, let x), .member(let x, _): h = x.height
        case .call(let f, let args): h = max(f.height, args.map { $0.value.height }.max() ?? 0)
        }
        height = h + 1
    }
}

/// A binding target of `let` and `for`: a name, `_`, or a tuple of patterns.
public indirect enum Pattern {
    case name(String, SourceLocation)
    case ignore
    case tuple([Pattern], SourceLocation)

    /// The names this pattern binds.
    public var names: [String] {
        switch self {
        case .name(let n, _): return [n]
        case .ignore: return []
        case .tuple(let ps, _): return ps.flatMap { $0.names }
        }
    }
}

/// A user function: `fn name(a, b) { ... }`.
public final class FunctionDecl {
    public let name: String
    public let parameters: [String]
    public let body: [Stmt]
    public let location: SourceLocation
    init(name: String, parameters: [String], body: [Stmt], location: SourceLocation) {
        self.name = name
        self.parameters = parameters
        self.body = body
        self.location = location
    }
}

public struct Stmt {
    public indirect enum Kind {
        case `let`(Pattern, Expr)
        case assign(String, Expr)
        case compoundAssign(String, ArithmeticOperator, Expr)
        case expression(Expr)
        case function(FunctionDecl)
        case `return`(Expr?)
        case `if`(Expr, [Stmt], else: [Stmt]?)
        case `for`(Pattern, Expr, [Stmt])
        case `while`(Expr, [Stmt])
        case `break`
        case `continue`
    }
    public let kind: Kind
    public let location: SourceLocation
}
