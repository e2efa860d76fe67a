/// A parameter of a builtin or method. Positional parameters come first and may
/// also be passed by name; labeled parameters must be passed as `name: value`.
public struct Parameter {
    public enum Requirement {
        /// Must be given.
        case required
        /// May be left out; `Arguments.has` tells whether it was given.
        case optional
        /// Takes this value when left out.
        case defaulted(Value)
    }
    public let name: String
    public let labeled: Bool
    public let requirement: Requirement
    /// Collects all remaining positional arguments (`print(a, b, c)`).
    public let variadic: Bool
    public let summary: String

    /// A positional parameter: `f(x)`.
    public static func positional(_ name: String, _ summary: String, _ requirement: Requirement = .required) -> Parameter {
        Parameter(name: name, labeled: false, requirement: requirement, variadic: false, summary: summary)
    }
    /// A named parameter: `f(epochs: 3)`.
    public static func named(_ name: String, _ summary: String, _ requirement: Requirement = .optional) -> Parameter {
        Parameter(name: name, labeled: true, requirement: requirement, variadic: false, summary: summary)
    }
    /// A named parameter with a default value.
    public static func named(_ name: String, default value: Value, _ summary: String) -> Parameter {
        Parameter(name: name, labeled: true, requirement: .defaulted(value), variadic: false, summary: summary)
    }
    /// Any number of positional values: `print(a, b, c)`.
    public static func variadic(_ name: String, _ summary: String) -> Parameter {
        Parameter(name: name, labeled: false, requirement: .optional, variadic: true, summary: summary)
    }

    var isRequired: Bool { if case .required = requirement { return true }; return false }

    /// `epochs: 1`, `x`, `seed:`.
    public var signaturePart: String {
        if variadic { return "\(name)..." }
        var s = labeled ? "\(name):" : name
        switch requirement {
        case .defaulted(let v): s += labeled ? " \(v.repr(limit: 4))" : " = \(v.repr(limit: 4))"
        case .optional: s += labeled ? "" : "?"
        case .required: break
        }
        return s
    }
}

/// Documentation and parameter list of a builtin or a method; `:help name` prints it.
public struct Help {
    public let name: String
    public let parameters: [Parameter]
    public let summary: String
    public let example: String?
    /// What the call returns, in words ("a Dataset", "nil").
    public let returns: String?

    public init(_ name: String, _ parameters: [Parameter] = [], summary: String, example: String? = nil, returns: String? = nil) {
        self.name = name
        self.parameters = parameters
        self.summary = summary
        self.example = example
        self.returns = returns
    }

    /// `fit(data, epochs: 1, lr: 0.001)`.
    public var signature: String {
        "\(name)(" + parameters.map { $0.signaturePart }.joined(separator: ", ") + ")"
    }

    /// The text `:help` prints.
    public func render(owner: String? = nil) -> String {
        var out = (owner.map { "\($0)." } ?? "") + signature
        if let r = returns { out += " -> \(r)" }
        out += "\n  \(summary)\n"
        let documented = parameters.filter { !$0.summary.isEmpty }
        if !documented.isEmpty {
            let width = documented.map { $0.signaturePart.count }.max() ?? 0
            out += "Arguments:\n"
            for p in documented {
                out += "  " + p.signaturePart.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + p.summary + "\n"
            }
        }
        if let e = example { out += "Example:\n" + e.split(separator: "\n").map { "  \($0)\n" }.joined() }
        return out
    }
}

/// Arguments of one call, bound to a `Help`'s parameters and checked: the right
/// number of positional values, no unknown names, every required one present.
/// Typed accessors throw errors located at the offending argument.
public struct Arguments {
    /// `len` or `Dataset.split`, for messages.
    public let callee: String
    /// The call's position (its callee's location).
    public let location: SourceLocation?
    private var values: [String: (Value, SourceLocation?)] = [:]
    /// Values collected by a variadic parameter.
    public private(set) var rest: [Value] = []

