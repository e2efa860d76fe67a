/// The text of `:help` and `help(...)`.
public enum HelpText {
    public static let commands: [(String, String)] = [
        (":help [topic]", "help on a builtin, a type, a method, a variable or a command"),
        (":vars", "a table of the variables: name, kind, summary"),
        (":type expr", "the type of an expression"),
        (":time stmt", "run a statement and print how long it took"),
        (":load file.lora", "run a script in this session"),
        (":reset", "forget every variable"),
        (":quit", "leave (or press Ctrl-D)"),
    ]

    /// Overview: the language in a few lines, builtins, and REPL commands.
    public static func overview(builtins: BuiltinTable) -> String {
        var out = """
        lora: explore LoRA-Ensembles and calibrated uncertainty.
          let x = 1e-3          bind a name (rebind with x = ...)
          let (a, b) = (1, 2)   destructure a tuple
          f(x, epochs: 3)       positional, then named arguments
          value.method(...)     methods and fields; [i] and [a..<b] index and slice
          if c { } else { }     for x in xs { }     fn name(a, b) { return a + b }

        Builtins:

        """
        out += columns(builtins.builtins.keys.sorted(), width: 76)
        if !builtins.types.isEmpty {
            out += "\nTypes: " + builtins.types.keys.sorted().joined(separator: ", ") + "\n"
        }
        out += "\nCommands:\n"
        for (c, d) in commands { out += "  " + c.padding(toLength: 18, withPad: " ", startingAt: 0) + d + "\n" }
        out += "\nType :help name for details, Tab to complete, Ctrl-C to cancel, Ctrl-D to quit.\n"
        return out
    }

    static func columns(_ names: [String], width: Int) -> String {
        guard let longest = names.map({ $0.count }).max() else { return "" }
        let col = longest + 2
        let perLine = max(1, width / col)
        var out = ""
        for (i, n) in names.enumerated() {
            out += (i % perLine == 0 ? "  " : "") + n.padding(toLength: col, withPad: " ", startingAt: 0)
            if i % perLine == perLine - 1 || i == names.count - 1 {
                while out.hasSuffix(" ") { out.removeLast() }
                out += "\n"
            }
        }
        return out
    }

    /// Help for a value passed to `help(...)`.
    public static func text(for value: Value?, builtins: BuiltinTable) -> String {
        guard let v = value else { return overview(builtins: builtins) }
        switch v {
        case .function(let f):
            switch f.kind {
            case .builtin(let b): return b.help.render()
            case .method(let o, let h): return h.render(owner: o.typeName)
            case .user(let d, _): return "fn \(d.name)(\(d.parameters.joined(separator: ", ")))\n  defined at \(d.location)\n"
            }
        case .object(let o): return typeText(o.typeName, summary: builtins.types[o.typeName]?.summary, fields: o.fields, methods: o.methods)
        case .string(let s): return topic(s, builtins: builtins, variables: Environment())
        default: return "\(v.typeWithArticle): \(v.summary())\n"
        }
    }

    static func typeText(_ name: String, summary: String?, fields: [FieldHelp], methods: [Help]) -> String {
        var out = name + (summary.map { ": \($0)" } ?? "") + "\n"
        if !fields.isEmpty {
            out += "Fields:\n"
            let w = fields.map { $0.name.count }.max()!
            for f in fields { out += "  ." + f.name.padding(toLength: w, withPad: " ", startingAt: 0) + "  " + f.summary + "\n" }
        }
        if !methods.isEmpty {
            out += "Methods:\n"
            for m in methods { out += "  ." + m.signature + "\n      " + m.summary + "\n" }
        }
        return out
    }

    /// Help on a named topic: a command, builtin, type, variable or method name.
    public static func topic(_ rawName: String, builtins: BuiltinTable, variables: Environment) -> String {
        let name = rawName.trimmingCharacters(in: .whitespaces)
        if name.isEmpty { return overview(builtins: builtins) }
        if let text = entry(name, builtins: builtins, variables: variables) { return text }
        let known = builtins.names + Array(builtins.types.keys) + variables.visibleNames
        let hint = Suggest.didYouMean(name, in: known).map { " \($0.prefix(1).uppercased() + $0.dropFirst())" } ?? ""
        return "No help for '\(name)'.\(hint) Type :help for the list of builtins.\n"
    }

    /// The help for `name` (a command, builtin, type, `Type.method`,
    /// `variable.method`, variable or method name), or nil when there is none.
    public static func entry(_ rawName: String, builtins: BuiltinTable, variables: Environment) -> String? {
        let name = rawName.trimmingCharacters(in: .whitespaces)
        if name.isEmpty { return nil }
        if name.hasPrefix(":") {
            if let c = commands.first(where: { $0.0.hasPrefix(name) }) { return "\(c.0)\n  \(c.1)\n" }
        }
        if let b = builtins.lookup(name) {
            let alias = builtins.aliases[name].map { "(\(name) is another name for \($0))\n" } ?? ""
            return alias + b.help.render()
        }
        if let t = builtins.types[name] { return typeText(t.name, summary: t.summary, fields: t.fields, methods: t.methods) }
        // Type.method
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 2 {
            if let t = builtins.types[parts[0]], let m = t.methods.first(where: { $0.name == parts[1] }) { return m.render(owner: t.name) }
            if case .object(let o)? = variables.lookup(parts[0]), let m = o.method(named: parts[1]) { return m.render(owner: o.typeName) }
        }
        if let v = variables.lookup(name) {
            return "\(name): " + text(for: v, builtins: builtins)
        }
        // A method name of any documented type or live object.
        var found: [String] = []
        for t in builtins.types.values.sorted(by: { $0.name < $1.name }) {
            if let m = t.methods.first(where: { $0.name == name }) { found.append(m.render(owner: t.name)) }
        }
        for (_, v) in variables.values.sorted(by: { $0.key < $1.key }) {
            if case .object(let o) = v, builtins.types[o.typeName] == nil, let m = o.method(named: name) {
                let text = m.render(owner: o.typeName)
                if !found.contains(text) { found.append(text) }
            }
        }
        if !found.isEmpty { return found.joined(separator: "\n") }
        return nil
    }
}
