import Foundation

/// The builtins that need no domain layer: printing, conversion, math, lists.
public enum CoreBuiltins {
    public static func install(into t: BuiltinTable) {
        // print shows domain values as the REPL echoes them (tables, figures),
        // so scripts can print a report or a comparison.
        t.register(Help("print", [.variadic("values", "values to write, separated by spaces; data sets, reports and figures are drawn as the REPL shows them")],
                        summary: "Writes values to the output, followed by a newline.",
                        example: "print(\"accuracy\", r.accuracy)\nprint(compare([base, ens], on: test))", returns: "nil")) { args, ctx in
            ctx.print(args.rest.map { v -> String in
                if case .object(let o) = v { return o.echo(ctx) }
                return v.printed
            }.joined(separator: " "))
            return .null
        }
        t.register(Help("len", [.positional("x", "a list, tuple, string, range or data set")],
                        summary: "Number of elements.", example: "len([1, 2, 3])   # 3", returns: "an int")) { args, _ in
            let v = try args.value("x")
            switch v {
            case .list(let l), .tuple(let l): return .int(l.count)
            case .string(let s): return .int(s.count)
            case .range(let a, let b): return .int(Value.rangeCount(a, b))
            case .object(let o): if let n = o.count { return .int(n) }
            default: break
            }
            throw args.error("x", "len() needs a collection, but got \(v.typeWithArticle)")
        }
        t.register(Help("type", [.positional("x", "any value")], summary: "The name of a value's type.",
                        example: "type(1.5)   # \"float\"", returns: "a string")) { args, _ in
            .string(try args.value("x").typeName)
        }
        t.register(Help("range", [.positional("start", "first value, or the end when alone"),
                                  .positional("end", "end (excluded)", .optional),
                                  .named("step", default: .int(1), "distance between values")],
                        summary: "Integers from start up to (not including) end: range(5) is 0..<5.",
                        example: "range(2, 10, step: 3)   # [2, 5, 8]", returns: "a range or a list")) { args, _ in
            var start = try args.int("start")
            var end = 0
            if args.has("end") { end = try args.int("end") } else { end = start; start = 0 }
            let step = try args.int("step")
            if step == 1 { return .range(start, end) }
            guard step != 0 else { throw args.error("step", "step must not be zero") }
            // Stepped exactly, with overflow checked (end - start may not fit in an Int).
            var items: [Value] = []
            var v = start
            while step > 0 ? v < end : v > end {
                guard items.count < 2_000_000 else {
                    throw args.error("step", "range(\(start), \(end), step: \(step)) has too many elements (more than 2000000)")
                }
                items.append(.int(v))
                let (next, overflow) = v.addingReportingOverflow(step)
                if overflow { break }
                v = next
            }
            return .list(items)
        }
        t.register(Help("str", [.positional("x", "any value")], summary: "The value as text, as print shows it.",
                        example: "\"epochs: \" + str(3)", returns: "a string")) { args, _ in
            .string(try args.value("x").printed)
        }
        t.register(Help("int", [.positional("x", "a number, bool or numeric string")],
                        summary: "Converts to an integer, truncating toward zero.", example: "int(\"42\")", returns: "an int")) { args, _ in
            let v = try args.value("x")
            switch v {
            case .int: return v
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d):
                guard d.isFinite, abs(d) < 9.2e18 else { throw args.error("x", "cannot convert \(Value.format(d)) to an integer") }
                return .int(Int(d))
            case .string(let s):
                if let i = Int(s.trimmingCharacters(in: .whitespaces)) { return .int(i) }
                throw args.error("x", "cannot convert \(Value.quote(s)) to an integer")
            default: throw args.error("x", "cannot convert \(v.typeWithArticle) to an integer")
            }
        }
        t.register(Help("float", [.positional("x", "a number, bool or numeric string")],
                        summary: "Converts to a floating-point number.", example: "float(\"1e-3\")", returns: "a float")) { args, _ in
            let v = try args.value("x")
            switch v {
            case .int(let i): return .double(Double(i))
            case .double: return v
            case .bool(let b): return .double(b ? 1 : 0)
            case .string(let s):
                if let d = Double(s.trimmingCharacters(in: .whitespaces)) { return .double(d) }
                throw args.error("x", "cannot convert \(Value.quote(s)) to a number")
            default: throw args.error("x", "cannot convert \(v.typeWithArticle) to a number")
            }
        }
        t.register(Help("abs", [.positional("x", "a number")], summary: "Absolute value.", example: "abs(-3)", returns: "a number")) { args, _ in
            let v = try args.value("x")
            if case .int(let i) = v {
                guard i != Int.min else { throw args.error("x", "abs(\(i)) overflows") }
                return .int(abs(i))
            }
            return .double(abs(try args.double("x")))
        }
        for (name, summary, f, domain) in mathFunctions {
            t.register(Help(name, [.positional("x", "a number")], summary: summary,
                            example: "\(name)(2.0)", returns: "a float")) { args, _ in
                let x = try args.double("x")
                if let check = domain, let message = check(x) { throw args.error("x", "\(name)(\(Value.format(x))): \(message)") }
                return .double(f(x))
            }
        }
        t.register(Help("round", [.positional("x", "a number"), .named("digits", default: .int(0), "decimal places to keep")],
                        summary: "Rounds to the nearest value (halves away from zero).",
                        example: "round(3.14159, digits: 2)   # 3.14", returns: "an int when digits is 0, else a float")) { args, _ in
            let x = try args.double("x")
            let digits = try args.int("digits")
            guard (0...15).contains(digits) else { throw args.error("digits", "digits must be between 0 and 15, got \(digits)") }
            if digits == 0 {
                let r = x.rounded()
                guard r.isFinite, abs(r) < 9.2e18 else { return .double(r) }
                return .int(Int(r))
            }
            let scale = pow(10.0, Double(digits))
            // Past 2^52 a double has no fractional digits to round (and x * scale could overflow).
            guard abs(x) < 0x1p52 else { return .double(x) }
            return .double((x * scale).rounded() / scale)
        }
        t.register(Help("floor", [.positional("x", "a number")], summary: "Largest integer not above x.", example: "floor(2.7)   # 2", returns: "an int")) { args, _ in
            try integral(args, (try args.double("x")).rounded(.down))
        }
        t.register(Help("ceil", [.positional("x", "a number")], summary: "Smallest integer not below x.", example: "ceil(2.1)   # 3", returns: "an int")) { args, _ in
            try integral(args, (try args.double("x")).rounded(.up))
        }
        t.register(Help("min", [.variadic("values", "numbers, or one list of numbers")],
                        summary: "The smallest value.", example: "min(3, 1, 2)   # 1", returns: "a number")) { args, _ in
            try extreme(args, name: "min", pick: .less)
        }
        t.register(Help("max", [.variadic("values", "numbers, or one list of numbers")],
                        summary: "The largest value.", example: "max([3, 1, 2])   # 3", returns: "a number")) { args, _ in
            try extreme(args, name: "max", pick: .greater)
        }
        t.register(Help("sum", [.positional("values", "a list or range of numbers")],
                        summary: "The sum of the values.", example: "sum(1...10)   # 55", returns: "a number")) { args, _ in
            var total: Value = .int(0)
            for v in try args.list("values") {
                guard v.isNumber else { throw args.error("values", "sum() needs numbers, but the list holds \(v.typeWithArticle)") }
                total = try Operators.binary(.arithmetic(.add), total, v, at: args.location ?? placeholderLocation)
            }
            return total
        }
        t.register(Help("mean", [.positional("values", "a non-empty list of numbers")],
                        summary: "The arithmetic mean.", example: "mean([1, 2, 3, 4])   # 2.5", returns: "a float")) { args, _ in
            let xs = try args.list("values")
            guard !xs.isEmpty else { throw args.error("values", "mean() of an empty list") }
            var total = 0.0
            for v in xs {
                switch v {
                case .int(let i): total += Double(i)
                case .double(let d): total += d
                default: throw args.error("values", "mean() needs numbers, but the list holds \(v.typeWithArticle)")
                }
            }
            return .double(total / Double(xs.count))
        }
        t.register(Help("list", [.positional("x", "a range, tuple, string or list")],
                        summary: "The elements as a list.", example: "list(0..<3)   # [0, 1, 2]", returns: "a list")) { args, _ in
            let v = try args.value("x")
            switch v {
            case .range(let a, let b):
                guard Value.rangeCount(a, b) <= 2_000_000 else { throw args.error("x", "range \(a)..<\(b) is too long to turn into a list") }
                return .list((a..<max(a, b)).map { .int($0) })
            case .string(let s): return .list(s.map { .string(String($0)) })
            default: return .list(try args.list("x"))
            }
        }
        t.register(Help("sorted", [.positional("values", "a list of numbers or of strings"),
                                   .named("reverse", default: .bool(false), "largest first")],
                        summary: "The values in increasing order.", example: "sorted([3, 1, 2])   # [1, 2, 3]", returns: "a list")) { args, _ in
            let xs = try args.list("values")
            let loc = args.location(of: "values") ?? placeholderLocation
            var failure: Error? = nil
            var out = xs.sorted { a, b in
                do { return try Operators.compare(.less, a, b, at: loc) } catch { failure = error; return false }
            }
            if let f = failure { throw f }
            if try args.bool("reverse") { out.reverse() }
            return .list(out)
        }
        t.register(Help("reversed", [.positional("values", "a list")], summary: "The values in reverse order.",
                        example: "reversed([1, 2, 3])", returns: "a list")) { args, _ in
            .list(try args.list("values").reversed())
        }
        t.register(Help("enumerate", [.positional("values", "a list")],
                        summary: "Pairs (index, value) for looping.", example: "for (i, x) in enumerate([\"a\", \"b\"]) { print(i, x) }",
                        returns: "a list of tuples")) { args, _ in
            .list(try args.list("values").enumerated().map { .tuple([.int($0.offset), $0.element]) })
        }
        t.register(Help("zip", [.positional("a", "a list"), .positional("b", "a list")],
                        summary: "Pairs of elements at the same index, as long as the shorter list.",
                        example: "zip([1, 2], [\"a\", \"b\"])", returns: "a list of tuples")) { args, _ in
            .list(zip(try args.list("a"), try args.list("b")).map { .tuple([$0, $1]) })
        }
        t.register(Help("seed", [.positional("value", "a non-negative integer")],
                        summary: "Sets the global seed that training, splits and sampling start from.",
                        example: "seed(42)", returns: "nil")) { args, ctx in
            let s = try args.int("value")
            guard s >= 0 else { throw args.error("value", "the seed must not be negative, got \(s)") }
            ctx.seed = UInt64(s)
            return .null
        }
        t.register(Help("assert", [.positional("condition", "must be true"),
                                   .positional("message", "what went wrong", .defaulted(.string("assertion failed")))],
                        summary: "Stops with an error when the condition is false.",
                        example: "assert(r.accuracy > 0.9, \"accuracy too low\")", returns: "nil")) { args, _ in
            if try !args.value("condition").isTruthy {
                throw LangError(.runtime, "assertion failed: \(try args.value("message").printed)", at: args.location(of: "condition"))
            }
            return .null
        }
        t.register(Help("help", [.positional("topic", "a builtin, a value, or a method name", .optional)],
                        summary: "Prints help, like the :help command.", example: "help(len)", returns: "nil")) { args, ctx in
            ctx.output(HelpText.text(for: args.optional("topic"), builtins: t))
            return .null
        }
    }

    static let placeholderLocation = SourceLocation(file: SourceFile(name: "<builtin>"), line: 0, column: 0)

    private static let mathFunctions: [(String, String, @Sendable (Double) -> Double, (@Sendable (Double) -> String?)?)] = [
        ("sqrt", "Square root.", { $0.squareRoot() }, { $0 < 0 ? "square root of a negative number" : nil }),
        ("exp", "e raised to x.", { Foundation.exp($0) }, nil),
        ("log", "Natural logarithm.", { Foundation.log($0) }, { $0 <= 0 ? "logarithm of a non-positive number" : nil }),
        ("sin", "Sine (radians).", { Foundation.sin($0) }, nil),
        ("cos", "Cosine (radians).", { Foundation.cos($0) }, nil),
        ("tanh", "Hyperbolic tangent.", { Foundation.tanh($0) }, nil),
    ]

    private static func integral(_ args: Arguments, _ d: Double) throws -> Value {
        guard d.isFinite, abs(d) < 9.2e18 else { throw args.error("x", "\(Value.format(d)) has no integer value") }
        return .int(Int(d))
    }

    private static func extreme(_ args: Arguments, name: String, pick: ComparisonOperator) throws -> Value {
        var values = args.rest
        if values.count == 1 {
            switch values[0] {
            case .list(let l), .tuple(let l): values = l
            case .range(let a, let b): values = b > a ? [.int(a), .int(b - 1)] : []
            default: break
            }
        }
        guard var best = values.first else {
            throw LangError(.argument, "\(name)() needs at least one value", at: args.location)
        }
        for v in values {
            guard v.isNumber || { if case .string = v { return true }; return false }() else {
                throw LangError(.type, "\(name)() needs numbers, but got \(v.typeWithArticle)", at: args.location)
            }
            if try Operators.compare(pick, v, best, at: args.location ?? placeholderLocation) { best = v }
        }
        return best
    }
}
