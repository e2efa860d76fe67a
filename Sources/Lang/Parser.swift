/// Recursive-descent parser from tokens to statements. Nesting deeper than
/// `maxDepth` is refused with an error instead of overflowing the stack.
public struct Parser {
    public static let maxDepth = 100
    /// Longest chain of operators, calls and indexes in one expression tree.
    public static let maxHeight = 1000

    private var tokens: [Token]
    private var position = 0
    private var depth = 0

    public init(tokens: [Token], depth: Int = 0) {
        self.tokens = tokens
        self.depth = depth
    }

    /// Lexes and parses `text`, which must already be appended to `file` at `firstLine`.
    public static func parse(_ text: String, file: SourceFile, firstLine: Int = 1) throws -> [Stmt] {
        var lexer = Lexer(text, file: file, firstLine: firstLine)
        var parser = Parser(tokens: try lexer.tokenize())
        return try parser.parseProgram()
    }

    /// Parses standalone text (tests).
    public static func parse(_ text: String, name: String = "<input>") throws -> [Stmt] {
        try parse(text, file: SourceFile(name: name, text: text))
    }

    // MARK: token helpers

    private var current: Token { tokens[position] }
    private var isAtEnd: Bool { if case .eof = current.kind { return true }; return false }

    private mutating func advance() -> Token {
        let t = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return t
    }

    private func check(_ op: Symbol) -> Bool {
        if case .op(let o) = current.kind { return o == op }
        return false
    }
    private func checkKeyword(_ k: Keyword) -> Bool {
        if case .keyword(let w) = current.kind { return w == k }
        return false
    }
    private var isNewline: Bool { if case .newline = current.kind { return true }; return false }

    private mutating func match(_ op: Symbol) -> Bool {
        if check(op) { _ = advance(); return true }
        return false
    }
    private mutating func matchKeyword(_ k: Keyword) -> Bool {
        if checkKeyword(k) { _ = advance(); return true }
        return false
    }

    private func describe(_ t: Token) -> String {
        switch t.kind {
        case .newline, .eof: return t.description
        case .string: return "string \(t.description)"
        default: return "'\(t.description)'"
        }
    }

    private mutating func expect(_ op: Symbol, _ context: String, opened: Token? = nil) throws {
        guard match(op) else {
            var msg = "expected '\(op.rawValue)' \(context), found \(describe(current))"
            if let o = opened { msg += " ('\(o.description)' opened at line \(o.location.line), column \(o.location.column))" }
            throw LangError(.syntax, msg, at: current.location)
        }
    }

    private mutating func identifier(_ what: String) throws -> (String, SourceLocation) {
        if case .identifier(let name) = current.kind {
            let loc = current.location
            _ = advance()
            return (name, loc)
        }
        if case .keyword(let k) = current.kind {
            throw LangError(.syntax, "'\(k.rawValue)' is a reserved word and cannot be used as \(what)", at: current.location,
                            remedy: "choose another name, such as '\(k.rawValue)_'")
        }
        throw LangError(.syntax, "expected \(what), found \(describe(current))", at: current.location)
    }

    /// One more level of nesting: an expression inside brackets, a call's or
    /// index's argument, a block, a unary or `**` operand. A statement's own
    /// expression is level 0, so `depth - 1` is what the user counts.
    private mutating func enter() throws {
        depth += 1
        if depth - 1 > Parser.maxDepth {
            throw LangError(.limit, "input is nested too deeply (more than \(Parser.maxDepth) levels of brackets, blocks or operators)",
                            at: current.location, remedy: "split the expression using 'let' bindings")
        }
    }
    private mutating func leave() { depth -= 1 }

    /// Builds an expression node, refusing trees too tall to evaluate safely.
    private func node(_ kind: Expr.Kind, location: SourceLocation) throws -> Expr {
        let e = Expr(kind: kind, location: location)
        if e.height > Parser.maxHeight {
            throw LangError(.limit, "expression is too long (more than \(Parser.maxHeight) operations in a chain)", at: location,
                            remedy: "split it using 'let' bindings or a loop")
        }
        return e
    }

    private mutating func skipNewlines() {
        while isNewline { _ = advance() }
    }

    // MARK: statements

    public mutating func parseProgram() throws -> [Stmt] {
        var statements: [Stmt] = []
        skipNewlines()
        while !isAtEnd {
            statements.append(try statement())
            try endOfStatement()
            skipNewlines()
        }
        return statements
    }

