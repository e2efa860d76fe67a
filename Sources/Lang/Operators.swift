import Foundation

/// Arithmetic, comparison and indexing on values.
enum Operators {
    static func binary(_ op: BinaryOperator, _ l: Value, _ r: Value, at loc: SourceLocation) throws -> Value {
        if case .object(let o) = l, let v = try o.binary(op, r, selfOnLeft: true) { return v }
        if case .object(let o) = r, let v = try o.binary(op, l, selfOnLeft: false) { return v }
        switch op {
        case .comparison(.equal): return .bool(l.isEqual(to: r))
        case .comparison(.notEqual): return .bool(!l.isEqual(to: r))
        case .comparison(let c): return .bool(try compare(c, l, r, at: loc))
        case .arithmetic(let a): return try arithmetic(a, l, r, at: loc)
        }
    }

    static func arithmetic(_ op: ArithmeticOperator, _ l: Value, _ r: Value, at loc: SourceLocation) throws -> Value {
        switch (l, r) {
        case (.int(let a), .int(let b)): return try integer(op, a, b, at: loc)
        case (.int(let a), .double(let b)): return try real(op, Double(a), b, at: loc)
        case (.double(let a), .int(let b)): return try real(op, a, Double(b), at: loc)
        case (.double(let a), .double(let b)): return try real(op, a, b, at: loc)
        case (.string(let a), .string(let b)) where op == .add:
            // Characters never outnumber UTF-8 bytes: count them only near the limit.
            if a.utf8.count + b.utf8.count > maxStringCharacters { try checkSize(a.count + b.count, limit: maxStringCharacters, of: "characters", at: loc) }
            return .string(a + b)
        case (.list(let a), .list(let b)) where op == .add:
            try checkSize(a.count + b.count, limit: maxListElements, of: "elements", at: loc)
            return .list(a + b)
        case (.tuple(let a), .tuple(let b)) where op == .add:
            try checkSize(a.count + b.count, limit: maxListElements, of: "elements", at: loc)
            return .tuple(a + b)
        case (.string(let s), .int(let n)) where op == .multiply: return .string(try repeated(n, count: s.count, limit: maxStringCharacters, at: loc) { String(repeating: s, count: $0) })
        case (.int(let n), .string(let s)) where op == .multiply: return .string(try repeated(n, count: s.count, limit: maxStringCharacters, at: loc) { String(repeating: s, count: $0) })
        case (.list(let a), .int(let n)) where op == .multiply: return .list(try repeated(n, count: a.count, at: loc) { Array([[Value]](repeating: a, count: $0).joined()) })
        default:
            var remedy: String? = nil
            if case .string = l, r.isNumber { remedy = "convert the number first: str(x)" }
            if case .string = r, l.isNumber { remedy = "convert the number first: str(x), or the string with float(s)" }
            throw LangError(.type, "cannot apply '\(op.rawValue)' to \(l.typeWithArticle) and \(r.typeWithArticle)", at: loc, remedy: remedy)
        }
    }

    /// The largest string and list a `*` or `+` may build.
    static let maxStringCharacters = 10_000_000
    static let maxListElements = 2_000_000

    /// Refuses a `+` whose result would be larger than `*` may build.
    private static func checkSize(_ total: Int, limit: Int, of what: String, at loc: SourceLocation) throws {
        guard total <= limit else {
            throw LangError(.limit, "the result would have \(total) \(what), more than the \(limit) allowed", at: loc,
                            remedy: "build smaller values (the limit guards against runaway growth, e.g. x = x + x in a loop)")
        }
    }

    private static func repeated<T>(_ n: Int, count: Int, limit: Int = 2_000_000, at loc: SourceLocation, _ make: (Int) -> T) throws -> T {
        guard n >= 0 else { throw LangError(.arithmetic, "cannot repeat a negative number of times (\(n))", at: loc) }
        let (total, overflow) = n.multipliedReportingOverflow(by: max(1, count))
        guard !overflow, total <= limit else {
            throw LangError(.limit, "the result would have \(overflow ? "too many" : String(total)) elements", at: loc,
                            remedy: "repeat fewer times")
        }
        return make(n)
    }

    static func integer(_ op: ArithmeticOperator, _ a: Int, _ b: Int, at loc: SourceLocation) throws -> Value {
        func check(_ r: (partialValue: Int, overflow: Bool)) throws -> Value {
            if r.overflow {
                throw LangError(.arithmetic, "integer overflow in \(a) \(op.rawValue) \(b)", at: loc,
                                remedy: "use floats for very large numbers, e.g. \(a).0")
            }
            return .int(r.partialValue)
        }
        switch op {
        case .add: return try check(a.addingReportingOverflow(b))
        case .subtract: return try check(a.subtractingReportingOverflow(b))
        case .multiply: return try check(a.multipliedReportingOverflow(by: b))
        case .divide:
            if b == 0 { throw divisionByZero(loc) }
            return .double(Double(a) / Double(b))
        case .floorDivide, .remainder:
            if b == 0 { throw divisionByZero(loc) }
            if a == Int.min && b == -1 { throw LangError(.arithmetic, "integer overflow in \(a) \(op.rawValue) \(b)", at: loc) }
            var q = a / b, m = a % b
            if m != 0 && ((m < 0) != (b < 0)) { q -= 1; m += b }
            return .int(op == .floorDivide ? q : m)
        case .power:
            if b < 0 { return .double(pow(Double(a), Double(b))) }
            var result = 1, base = a, e = b
            while e > 0 {
                if e & 1 == 1 { _ = try check(result.multipliedReportingOverflow(by: base)); result = result &* base }
                e >>= 1
                if e > 0 { _ = try check(base.multipliedReportingOverflow(by: base)); base = base &* base }
            }
            return .int(result)
        }
    }

