import Foundation

/// Tab completion as a pure function of the line, the cursor and a scope, so it
/// can be tested without a terminal. The REPL's libedit glue calls it.
public enum Completion {
    /// What can be completed; the session fills it from its variables and builtins.
    public struct Scope {
        /// Variables, builtins and keywords.
        public var names: [String]
        /// Member names for a receiver written as a dotted chain (`ens`, `r.members`); nil if unknown.
        public var members: (String) -> [String]?
        /// Parameter names of a callee written as `name` or `receiver.method`; nil if unknown.
        public var parameters: (String) -> [String]?
        /// Entries of a directory (`""` means the current one); directories end in "/".
        public var listDirectory: (String) -> [String]
        /// REPL commands (`:help`, ...).
        public var commands: [String]

        public init(names: [String], members: @escaping (String) -> [String]? = { _ in nil },
                    parameters: @escaping (String) -> [String]? = { _ in nil },
                    listDirectory: @escaping (String) -> [String] = { _ in [] },
                    commands: [String] = []) {
            self.names = names
            self.members = members
            self.parameters = parameters
            self.listDirectory = listDirectory
            self.commands = commands
        }
    }

    /// The completions at a cursor: the text from `start` (in characters) up to
    /// the cursor is replaced by one of `candidates`.
    public struct Result: Equatable {
        public var start: Int
        public var candidates: [String]

        /// The longest prefix shared by all candidates.
        public var commonPrefix: String {
            guard var p = candidates.first else { return "" }
            for c in candidates.dropFirst() {
                while !c.hasPrefix(p) { p.removeLast() }
            }
            return p
        }
    }

    private static func isWordChar(_ c: Character) -> Bool { c == "_" || c.isLetter || c.isNumber }

    public static func complete(line: String, cursor: Int, scope: Scope) -> Result {
        let chars = Array(line.prefix(max(0, cursor)))
        let cursor = chars.count

        // REPL commands.
        if chars.first == ":" {
            if !chars.contains(" ") {
                let word = String(chars)
                return Result(start: 0, candidates: scope.commands.filter { $0.hasPrefix(word) }.sorted())
            }
            let command = String(chars.prefix { $0 != " " })
            if command == ":load" || command == ":l" {
                let argStart = chars.firstIndex(of: " ")! + 1
                let partial = String(chars[argStart...]).trimmingCharacters(in: .whitespaces)
                let start = cursor - partial.count
                return Result(start: start, candidates: paths(partial, scope))
            }
        }

        // Inside a string literal: file paths.
        if let quoteStart = openStringStart(chars) {
            let partial = String(chars[(quoteStart + 1)...])
            return Result(start: quoteStart + 1, candidates: paths(partial, scope))
        }

        var start = cursor
        while start > 0 && isWordChar(chars[start - 1]) { start -= 1 }
        let word = String(chars[start..<cursor])

        // After a dot: members of the receiver.
        if start > 0 && chars[start - 1] == "." {
            let receiver = chain(chars, end: start - 1)
            guard !receiver.isEmpty, let members = scope.members(receiver) else { return Result(start: start, candidates: []) }
            return Result(start: start, candidates: unique(members.filter { $0.hasPrefix(word) }))
        }
        if word.first?.isNumber == true { return Result(start: start, candidates: []) }

        var candidates: [String] = []
        // At an argument position: named arguments of the callee.
        if let (callee, written) = enclosingCall(chars, wordStart: start), let params = scope.parameters(callee) {
            candidates += params.filter { $0.hasPrefix(word) && !written.contains($0) }.map { "\($0): " }
        }
        candidates += unique(scope.names.filter { $0.hasPrefix(word) })
        return Result(start: start, candidates: candidates)
    }

    private static func unique(_ xs: [String]) -> [String] { Array(Set(xs)).sorted() }

    /// The name help at the cursor is about: the dotted name under (or just
    /// before) the cursor, `:command` names included; inside a call's
    /// parentheses with no name at the cursor, the called name. Nil when there is none.
    public static func name(at line: String, cursor: Int) -> String? {
        let chars = Array(line)
        let cursor = max(0, min(cursor, chars.count))
        var start = cursor
        while start > 0 && (isWordChar(chars[start - 1]) || chars[start - 1] == ".") { start -= 1 }
        var end = cursor
        while end < chars.count && isWordChar(chars[end]) { end += 1 }
        if start == 1 && chars[0] == ":" { start = 0 }
        var name = String(chars[start..<end])
        while name.hasPrefix(".") { name.removeFirst() }
        while name.hasSuffix(".") { name.removeLast() }
        if let first = name.first, !first.isNumber, openStringStart(Array(chars[..<cursor])) == nil { return name }
        // No name at the cursor: the callee of the innermost open call.
        var depth = 0
        var i = cursor - 1
        while i >= 0 {
            switch chars[i] {
            case ")", "]": depth += 1
            case "[": depth -= 1
            case "(":
                if depth == 0 {
                    let callee = chain(chars, end: i)
                    return callee.isEmpty ? nil : callee
                }
                depth -= 1
            default: break
            }
            i -= 1
        }
        return nil
    }

    /// Completes a path prefix: directory part kept, entries filtered by the last part.
    private static func paths(_ partial: String, _ scope: Scope) -> [String] {
        let dir: String
        let base: String
        if let slash = partial.lastIndex(of: "/") {
            dir = String(partial[...slash])
            base = String(partial[partial.index(after: slash)...])
        } else {
            dir = ""
            base = partial
        }
        return scope.listDirectory(dir)
            .filter { $0.hasPrefix(base) && (base.hasPrefix(".") || !$0.hasPrefix(".")) }
            .sorted()
            .map { dir + $0 }
    }