    private mutating func endOfStatement() throws {
        if isNewline || isAtEnd { return }
        if check(.rightBrace) { return }
        throw LangError(.syntax, "expected end of statement, found \(describe(current))", at: current.location,
                        remedy: "put each statement on its own line or separate them with ';'")
    }

    private mutating func block(_ context: String) throws -> [Stmt] {
        let open = current
        try expect(.leftBrace, context)
        try enter()
        defer { leave() }
        var body: [Stmt] = []
        skipNewlines()
        while !check(.rightBrace) {
            if isAtEnd {
                throw LangError(.syntax, "expected '}' to close the block opened at line \(open.location.line), column \(open.location.column)",
                                at: current.location)
            }
            body.append(try statement())
            try endOfStatement()
            skipNewlines()
        }
        _ = advance()
        return body
    }

    private mutating func statement() throws -> Stmt {
        let start = current
        let loc = start.location
        if case .keyword(let k) = start.kind {
            switch k {
            case .let:
                _ = advance()
                let pattern = try self.pattern()
                try expect(.assign, "after the name in 'let'")
                return Stmt(kind: .let(pattern, try expression()), location: loc)
            case .fn:
                _ = advance()
                let (name, nameLoc) = try identifier("a function name")
                let open = current
                try expect(.leftParen, "after the function name")
                var params: [String] = []
                if !check(.rightParen) {
                    repeat {
                        if check(.rightParen) { break }
                        let (p, ploc) = try identifier("a parameter name")
                        if params.contains(p) {
                            throw LangError(.syntax, "duplicate parameter '\(p)'", at: ploc)
                        }
                        params.append(p)
                    } while match(.comma)
                }
                try expect(.rightParen, "to close the parameter list", opened: open)
                let body = try block("to start the function body")
                return Stmt(kind: .function(FunctionDecl(name: name, parameters: params, body: body, location: nameLoc)), location: loc)
            case .return:
                _ = advance()
                if isNewline || isAtEnd || check(.rightBrace) { return Stmt(kind: .return(nil), location: loc) }
                return Stmt(kind: .return(try expression()), location: loc)
            case .if:
                return try ifStatement()
            case .for:
                _ = advance()
                let pattern = try self.pattern()
                guard matchKeyword(.in) else {
                    throw LangError(.syntax, "expected 'in' after the loop variable, found \(describe(current))", at: current.location,
                                    remedy: "write 'for x in xs { ... }'")
                }
                let sequence = try expression()
                return Stmt(kind: .for(pattern, sequence, try block("to start the loop body")), location: loc)
            case .while:
                _ = advance()
                let condition = try expression()
                return Stmt(kind: .while(condition, try block("to start the loop body")), location: loc)
            case .break:
                _ = advance(); return Stmt(kind: .break, location: loc)
            case .continue:
                _ = advance(); return Stmt(kind: .continue, location: loc)
            case .else:
                throw LangError(.syntax, "'else' without a matching 'if'", at: loc,
                                remedy: "write 'else' after the closing '}' of an if")
            default:
                break
            }
        }
        let expr = try expression()
        if check(.assign) || check(.plusAssign) || check(.minusAssign) || check(.timesAssign) || check(.divideAssign) {
            let opToken = advance()
            guard case .name(let name) = expr.kind else {
                throw LangError(.syntax, "cannot assign to this expression", at: opToken.location,
                                remedy: "only names can be assigned; bind a new value with 'let'")
            }
            let value = try expression()
            if case .op(let o) = opToken.kind, let op = o.compoundArithmetic {
                return Stmt(kind: .compoundAssign(name, op, value), location: expr.location)
            }
            return Stmt(kind: .assign(name, value), location: expr.location)
        }
        return Stmt(kind: .expression(expr), location: expr.location)
    }

    private mutating func ifStatement() throws -> Stmt {
        let loc = advance().location // 'if'
        let condition = try expression()
        let then = try block("after the if condition")
        // Allow `else` on the line after the closing brace.
        var look = position
        while case .newline = tokens[look].kind, look < tokens.count - 1 { look += 1 }
        if case .keyword(.else) = tokens[look].kind {
            position = look
            _ = advance()
            if checkKeyword(.if) {
                try enter()
                defer { leave() }
                return Stmt(kind: .if(condition, then, else: [try ifStatement()]), location: loc)
            }
            return Stmt(kind: .if(condition, then, else: try block("after 'else'")), location: loc)
        }
        return Stmt(kind: .if(condition, then, else: nil), location: loc)
    }