    /// Binds call-site arguments to `help`'s parameters.
    public init(binding positional: [(Value, SourceLocation?)], named: [(String, Value, SourceLocation?)],
                to help: Help, callee: String, at location: SourceLocation?) throws {
        self.callee = callee
        self.location = location
        let params = help.parameters
        let positionalParams = params.filter { !$0.labeled && !$0.variadic }
        let variadic = params.first { $0.variadic }
        for (i, arg) in positional.enumerated() {
            if i < positionalParams.count {
                values[positionalParams[i].name] = arg
            } else if variadic != nil {
                rest.append(arg.0)
            } else {
                let names = positionalParams.map { $0.name }
                let takes = positionalParams.isEmpty ? "takes no positional arguments"
                    : "takes \(positionalParams.count) positional argument\(positionalParams.count == 1 ? "" : "s") (\(names.joined(separator: ", ")))"
                let labeled = params.filter { $0.labeled }.map { "\($0.name):" }
                throw LangError(.argument, "\(callee) \(takes), but \(positional.count) were given", at: arg.1 ?? location,
                                remedy: labeled.isEmpty ? "see :help \(help.name)" : "pass the others by name: \(labeled.joined(separator: ", "))")
            }
        }
        for (name, value, loc) in named {
            guard let p = params.first(where: { $0.name == name && !$0.variadic }) else {
                let known = params.filter { !$0.variadic }.map { $0.name }
                let remedy = Suggest.didYouMean(name, in: known)
                    ?? (known.isEmpty ? "\(callee) takes no named arguments" : "\(callee) accepts: \(known.map { "\($0):" }.joined(separator: ", "))")
                throw LangError(.argument, "unknown argument '\(name)' for \(callee)", at: loc ?? location, remedy: remedy)
            }
            if values[p.name] != nil {
                throw LangError(.argument, "argument '\(name)' of \(callee) is given twice", at: loc ?? location)
            }
            values[p.name] = (value, loc)
        }
        for p in params where p.isRequired && values[p.name] == nil {
            throw LangError(.argument, "missing argument '\(p.name)' for \(callee)", at: location,
                            remedy: "call it as \(help.signature)")
        }
        for p in params {
            if case .defaulted(let v) = p.requirement, values[p.name] == nil { values[p.name] = (v, nil) }
        }
    }

    /// Whether argument `name` was given (or has a default).
    public func has(_ name: String) -> Bool { values[name] != nil && !isNull(name) }
    private func isNull(_ name: String) -> Bool { if case .null? = values[name]?.0 { return true }; return false }

    /// Where argument `name` was written (the call's position if it was defaulted).
    public func location(of name: String) -> SourceLocation? { values[name]?.1 ?? location }

    /// An error about argument `name`, located at it.
    public func error(_ name: String, _ message: String, remedy: String? = nil) -> LangError {
        LangError(.type, message, at: location(of: name), remedy: remedy)
    }

    /// The raw value of a required argument.
    public func value(_ name: String) throws -> Value {
        guard let v = values[name] else { throw LangError(.argument, "missing argument '\(name)' for \(callee)", at: location) }
        return v.0
    }
    /// The raw value of an optional argument, nil when absent or `nil`.
    public func optional(_ name: String) -> Value? { has(name) ? values[name]!.0 : nil }

    private func typeError(_ name: String, _ want: String, _ got: Value) -> LangError {
        error(name, "argument '\(name)' of \(callee) must be \(want), but got \(got.typeWithArticle) (\(got.repr(limit: 4)))")
    }

    public func int(_ name: String) throws -> Int {
        let v = try value(name)
        switch v {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9e15: return Int(d)
        default: throw typeError(name, "an integer", v)
        }
    }
    public func optionalInt(_ name: String) throws -> Int? { has(name) ? try int(name) : nil }

    public func double(_ name: String) throws -> Double {
        let v = try value(name)
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: throw typeError(name, "a number", v)
        }
    }
    public func optionalDouble(_ name: String) throws -> Double? { has(name) ? try double(name) : nil }

    public func string(_ name: String) throws -> String {
        let v = try value(name)
        if case .string(let s) = v { return s }
        throw typeError(name, "a string", v)
    }
    public func optionalString(_ name: String) throws -> String? { has(name) ? try string(name) : nil }

    public func bool(_ name: String) throws -> Bool {
        let v = try value(name)
        if case .bool(let b) = v { return b }
        throw typeError(name, "true or false", v)
    }

    /// A list, tuple or range as an array of values.
    public func list(_ name: String) throws -> [Value] {
        let v = try value(name)
        switch v {
        case .list(let l), .tuple(let l): return l
        case .range(let a, let b):
            guard Value.rangeCount(a, b) <= 2_000_000 else { throw error(name, "range \(a)..<\(b) is too long to turn into a list") }
            return (a..<max(a, b)).map { .int($0) }
        default: throw typeError(name, "a list", v)
        }
    }

    /// A domain object of a given Swift type; `typeName` is used in the message.
    public func object<T>(_ name: String, as type: T.Type, typeName: String) throws -> T {
        let v = try value(name)
        if case .object(let o) = v, let t = o as? T { return t }
        throw typeError(name, typeName.first.map { "aeiouAEIOU".contains($0) ? "an \(typeName)" : "a \(typeName)" } ?? typeName, v)
    }
}