    /// Index of the opening quote when the cursor is inside a string literal.
    static func openStringStart(_ chars: [Character]) -> Int? {
        var open: (Int, Character)? = nil
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if let (_, q) = open {
                if c == "\\" { i += 2; continue }
                if c == q { open = nil }
            } else if c == "\"" || c == "'" {
                open = (i, c)
            } else if c == "#" {
                return nil
            }
            i += 1
        }
        return open?.0
    }

    /// The dotted chain of names ending just before `end` (`a.b` in `a.b.c`).
    static func chain(_ chars: [Character], end: Int) -> String {
        var i = end
        while i > 0 && (isWordChar(chars[i - 1]) || chars[i - 1] == ".") { i -= 1 }
        let text = String(chars[i..<end])
        if text.isEmpty || text.hasPrefix(".") || text.hasSuffix(".") || text.contains("..") { return "" }
        if text.first!.isNumber { return "" }
        return text
    }

    /// If the word starting at `wordStart` is at an argument position of an
    /// unclosed call, the callee's text and the labels already written.
    static func enclosingCall(_ chars: [Character], wordStart: Int) -> (String, Set<String>)? {
        var j = wordStart - 1
        while j >= 0 && chars[j] == " " { j -= 1 }
        guard j >= 0, chars[j] == "(" || chars[j] == "," else { return nil }
        var depth = 0
        var i = j
        while i >= 0 {
            let c = chars[i]
            if c == ")" || c == "]" { depth += 1 } else if c == "[" { if depth == 0 { return nil }; depth -= 1 } else if c == "(" {
                if depth == 0 { break }
                depth -= 1
            }
            i -= 1
        }
        guard i > 0, chars[i] == "(" else { return nil }
        let callee = chain(chars, end: i)
        guard !callee.isEmpty else { return nil }
        // Labels already written in this call.
        let inside = String(chars[(i + 1)..<wordStart])
        var written = Set<String>()
        var word = ""
        for c in inside {
            if isWordChar(c) { word.append(c) } else { if c == ":" && !word.isEmpty { written.insert(word) }; word = "" }
        }
        return (callee, written)
    }
}

extension Session {
    /// Completion scope for this session: variables, builtins, keywords, members
    /// of values reachable through fields, builtin and method parameters, and files.
    public func completionScope(listDirectory: @escaping (String) -> [String] = Session.listDirectory) -> Completion.Scope {
        let globals = interpreter.globals
        let builtins = self.builtins
        func resolve(_ chain: String) -> Value? {
            let parts = chain.split(separator: ".").map(String.init)
            guard var v = globals.lookup(parts[0]) else { return nil }
            for p in parts.dropFirst() {
                guard case .object(let o) = v, let next = try? o.field(p) else { return nil }
                v = next
            }
            return v
        }
        return Completion.Scope(
            names: globals.visibleNames + builtins.names + ["let", "fn", "return", "if", "else", "for", "in", "while", "true", "false", "nil"],
            members: { chain in
                guard let v = resolve(chain) else { return nil }
                if case .object(let o) = v { return o.completions }
                return Value.builtinFields(v)
            },
            parameters: { callee in
                if !callee.contains(".") {
                    if case .function(let f)? = globals.lookup(callee), case .user(let d, _) = f.kind { return d.parameters }
                    return builtins.lookup(callee)?.help.parameters.filter { !$0.variadic }.map { $0.name }
                }
                let dot = callee.lastIndex(of: ".")!
                guard case .object(let o)? = resolve(String(callee[..<dot])),
                      let m = o.method(named: String(callee[callee.index(after: dot)...])) else { return nil }
                return m.parameters.filter { !$0.variadic }.map { $0.name }
            },
            listDirectory: listDirectory,
            commands: [":help", ":vars", ":type", ":time", ":load", ":reset", ":quit"])
    }

    /// Lists a directory for completion; directories get a trailing "/".
    public static func listDirectory(_ dir: String) -> [String] {
        let fm = FileManager.default
        let path = dir.isEmpty ? "." : (dir as NSString).expandingTildeInPath
        guard let entries = try? fm.contentsOfDirectory(atPath: path) else { return [] }
        return entries.map { name in
            var isDir: ObjCBool = false
            let exists = fm.fileExists(atPath: (path as NSString).appendingPathComponent(name), isDirectory: &isDir)
            return exists && isDir.boolValue ? name + "/" : name
        }
    }

    /// The help for the name at `cursor` in `line` (see `Completion.name(at:cursor:)`),
    /// as `:help NAME` prints it, or nil when there is no name or no help for it.
    /// A dotted name without help of its own falls back to its last two parts
    /// (`r.model.fit` to `model.fit`), then its last part.
    public func help(at line: String, cursor: Int) -> String? {
        guard let name = Completion.name(at: line, cursor: cursor) else { return nil }
        let parts = name.split(separator: ".").map(String.init)
        var tries = [name]
        if parts.count > 2 { tries.append(parts.suffix(2).joined(separator: ".")) }
        if parts.count > 1 { tries.append(parts.last!) }
        for t in tries {
            if let text = HelpText.entry(t, builtins: builtins, variables: interpreter.globals) { return text }
        }
        return nil
    }

    /// Completes `line` at `cursor` against this session.
    public func complete(line: String, cursor: Int) -> Completion.Result {
        Completion.complete(line: line, cursor: cursor, scope: completionScope())
    }
}
