import Foundation

/// Walks the syntax tree. Errors are `LangError`s with locations; errors thrown
/// by domain code are wrapped and located at the call that raised them.
public final class Interpreter {
    /// Calls nested deeper than this are refused (runaway recursion).
    public static let maxCallDepth = 200

    public let globals: Environment
    public let builtins: BuiltinTable
    public let context: Context
    private var callDepth = 0

    public init(builtins: BuiltinTable, context: Context, globals: Environment = Environment()) {
        self.builtins = builtins
        self.context = context
        self.globals = globals
    }

    private enum Flow {
        case normal
        case returned(Value)
        case broke
        case continued
    }

    /// Runs top-level statements; returns the value of the last statement when
    /// it is a bare expression (the REPL echoes it), else nil.
    @discardableResult
    public func run(_ statements: [Stmt]) throws -> Value? {
        var last: Value? = nil
        for s in statements {
            last = nil
            if case .expression(let e) = s.kind {
                last = try evaluate(e, in: globals)
                continue
            }
            switch try execute(s, in: globals) {
            case .normal: break
            case .returned: throw LangError(.syntax, "'return' outside a function", at: s.location)
            case .broke: throw LangError(.syntax, "'break' outside a loop", at: s.location)
            case .continued: throw LangError(.syntax, "'continue' outside a loop", at: s.location)
            }
        }
        return last
    }

    // MARK: statements

    private func execute(_ body: [Stmt], in env: Environment) throws -> Flow {
        for s in body {
            let flow = try execute(s, in: env)
            if case .normal = flow { continue }
            return flow
        }
        return .normal
    }

    private func execute(_ s: Stmt, in env: Environment) throws -> Flow {
        switch s.kind {
        case .expression(let e):
            _ = try evaluate(e, in: env)
        case .let(let pattern, let e):
            try bind(pattern, try evaluate(e, in: env), in: env, at: e.location)
        case .assign(let name, let e):
            let v = try evaluate(e, in: env)
            try rebind(name, v, in: env, at: s.location)
        case .compoundAssign(let name, let op, let e):
            guard let old = env.lookup(name) else { throw unknownName(name, in: env, at: s.location) }
            let v = try Operators.binary(.arithmetic(op), old, try evaluate(e, in: env), at: e.location)
            try rebind(name, v, in: env, at: s.location)
        case .function(let decl):
            env.define(decl.name, .function(Function(.user(decl, env))))
        case .return(let e):
            return .returned(try e.map { try evaluate($0, in: env) } ?? .null)
        case .if(let condition, let then, let otherwise):
            if try evaluate(condition, in: env).isTruthy {
                return try execute(then, in: Environment(parent: env))
            } else if let o = otherwise {
                return try execute(o, in: Environment(parent: env))
            }
        case .while(let condition, let body):
            while try evaluate(condition, in: env).isTruthy {
                try checkInterrupt(at: s.location)
                let flow = try execute(body, in: Environment(parent: env))
                switch flow {
                case .broke: return .normal
                case .returned: return flow
                default: continue
                }
            }
        case .for(let pattern, let sequence, let body):
            let seq = try evaluate(sequence, in: env)
            var flowOut: Flow = .normal
            try iterate(seq, at: sequence.location) { item in
                try checkInterrupt(at: s.location)
                let scope = Environment(parent: env)
                try bind(pattern, item, in: scope, at: sequence.location)
                let flow = try execute(body, in: scope)
                switch flow {
                case .broke: return false
                case .returned: flowOut = flow; return false
                default: return true
                }
            }
            return flowOut
        case .break:
            return .broke
        case .continue:
            return .continued
        }
        return .normal
    }

    private func checkInterrupt(at loc: SourceLocation) throws {
        if context.cancellation.isSet {
            throw LangError(.interrupted, "interrupted", at: loc, remedy: "Ctrl-C stopped the work; variables keep their last values")
        }
    }

    private func rebind(_ name: String, _ v: Value, in env: Environment, at loc: SourceLocation) throws {
        if !env.assign(name, v) {
            throw LangError(.name, "cannot assign to '\(name)': it is not defined", at: loc,
                            remedy: Suggest.didYouMean(name, in: env.visibleNames) ?? "define it first with 'let \(name) = ...'")
        }
    }