    private mutating func pattern() throws -> Pattern {
        if check(.leftParen) {
            let open = advance()
            try enter()
            defer { leave() }
            var parts: [Pattern] = []
            repeat {
                if check(.rightParen) { break }
                parts.append(try pattern())
            } while match(.comma)
            try expect(.rightParen, "to close the tuple pattern", opened: open)
            return .tuple(parts, open.location)
        }
        let (name, loc) = try identifier("a name")
        return name == "_" ? .ignore : .name(name, loc)
    }

    // MARK: expressions

    public mutating func expression() throws -> Expr {
        try enter()
        defer { leave() }
        return try orExpr()
    }

    private mutating func orExpr() throws -> Expr {
        var left = try andExpr()
        while check(.orOr) || checkKeyword(.or) {
            let loc = advance().location
            left = try node(.or(left, try andExpr()), location: loc)
        }
        return left
    }

    private mutating func andExpr() throws -> Expr {
        var left = try notExpr()
        while check(.andAnd) || checkKeyword(.and) {
            let loc = advance().location
            left = try node(.and(left, try notExpr()), location: loc)
        }
        return left
    }

    private mutating func notExpr() throws -> Expr {
        if check(.bang) || checkKeyword(.not) {
            let loc = advance().location
            try enter()
            defer { leave() }
            return try node(.unary(.not, try notExpr()), location: loc)
        }
        return try comparison()
    }

    private mutating func comparison() throws -> Expr {
        let left = try rangeExpr()
        if case .op(let o) = current.kind, let op = o.comparison {
            let loc = advance().location
            let right = try rangeExpr()
            if case .op(let o2) = current.kind, o2.comparison != nil {
                throw LangError(.syntax, "comparisons cannot be chained", at: current.location,
                                remedy: "combine them with 'and', e.g. 'a < b and b < c'")
            }
            return try node(.binary(.comparison(op), left, right), location: loc)
        }
        return left
    }

    private mutating func rangeExpr() throws -> Expr {
        let left = try additive()
        if check(.halfOpenRange) || check(.closedRange) {
            let t = advance()
            let right = try additive()
            return try node(.range(left, right, inclusive: t.kind == .op(.closedRange)), location: t.location)
        }
        return left
    }

    private mutating func additive() throws -> Expr {
        var left = try multiplicative()
        while check(.plus) || check(.minus) {
            let t = advance()
            let op: ArithmeticOperator = t.kind == .op(.plus) ? .add : .subtract
            left = try node(.binary(.arithmetic(op), left, try multiplicative()), location: t.location)
        }
        return left
    }

    private mutating func multiplicative() throws -> Expr {
        var left = try unary()
        while true {
            guard case .op(let o) = current.kind, let op = o.arithmetic,
                  op == .multiply || op == .divide || op == .floorDivide || op == .remainder else { break }
            let loc = advance().location
            left = try node(.binary(.arithmetic(op), left, try unary()), location: loc)
        }
        return left
    }

    private mutating func unary() throws -> Expr {
        if check(.minus) {
            let loc = advance().location
            try enter()
            defer { leave() }
            return try node(.unary(.negate, try unary()), location: loc)
        }
        if check(.plus) {
            _ = advance()
            try enter()
            defer { leave() }
            return try unary()
        }
        return try power()
    }

    private mutating func power() throws -> Expr {
        let base = try postfix()
        if check(.power) {
            let loc = advance().location
            try enter()
            defer { leave() }
            return try node(.binary(.arithmetic(.power), base, try unary()), location: loc)
        }
        return base
    }

