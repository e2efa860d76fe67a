/// A lora value. Lists and tuples are immutable; domain values (data sets,
/// models, ensembles, tensors, reports, figures) are `DomainObject`s.
public enum Value {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)
    case null
    case list([Value])
    case tuple([Value])
    /// A half-open integer range `lower..<upper` (`a...b` is stored as `a..<b+1`).
    case range(Int, Int)
    case function(Function)
    case object(DomainObject)

    /// The name of the value's type as users see it (`int`, `list`, `Dataset`, ...).
    public var typeName: String {
        switch self {
        case .int: return "int"
        case .double: return "float"
        case .string: return "string"
        case .bool: return "bool"
        case .null: return "nil"
        case .list: return "list"
        case .tuple: return "tuple"
        case .range: return "range"
        case .function(let f): return f.isBuiltin ? "builtin" : "function"
        case .object(let o): return o.typeName
        }
    }

    /// The type name with an article, for messages: "an int", "a Dataset".
    public var typeWithArticle: String {
        let t = typeName
        if t == "nil" { return "nil" }
        return ("aeiouAEIOU".contains(t.first!) ? "an " : "a ") + t
    }

    /// Whether the value counts as true in `if`, `while`, `and`, `or`, `not`.
    public var isTruthy: Bool {
        switch self {
        case .bool(let b): return b
        case .null: return false
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let l), .tuple(let l): return !l.isEmpty
        case .range(let a, let b): return b > a
        default: return true
        }
    }

    /// Number of elements of a range, possibly empty.
    /// Elements of a..<b; Int.max when there are more (-2^63 + 1 ..< 2^63 - 1).
    static func rangeCount(_ a: Int, _ b: Int) -> Int {
        guard b > a else { return 0 }
        let (n, overflow) = b.subtractingReportingOverflow(a)
        return overflow ? Int.max : n
    }
}

/// A callable value: a user function, a builtin, or a method bound to its receiver.
public final class Function {
    public enum Kind {
        case user(FunctionDecl, Environment)
        case builtin(Builtin)
        case method(DomainObject, Help)
    }
    public let kind: Kind
    public init(_ kind: Kind) { self.kind = kind }

    public var name: String {
        switch kind {
        case .user(let d, _): return d.name
        case .builtin(let b): return b.help.name
        case .method(_, let h): return h.name
        }
    }
    var isBuiltin: Bool { if case .user = kind { return false }; return true }

    public var signature: String {
        switch kind {
        case .user(let d, _): return "\(d.name)(\(d.parameters.joined(separator: ", ")))"
        case .builtin(let b): return b.help.signature
        case .method(let o, let h): return "\(o.typeName).\(h.signature)"
        }
    }
}

// MARK: formatting

extension Value {
    /// Text written by `print`: strings without quotes.
    public var printed: String {
        if case .string(let s) = self { return s }
        return repr(limit: 1000)
    }

    /// Text echoed by the REPL: strings quoted, domain values their summary or table.
    public func echo(_ context: Context) -> String {
        if case .object(let o) = self { return o.echo(context) }
        return repr(limit: 100)
    }

    /// A one-line summary (for `:vars` and lists), at most `width` characters.
    public func summary(width: Int = 60) -> String {
        let text: String
        switch self {
        case .object(let o): text = o.summary
        case .list(let l): text = "\(l.count) element\(l.count == 1 ? "" : "s"): " + repr(limit: 8)
        default: text = repr(limit: 8)
        }
        let oneLine = text.replacingOccurrences(of: "\n", with: " ")
        return oneLine.count > width ? String(oneLine.prefix(width - 3)) + "..." : oneLine
    }

    /// Source-like text; collections show at most `limit` elements.
    public func repr(limit: Int) -> String {
        switch self {
        case .int(let i): return String(i)
        case .double(let d): return Value.format(d)
        case .string(let s): return Value.quote(s)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "nil"
        case .list(let items): return "[" + Value.join(items, limit: limit) + "]"
        case .tuple(let items):
            return items.count == 1 ? "(" + items[0].repr(limit: limit) + ",)" : "(" + Value.join(items, limit: limit) + ")"
        case .range(let a, let b): return "\(a)..<\(b)"
        case .function(let f): return f.isBuiltin ? "<builtin \(f.signature)>" : "<fn \(f.signature)>"
        case .object(let o): return "<\(o.typeName): \(o.summary)>"
        }
    }

    static func join(_ items: [Value], limit: Int) -> String {
        if items.count <= limit { return items.map { $0.repr(limit: limit) }.joined(separator: ", ") }
        let head = items.prefix(limit).map { $0.repr(limit: limit) }.joined(separator: ", ")
        return head + ", ... (\(items.count - limit) more)"
    }

    /// Doubles print like Swift: `0.5`, `3.0`, `1e-05`, `inf`, `nan`.
    public static func format(_ d: Double) -> String { d.description }

    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 || u.value == 0x7f { out += "\\u{\(String(u.value, radix: 16))}" } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

// MARK: equality

extension Value {
    /// Structural equality; numbers compare across int and float; objects by identity.
    public func isEqual(to other: Value) -> Bool {
        switch (self, other) {
        case (.int(let a), .int(let b)): return a == b
        case (.int(let a), .double(let b)): return Double(a) == b
        case (.double(let a), .int(let b)): return a == Double(b)
        case (.double(let a), .double(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.isEqual(to: $1) }
        case (.range(let a1, let b1), .range(let a2, let b2)): return a1 == a2 && b1 == b2
        case (.function(let f), .function(let g)): return f === g
        case (.object(let a), .object(let b)): return a === b
        default: return false
        }
    }
}