    /// Calls `body` for each element of a list, tuple, range, string or collection object; stops when it returns false.
    func iterate(_ seq: Value, at loc: SourceLocation, _ body: (Value) throws -> Bool) throws {
        switch seq {
        case .list(let items), .tuple(let items):
            for i in items where try !body(i) { return }
        case .range(let a, let b):
            var i = a
            while i < b { if try !body(.int(i)) { return }; i += 1 }
        case .string(let s):
            for c in s where try !body(.string(String(c))) { return }
        case .object(let o) where o.count != nil:
            for i in 0..<o.count! {
                guard let item = try o.index(.int(i)) else { break }
                if try !body(item) { return }
            }
        default:
            throw LangError(.type, "cannot loop over \(seq.typeWithArticle)", at: loc,
                            remedy: "loop over a list, a range such as 0..<n, or a string")
        }
    }

    /// Binds a `let`/`for` pattern, destructuring tuples and lists.
    private func bind(_ pattern: Pattern, _ value: Value, in env: Environment, at loc: SourceLocation) throws {
        switch pattern {
        case .ignore:
            return
        case .name(let n, _):
            if case .object(let o) = value { o.bound(to: n) }
            env.define(n, value)
        case .tuple(let parts, let ploc):
            let items: [Value]
            switch value {
            case .tuple(let t), .list(let t): items = t
            default:
                throw LangError(.type, "cannot destructure \(value.typeWithArticle) into \(parts.count) names", at: ploc,
                                remedy: "the right-hand side must be a tuple or list of \(parts.count) values")
            }
            guard items.count == parts.count else {
                throw LangError(.type, "cannot destructure \(items.count) value\(items.count == 1 ? "" : "s") into \(parts.count) names", at: ploc,
                                remedy: "use as many names as values (\(items.count)), or '_' to skip one")
            }
            for (p, v) in zip(parts, items) { try bind(p, v, in: env, at: loc) }
        }
    }

    // MARK: expressions

    public func evaluate(_ e: Expr, in env: Environment) throws -> Value {
        switch e.kind {
        case .int(let v): return .int(v)
        case .float(let v): return .double(v)
        case .string(let s): return .string(s)
        case .interpolation(let parts):
            var text = ""
            for p in parts { text += try evaluate(p, in: env).printed }
            return .string(text)
        case .bool(let b): return .bool(b)
        case .nil: return .null
        case .name(let n):
            if let v = env.lookup(n) { return v }
            if let b = builtins.lookup(n) { return .function(Function(.builtin(b))) }
            throw unknownName(n, in: env, at: e.location)
        case .list(let items):
            return .list(try items.map { try evaluate($0, in: env) })
        case .tuple(let items):
            return .tuple(try items.map { try evaluate($0, in: env) })
        case .range(let lo, let hi, let inclusive):
            let a = try evaluate(lo, in: env), b = try evaluate(hi, in: env)
            guard case .int(let x) = a else { throw rangeBound(a, at: lo.location) }
            guard case .int(var y) = b else { throw rangeBound(b, at: hi.location) }
            if inclusive {
                guard y < Int.max else { throw LangError(.arithmetic, "range upper bound is too large", at: hi.location) }
                y += 1
            }
            return .range(x, y)
        case .unary(let op, let x):
            return try Operators.unary(op, try evaluate(x, in: env), at: e.location)
        case .binary(let op, let l, let r):
            let a = try evaluate(l, in: env)
            let b = try evaluate(r, in: env)
            do {
                return try Operators.binary(op, a, b, at: e.location)
            } catch let error as LangError {
                throw error
            } catch {
                throw wrap(error, at: e.location)
            }
        case .and(let l, let r):
            let a = try evaluate(l, in: env)
            return a.isTruthy ? try evaluate(r, in: env) : a
        case .or(let l, let r):
            let a = try evaluate(l, in: env)
            return a.isTruthy ? a : try evaluate(r, in: env)
        case .member(let base, let name):
            return try member(try evaluate(base, in: env), name, at: e.location)
        case .index(let base, let index):
            let b = try evaluate(base, in: env)
            let i = try evaluate(index, in: env)
            do {
                return try Operators.index(b, i, at: e.location)
            } catch let error as LangError {
                throw error.located(e.location)
            } catch {
                throw wrap(error, at: e.location)
            }
        case .call(let callee, let args):
            var positional: [(Value, SourceLocation?)] = []
            var named: [(String, Value, SourceLocation?)] = []
            // A method call evaluates its receiver, then the arguments.
            var receiver: Value? = nil
            var methodName = ""
            if case .member(let base, let name) = callee.kind {
                receiver = try evaluate(base, in: env)
                methodName = name
            }
            let function: Value? = receiver == nil ? try evaluate(callee, in: env) : nil
            for a in args {
                let v = try evaluate(a.value, in: env)
                if let label = a.label { named.append((label, v, a.location)) } else { positional.append((v, a.location)) }
            }
            if let r = receiver {
                return try callMethod(r, methodName, positional, named, at: callee.location)
            }
            return try call(function!, positional, named, at: callee.location)
        }
    }