    private mutating func postfix() throws -> Expr {
        var expr = try primary()
        var chain = 0
        while true {
            if check(.leftParen) {
                let open = advance()
                expr = try node(.call(expr, try arguments(open)), location: expr.location)
            } else if check(.dot) {
                _ = advance()
                if case .int(let i) = current.kind {
                    let loc = advance().location
                    expr = try node(.member(expr, String(i)), location: loc)
                } else {
                    let (name, loc) = try identifier("a field or method name after '.'")
                    expr = try node(.member(expr, name), location: loc)
                }
            } else if check(.leftBracket) {
                let open = advance()
                let index = try expression()
                try expect(.rightBracket, "to close the index", opened: open)
                expr = try node(.index(expr, index), location: open.location)
            } else {
                break
            }
            chain += 1
            if chain > 4 * Parser.maxDepth {
                throw LangError(.limit, "chain of calls and indexes is too long", at: current.location,
                                remedy: "split it using 'let' bindings")
            }
        }
        return expr
    }

    private mutating func arguments(_ open: Token) throws -> [CallArgument] {
        var args: [CallArgument] = []
        var sawNamed = false
        while !check(.rightParen) {
            let loc = current.location
            var label: String? = nil
            if position + 1 < tokens.count, case .op(.colon) = tokens[position + 1].kind {
                switch current.kind {
                case .identifier(let n): label = n; _ = advance(); _ = advance()
                case .keyword(let k): label = k.rawValue; _ = advance(); _ = advance()
                default: break
                }
            }
            let value = try expression()
            if let label = label {
                if args.contains(where: { $0.label == label }) {
                    throw LangError(.syntax, "argument '\(label)' is given twice", at: loc)
                }
                sawNamed = true
            } else if sawNamed {
                throw LangError(.syntax, "positional argument after a named argument", at: loc,
                                remedy: "put positional arguments first: f(x, epochs: 3)")
            }
            args.append(CallArgument(label: label, value: value, location: loc))
            if !match(.comma) { break }
        }
        try expect(.rightParen, "to close the argument list", opened: open)
        return args
    }

    private mutating func primary() throws -> Expr {
        let t = current
        let loc = t.location
        switch t.kind {
        case .int(let v): _ = advance(); return try node(.int(v), location: loc)
        case .float(let v): _ = advance(); return try node(.float(v), location: loc)
        case .string(let s): _ = advance(); return try node(.string(s), location: loc)
        case .interpolation(let parts):
            _ = advance()
            var items: [Expr] = []
            for part in parts {
                switch part {
                case .text(let text):
                    items.append(try node(.string(text), location: loc))
                case .code(let code, let line, let column):
                    var lexer = Lexer(code, file: loc.file, firstLine: line, firstColumn: column)
                    var inner = Parser(tokens: try lexer.tokenize(), depth: depth)
                    let e = try inner.expression()
                    if !inner.isNewline && !inner.isAtEnd {
                        throw LangError(.syntax, "expected ')' to end the interpolation, found \(inner.describe(inner.current))",
                                        at: inner.current.location)
                    }
                    items.append(e)
                }
            }
            return try node(.interpolation(items), location: loc)
        case .identifier(let n): _ = advance(); return try node(.name(n), location: loc)
        case .keyword(.true): _ = advance(); return try node(.bool(true), location: loc)
        case .keyword(.false): _ = advance(); return try node(.bool(false), location: loc)
        case .keyword(.nil): _ = advance(); return try node(.nil, location: loc)
        case .op(.leftParen):
            _ = advance()
            if match(.rightParen) { return try node(.tuple([]), location: loc) }
            let first = try expression()
            if match(.rightParen) { return first }
            try expect(.comma, "or ')' after the expression in parentheses", opened: t)
            var items = [first]
            while !check(.rightParen) {
                items.append(try expression())
                if !match(.comma) { break }
            }
            try expect(.rightParen, "to close the tuple", opened: t)
            return try node(.tuple(items), location: loc)
        case .op(.leftBracket):
            _ = advance()
            var items: [Expr] = []
            while !check(.rightBracket) {
                items.append(try expression())
                if !match(.comma) { break }
            }
            try expect(.rightBracket, "to close the list", opened: t)
            return try node(.list(items), location: loc)
        case .keyword(let k):
            throw LangError(.syntax, "expected an expression, found '\(k.rawValue)'", at: loc,
                            remedy: k == .if || k == .for || k == .let || k == .fn
                                ? "'\(k.rawValue)' starts a statement; it cannot be used inside an expression" : nil)
        case .newline, .eof:
            throw LangError(.syntax, "expected an expression, found \(describe(t))", at: loc)
        default:
            throw LangError(.syntax, "expected an expression, found \(describe(t))", at: loc)
        }
    }
}