    static func real(_ op: ArithmeticOperator, _ a: Double, _ b: Double, at loc: SourceLocation) throws -> Value {
        switch op {
        case .add: return .double(a + b)
        case .subtract: return .double(a - b)
        case .multiply: return .double(a * b)
        case .divide:
            if b == 0 { throw divisionByZero(loc) }
            return .double(a / b)
        case .floorDivide:
            if b == 0 { throw divisionByZero(loc) }
            return .double((a / b).rounded(.down))
        case .remainder:
            if b == 0 { throw divisionByZero(loc) }
            let m = fmod(a, b)
            return .double(m != 0 && ((m < 0) != (b < 0)) ? m + b : m)
        case .power: return .double(pow(a, b))
        }
    }

    static func divisionByZero(_ loc: SourceLocation) -> LangError {
        LangError(.arithmetic, "division by zero", at: loc, remedy: "check the divisor before dividing")
    }

    static func compare(_ op: ComparisonOperator, _ l: Value, _ r: Value, at loc: SourceLocation) throws -> Bool {
        func ordered<T: Comparable>(_ a: T, _ b: T) -> Bool {
            switch op {
            case .equal: return a == b
            case .notEqual: return a != b
            case .less: return a < b
            case .lessEqual: return a <= b
            case .greater: return a > b
            case .greaterEqual: return a >= b
            }
        }
        switch (l, r) {
        case (.int(let a), .int(let b)): return ordered(a, b)
        case (.int(let a), .double(let b)): return ordered(Double(a), b)
        case (.double(let a), .int(let b)): return ordered(a, Double(b))
        case (.double(let a), .double(let b)): return ordered(a, b)
        case (.string(let a), .string(let b)): return ordered(a, b)
        default:
            throw LangError(.type, "cannot compare \(l.typeWithArticle) with \(r.typeWithArticle) using '\(op.rawValue)'", at: loc)
        }
    }

    static func unary(_ op: UnaryOperator, _ v: Value, at loc: SourceLocation) throws -> Value {
        switch op {
        case .not: return .bool(!v.isTruthy)
        case .negate:
            switch v {
            case .int(let i):
                if i == Int.min { throw LangError(.arithmetic, "integer overflow in -(\(i))", at: loc) }
                return .int(-i)
            case .double(let d): return .double(-d)
            case .object(let o):
                if let r = try o.binary(.arithmetic(.multiply), .int(-1), selfOnLeft: true) { return r }
                fallthrough
            default:
                throw LangError(.type, "cannot negate \(v.typeWithArticle)", at: loc)
            }
        }
    }

    // MARK: indexing

    static func index(_ base: Value, _ index: Value, at loc: SourceLocation) throws -> Value {
        switch base {
        case .list(let items):
            return try pick(items, index, kind: "list", at: loc, wrapSlice: { .list($0) })
        case .tuple(let items):
            return try pick(items, index, kind: "tuple", at: loc, wrapSlice: { .tuple($0) })
        case .string(let s):
            let chars = s.map { Value.string(String($0)) }
            return try pick(chars, index, kind: "string", at: loc, wrapSlice: { .string($0.map { $0.printed }.joined()) })
        case .range(let a, let b):
            let n = Value.rangeCount(a, b)
            switch index {
            case .int(let i):
                let j = try position(i, count: n, kind: "range", at: loc)
                return .int(a + j)
            case .range(let lo, let hi):
                try checkSlice(lo, hi, count: n, kind: "range", at: loc)
                return .range(a + lo, a + hi)
            default: break
            }
        case .object(let o):
            if let v = try o.index(index) { return v }
            throw LangError(.type, "\(o.typeName) cannot be indexed", at: loc)
        default:
            throw LangError(.type, "\(base.typeWithArticle) cannot be indexed", at: loc,
                            remedy: "indexing works on lists, tuples, strings, ranges and data sets")
        }
        throw LangError(.type, "index must be an integer or a range, not \(index.typeWithArticle)", at: loc)
    }

    private static func pick(_ items: [Value], _ index: Value, kind: String, at loc: SourceLocation,
                             wrapSlice: ([Value]) -> Value) throws -> Value {
        switch index {
        case .int(let i):
            return items[try position(i, count: items.count, kind: kind, at: loc)]
        case .range(let lo, let hi):
            try checkSlice(lo, hi, count: items.count, kind: kind, at: loc)
            return wrapSlice(hi > lo ? Array(items[lo..<hi]) : [])
        default:
            throw LangError(.type, "index must be an integer or a range, not \(index.typeWithArticle)", at: loc)
        }
    }

    /// Resolves a possibly negative index (counting from the end) or throws.
    static func position(_ i: Int, count: Int, kind: String, at loc: SourceLocation) throws -> Int {
        let j = i < 0 ? count + i : i
        guard j >= 0 && j < count else {
            throw LangError(.index, "index \(i) is out of range for \(kind == "range" || kind == "string" ? "a" : "a") \(kind) of \(count) element\(count == 1 ? "" : "s")",
                            at: loc, remedy: count == 0 ? "the \(kind) is empty" : "valid indexes are 0..<\(count), or -\(count)...-1 from the end")
        }
        return j
    }

    static func checkSlice(_ lo: Int, _ hi: Int, count: Int, kind: String, at loc: SourceLocation) throws {
        guard lo >= 0 && hi <= count && lo <= hi else {
            throw LangError(.index, "slice \(lo)..<\(hi) is out of range for a \(kind) of \(count) element\(count == 1 ? "" : "s")",
                            at: loc, remedy: "slices must lie within 0..<\(count)")
        }
    }
}

extension Value {
    var isNumber: Bool {
        switch self {
        case .int, .double: return true
        default: return false
        }
    }
}