    private func rangeBound(_ v: Value, at loc: SourceLocation) -> LangError {
        LangError(.type, "range bounds must be integers, not \(v.typeWithArticle)", at: loc)
    }

    func unknownName(_ name: String, in env: Environment, at loc: SourceLocation) -> LangError {
        var remedy = Suggest.didYouMean(name, in: env.visibleNames + builtins.names)
        if remedy == nil {
            switch name {
            case "help": remedy = "type :help for help"
            case "quit", "exit": remedy = "type :quit or press Ctrl-D to leave"
            case "def", "function", "func": remedy = "define functions with 'fn name(a, b) { ... }'"
            case "var", "const": remedy = "bind names with 'let x = ...'"
            case "True", "False": remedy = "booleans are written 'true' and 'false'"
            case "None", "null": remedy = "write 'nil'"
            default: remedy = "define it with 'let \(name) = ...', or see :vars and :help"
            }
        }
        return LangError(.name, "unknown name '\(name)'", at: loc, remedy: remedy)
    }

    /// Wraps an error thrown by domain code at the call's position.
    func wrap(_ error: Error, at loc: SourceLocation?) -> LangError {
        if let e = error as? LangError { return e.located(loc) }
        let text: String
        if let l = error as? LocalizedError, let d = l.errorDescription { text = d } else { text = String(describing: error) }
        return LangError(.runtime, text, at: loc)
    }

    // MARK: members and calls

    private func member(_ base: Value, _ name: String, at loc: SourceLocation) throws -> Value {
        switch base {
        case .object(let o):
            do {
                if let v = try o.field(name) { return v }
            } catch {
                throw wrap(error, at: loc)
            }
            if let h = o.method(named: name) { return .function(Function(.method(o, h))) }
            throw LangError(.name, "\(o.typeName) has no field or method '\(name)'", at: loc,
                            remedy: Suggest.didYouMean(name, in: o.completions) ?? memberList(o))
        case .tuple(let items):
            if let i = Int(name) {
                guard i >= 0 && i < items.count else {
                    throw LangError(.index, "tuple has no element .\(i) (it has \(items.count))", at: loc)
                }
                return items[i]
            }
            if name == "count" { return .int(items.count) }
        case .list(let items):
            if name == "count" { return .int(items.count) }
        case .string(let s):
            if name == "count" { return .int(s.count) }
        case .range(let a, let b):
            switch name {
            case "count": return .int(Value.rangeCount(a, b))
            case "lower": return .int(a)
            case "upper": return .int(b)
            default: break
            }
        default:
            break
        }
        throw LangError(.name, "\(base.typeWithArticle) has no field '\(name)'", at: loc,
                        remedy: Value.builtinFields(base).isEmpty ? nil
                            : Suggest.didYouMean(name, in: Value.builtinFields(base)) ?? "fields: " + Value.builtinFields(base).joined(separator: ", "))
    }

    private func memberList(_ o: DomainObject) -> String? {
        let names = o.completions
        return names.isEmpty ? nil : "\(o.typeName) has: " + names.joined(separator: ", ")
    }

    private func callMethod(_ receiver: Value, _ name: String, _ positional: [(Value, SourceLocation?)],
                            _ named: [(String, Value, SourceLocation?)], at loc: SourceLocation) throws -> Value {
        guard case .object(let o) = receiver else {
            if Value.builtinFields(receiver).contains(name) {
                throw LangError(.type, "'\(name)' is a field of \(receiver.typeWithArticle), not a method", at: loc,
                                remedy: "write it without parentheses: .\(name)")
            }
            throw LangError(.type, "\(receiver.typeWithArticle) has no method '\(name)'", at: loc,
                            remedy: "methods belong to data sets, models, ensembles and reports; use builtins such as len(x) on \(receiver.typeName)s")
        }
        guard let help = o.method(named: name) else {
            if (try? o.field(name)) != nil {
                let f = try member(receiver, name, at: loc)
                if case .function = f { return try call(f, positional, named, at: loc) }
                throw LangError(.type, "'\(name)' is a field of \(o.typeName), not a method", at: loc,
                                remedy: "write it without parentheses: .\(name)")
            }
            throw LangError(.name, "\(o.typeName) has no method '\(name)'", at: loc,
                            remedy: Suggest.didYouMean(name, in: o.completions) ?? memberList(o))
        }
        return try callBound(o, help, positional, named, at: loc)
    }

