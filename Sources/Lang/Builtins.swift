/// A function the language provides: its help (signature, description,
/// arguments, example) and its body, which gets checked arguments.
public struct Builtin {
    public let help: Help
    public let body: (Arguments, Context) throws -> Value
    public init(help: Help, body: @escaping (Arguments, Context) throws -> Value) {
        self.help = help
        self.body = body
    }
}

/// Documentation of a domain type for `:help TypeName`.
public struct TypeHelp {
    public let name: String
    public let summary: String
    public let fields: [FieldHelp]
    public let methods: [Help]
    public init(name: String, summary: String, fields: [FieldHelp] = [], methods: [Help] = []) {
        self.name = name
        self.summary = summary
        self.fields = fields
        self.methods = methods
    }
}

/// The table of builtins the interpreter resolves names against. Domain layers
/// add theirs with `register`:
///
///     table.register(Help("dataset", [.positional("name", "digits or fashion-mnist")],
///                         summary: "Loads a named data set.", example: "let d = dataset(\"digits\")",
///                         returns: "a Dataset")) { args, context in
///         .object(DatasetValue(try Dataset.named(args.string("name"))))
///     }
public final class BuiltinTable {
    public private(set) var builtins: [String: Builtin] = [:]
    /// Old or alternative names: alias -> canonical name.
    public private(set) var aliases: [String: String] = [:]
    public private(set) var types: [String: TypeHelp] = [:]

    public init() {}

    /// Adds a builtin. Each name is registered once: a second registration
    /// would silently replace the first, so it stops the program at start-up.
    public func register(_ help: Help, _ body: @escaping (Arguments, Context) throws -> Value) {
        precondition(builtins[help.name] == nil, "builtin '\(help.name)' is registered twice")
        builtins[help.name] = Builtin(help: help, body: body)
    }

    /// Makes `alias` another name for the builtin `name`.
    public func alias(_ alias: String, for name: String) {
        aliases[alias] = name
    }

    /// Documents a domain type for `:help`.
    public func registerType(_ type: TypeHelp) {
        types[type.name] = type
    }

    public func lookup(_ name: String) -> Builtin? {
        builtins[name] ?? aliases[name].flatMap { builtins[$0] }
    }

    /// All callable names, aliases included, sorted.
    public var names: [String] { (Array(builtins.keys) + Array(aliases.keys)).sorted() }

    /// The standard table: the core builtins plus every domain installer.
    public static func standard() -> BuiltinTable {
        let table = BuiltinTable()
        CoreBuiltins.install(into: table)
        DomainBuiltins.install(table)
        return table
    }
}
