/// Turns source text into tokens. Newlines end statements except inside
/// parentheses or brackets, or after an operator that needs a right-hand side.
public struct Lexer {
    private let file: SourceFile
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line: Int
    private var column = 1
    /// Column just past the end of the previous line (for end-of-input positions).
    private var previousLineEnd = 1
    /// Open `(`, `[` and `{` with their positions, innermost last.
    private(set) var brackets: [(Character, SourceLocation)] = []
    private var tokens: [Token] = []

    /// - Parameters:
    ///   - text: the source; it must already be appended to `file` at `firstLine`.
    ///   - firstLine: the line in `file` where `text` starts.
    public init(_ text: String, file: SourceFile, firstLine: Int = 1, firstColumn: Int = 1) {
        self.file = file
        self.scalars = Array(text.unicodeScalars)
        self.line = firstLine
        self.column = firstColumn
    }

    /// Lexes a whole text that is not attached to any file (tests, completion).
    public static func tokenize(_ text: String, name: String = "<input>") throws -> [Token] {
        var lexer = Lexer(text, file: SourceFile(name: name, text: text))
        return try lexer.tokenize()
    }

    private var here: SourceLocation { SourceLocation(file: file, line: line, column: column) }
    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }
    private mutating func advance() -> Unicode.Scalar {
        let s = scalars[index]
        index += 1
        if s == "\n" { previousLineEnd = column; line += 1; column = 1 } else { column += 1 }
        return s
    }

    private var insideGroup: Bool {
        if let top = brackets.last { return top.0 != "{" }
        return false
    }

    private mutating func emit(_ kind: Token.Kind, _ loc: SourceLocation) {
        tokens.append(Token(kind: kind, location: loc))
    }

    private mutating func emitNewline(_ loc: SourceLocation) {
        guard !insideGroup, let last = tokens.last else { return }
        if case .newline = last.kind { return }
        if last.continuesLine { return }
        if case .op(.leftBrace) = last.kind { return }
        emit(.newline, loc)
    }

    /// All tokens, ending with `.eof`. Throws a located `.syntax` error on bad input.
    public mutating func tokenize() throws -> [Token] {
        while let c = peek() {
            let start = here
            switch c {
            case " ", "\t", "\r":
                _ = advance()
            case "\n":
                _ = advance()
                emitNewline(start)
            case "#":
                while let d = peek(), d != "\n" { _ = advance() }
            case ";":
                _ = advance()
                if let last = tokens.last, case .newline = last.kind {} else if !tokens.isEmpty { emit(.newline, start) }
            case "\"", "'":
                try lexString(quote: c, start: start)
            case "0"..."9":
                try lexNumber(start: start)
            default:
                if isIdentifierStart(c) {
                    var name = ""
                    while let d = peek(), isIdentifierPart(d) { name.unicodeScalars.append(advance()) }
                    emit(Keyword(rawValue: name).map { .keyword($0) } ?? .identifier(name), start)
                } else {
                    try lexOperator(c, start: start)
                }
            }
        }
        // End of input points just past the last character, on the last line.
        let end = scalars.last == "\n" && line > 1 ? SourceLocation(file: file, line: line - 1, column: previousLineEnd) : here
        if brackets.isEmpty, let last = tokens.last {
            if case .newline = last.kind {} else { emit(.newline, end) }
        }
        emit(.eof, end)
        return tokens
    }

    private func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || (c.properties.isAlphabetic && c.value > 0x20)
    }
    private func isIdentifierPart(_ c: Unicode.Scalar) -> Bool {
        isIdentifierStart(c) || ("0"..."9").contains(c)
    }

    private mutating func lexNumber(start: SourceLocation) throws {
        var text = ""
        var isFloat = false
        func digits(_ lexer: inout Lexer, into text: inout String) {
            while let d = lexer.peek(), ("0"..."9").contains(d) || d == "_" {
                let s = lexer.advance()
                if s != "_" { text.unicodeScalars.append(s) }
            }
        }
        digits(&self, into: &text)
        if peek() == ".", let next = peek(1), ("0"..."9").contains(next) {
            isFloat = true
            text.unicodeScalars.append(advance())
            digits(&self, into: &text)
        }
        if let e = peek(), e == "e" || e == "E" {
            let sign = peek(1)
            let hasSign = sign == "+" || sign == "-"
            if let d = peek(hasSign ? 2 : 1), ("0"..."9").contains(d) {
                isFloat = true
                text.unicodeScalars.append(advance())
                if hasSign { text.unicodeScalars.append(advance()) }
                digits(&self, into: &text)
            }
        }
        if let d = peek(), isIdentifierStart(d) {
            throw LangError(.syntax, "unexpected '\(Character(d))' after number \(text)", at: here,
                            remedy: "separate the number from the name with an operator or a space")
        }
        if isFloat {
            guard let v = Double(text), v.isFinite else {
                throw LangError(.syntax, "number literal \(text) is out of range", at: start)
            }
            emit(.float(v), start)
        } else {
            guard let v = Int(text) else {
                throw LangError(.syntax, "integer literal \(text) is too large", at: start,
                                remedy: "integers range up to \(Int.max); write a float such as \(text).0")
            }
            emit(.int(v), start)
        }
    }

    private mutating func lexString(quote: Unicode.Scalar, start: SourceLocation) throws {
        _ = advance()
        var value = ""
        var parts: [InterpolationPart] = []
        while true {
            guard let c = peek(), c != "\n" else {
                throw LangError(.syntax, "unterminated string literal", at: start,
                                remedy: "close the string with \(Character(quote)) on the same line")
            }
            if c == quote { _ = advance(); break }
            if c == "\\" {
                let escapeAt = here
                _ = advance()
                guard let e = peek(), e != "\n" else {
                    throw LangError(.syntax, "unterminated string literal", at: start)
                }
                _ = advance()
                switch e {
                case "n": value += "\n"
                case "t": value += "\t"
                case "r": value += "\r"
                case "0": value += "\0"
                case "\\": value += "\\"
                case "\"": value += "\""
                case "'": value += "'"
                case "(":
                    // `\(expr)`: keep the expression's source and position; the parser parses it.
                    let codeLine = line, codeColumn = column
                    var code = ""
                    var depth = 1
                    var quote: Unicode.Scalar? = nil
                    while let d = peek(), d != "\n" {
                        if let q = quote {
                            if d == "\\" { code.unicodeScalars.append(advance()); if let n = peek(), n != "\n" { code.unicodeScalars.append(advance()) }; continue }
                            if d == q { quote = nil }
                        } else if d == "\"" || d == "'" {
                            quote = d
                        } else if d == "(" {
                            depth += 1
                        } else if d == ")" {
                            depth -= 1
                            if depth == 0 { break }
                        }
                        code.unicodeScalars.append(advance())
                    }
                    guard peek() == ")" else {
                        throw LangError(.syntax, "unterminated interpolation '\\('", at: escapeAt, remedy: "close it with ')' before the end of the string")
                    }
                    _ = advance()
                    if code.trimmingCharacters(in: .whitespaces).isEmpty {
                        throw LangError(.syntax, "empty interpolation '\\()'", at: escapeAt, remedy: "write an expression inside: \\(x)")
                    }
                    if !value.isEmpty { parts.append(.text(value)); value = "" }
                    parts.append(.code(code, line: codeLine, column: codeColumn))
                case "u":
                    guard peek() == "{" else {
                        throw LangError(.syntax, "malformed unicode escape", at: escapeAt, remedy: "write \\u{1F600}")
                    }
                    _ = advance()
                    var hex = ""
                    while let h = peek(), h != "}", hex.count <= 8, h != "\n" { hex.unicodeScalars.append(advance()) }
                    guard peek() == "}", let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                        throw LangError(.syntax, "malformed unicode escape", at: escapeAt, remedy: "write \\u{1F600}")
                    }
                    _ = advance()
                    value.unicodeScalars.append(scalar)
                default:
                    throw LangError(.syntax, "unknown escape sequence '\\\(Character(e))'", at: escapeAt,
                                    remedy: "valid escapes are \\n \\t \\r \\0 \\\\ \\\" \\' \\u{...} and \\(expression)")
                }
                continue
            }
            value.unicodeScalars.append(advance())
        }
        if parts.isEmpty {
            emit(.string(value), start)
        } else {
            if !value.isEmpty { parts.append(.text(value)) }
            emit(.interpolation(parts), start)
        }
    }

    private mutating func lexOperator(_ c: Unicode.Scalar, start: SourceLocation) throws {
        // Longest match first: three, two, then one character.
        for length in stride(from: min(3, scalars.count - index), through: 1, by: -1) {
            var candidate = ""
            candidate.unicodeScalars.append(contentsOf: scalars[index..<index + length])
            if let symbol = Symbol(rawValue: candidate) {
                for _ in 0..<length { _ = advance() }
                try track(candidate, start)
                emit(.op(symbol), start)
                return
            }
        }
        let shown = c.value < 0x20 || c.value == 0x7f || c.value == 0xFFFD
            ? "\\u{\(String(c.value, radix: 16))}" : String(Character(c))
        var remedy: String? = nil
        switch c {
        case "&": remedy = "use '&&' or 'and' for logical and"
        case "|": remedy = "use '||' or 'or' for logical or"
        case "^": remedy = "use '**' for powers"
        case "`": remedy = "strings use double quotes"
        default: break
        }
        if c.value == 0xFFFD || c.value == 0 { remedy = "the input looks like binary data, not lora source" }
        throw LangError(.syntax, "unexpected character '\(shown)'", at: start, remedy: remedy)
    }

    private mutating func track(_ op: String, _ loc: SourceLocation) throws {
        switch op {
        case "(", "[", "{":
            brackets.append((Character(op), loc))
        case ")", "]", "}":
            let want: Character = op == ")" ? "(" : op == "]" ? "[" : "{"
            guard let top = brackets.last else {
                throw LangError(.syntax, "unmatched '\(op)'", at: loc, remedy: "remove it, or add the opening '\(want)'")
            }
            guard top.0 == want else {
                let close = top.0 == "(" ? ")" : top.0 == "[" ? "]" : "}"
                throw LangError(.syntax, "'\(op)' does not match the '\(top.0)' opened at line \(top.1.line), column \(top.1.column)",
                                at: loc, remedy: "close it with '\(close)' first")
            }
            brackets.removeLast()
            // A newline before a closing brace ends the last statement of the block.
            if op == "}" , let last = tokens.last {
                if case .newline = last.kind {} else if case .op(.leftBrace) = last.kind {} else {
                    tokens.append(Token(kind: .newline, location: loc))
                }
            }
        default:
            break
        }
    }

    /// Whether `source` is a complete entry for the REPL: false when brackets are
    /// still open or the last line ends in an operator, so the REPL should ask
    /// for a continuation line. Input with an error is complete (the error is then reported).
    public static func isComplete(_ source: String) -> Bool {
        let file = SourceFile(name: "<check>", text: source)
        var lexer = Lexer(source, file: file)
        do {
            let toks = try lexer.tokenize()
            if !lexer.brackets.isEmpty { return false }
            // The last real token before the final newline/eof.
            for t in toks.reversed() {
                switch t.kind {
                case .newline, .eof: continue
                default: return !t.continuesLine
                }
            }
            return true
        } catch {
            return true
        }
    }

    /// The brackets `source` leaves open, innermost last (`{`, `(`, `[`);
    /// empty when there are none or the source has a lexical error. Front ends
    /// indent a continuation line by the open braces.
    public static func openBrackets(_ source: String) -> [Character] {
        let file = SourceFile(name: "<check>", text: source)
        var lexer = Lexer(source, file: file)
        guard (try? lexer.tokenize()) != nil else { return [] }
        return lexer.brackets.map { $0.0 }
    }
}