    private func callBound(_ o: DomainObject, _ help: Help, _ positional: [(Value, SourceLocation?)],
                           _ named: [(String, Value, SourceLocation?)], at loc: SourceLocation) throws -> Value {
        let args = try Arguments(binding: positional, named: named, to: help, callee: "\(o.typeName).\(help.name)", at: loc)
        return try guarded(at: loc) { try o.call(help.name, args, context) }
    }

    /// Calls a function value with evaluated arguments.
    public func call(_ callee: Value, _ positional: [(Value, SourceLocation?)],
                     _ named: [(String, Value, SourceLocation?)], at loc: SourceLocation) throws -> Value {
        guard case .function(let f) = callee else {
            throw LangError(.type, "\(callee.typeWithArticle) is not a function and cannot be called", at: loc,
                            remedy: callee.typeName == "list" || callee.typeName == "string" ? "index it with [i] instead" : nil)
        }
        switch f.kind {
        case .builtin(let b):
            let args = try Arguments(binding: positional, named: named, to: b.help, callee: b.help.name, at: loc)
            return try guarded(at: loc) { try b.body(args, context) }
        case .method(let o, let help):
            return try callBound(o, help, positional, named, at: loc)
        case .user(let decl, let closure):
            let scope = Environment(parent: closure)
            let params = decl.parameters
            if positional.count > params.count {
                throw LangError(.argument, "\(decl.name) takes \(params.count) argument\(params.count == 1 ? "" : "s") (\(params.joined(separator: ", "))), but \(positional.count + named.count) were given",
                                at: positional[params.count].1 ?? loc)
            }
            for (p, a) in zip(params, positional) { scope.define(p, a.0) }
            for (label, v, aloc) in named {
                guard let p = params.first(where: { $0 == label }) else {
                    throw LangError(.argument, "unknown argument '\(label)' for \(decl.name)", at: aloc ?? loc,
                                    remedy: Suggest.didYouMean(label, in: params) ?? "\(decl.name) takes: \(params.joined(separator: ", "))")
                }
                if scope.values[p] != nil { throw LangError(.argument, "argument '\(p)' of \(decl.name) is given twice", at: aloc ?? loc) }
                scope.define(p, v)
            }
            if let missing = params.first(where: { scope.values[$0] == nil }) {
                throw LangError(.argument, "missing argument '\(missing)' for \(decl.name)", at: loc,
                                remedy: "call it as \(decl.name)(\(params.joined(separator: ", ")))")
            }
            try checkInterrupt(at: loc)
            callDepth += 1
            defer { callDepth -= 1 }
            if callDepth > Interpreter.maxCallDepth {
                throw LangError(.limit, "too many nested calls (more than \(Interpreter.maxCallDepth)) in \(decl.name)", at: loc,
                                remedy: "check that the recursion has a base case")
            }
            // As in Swift, a body that is a single expression returns its value.
            if decl.body.count == 1, case .expression(let e) = decl.body[0].kind {
                return try evaluate(e, in: scope)
            }
            switch try execute(decl.body, in: scope) {
            case .returned(let v): return v
            case .broke: throw LangError(.syntax, "'break' outside a loop in \(decl.name)", at: decl.location)
            case .continued: throw LangError(.syntax, "'continue' outside a loop in \(decl.name)", at: decl.location)
            case .normal: return .null
            }
        }
    }

    /// Runs domain code, converting any thrown error into a located `LangError`.
    private func guarded(at loc: SourceLocation, _ body: () throws -> Value) throws -> Value {
        do {
            return try body()
        } catch {
            throw wrap(error, at: loc)
        }
    }
}

extension Value {
    /// Fields the language provides on its own types.
    static func builtinFields(_ v: Value) -> [String] {
        switch v {
        case .list, .string: return ["count"]
        case .tuple(let t): return ["count"] + t.indices.map(String.init)
        case .range: return ["count", "lower", "upper"]
        default: return []
        }
    }
}
