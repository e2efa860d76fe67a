/// A value from the domain layers (data set, model, ensemble, tensor, report,
/// figure) as the language sees it. Conform a class (or a thin wrapper class
/// around a struct) and return it from a builtin as `.object(x)`.
///
/// Methods are declared by `methods` (a `Help` per method, which also drives
/// argument checking, completion and `:help`) and run by `call`. The
/// interpreter binds and checks arguments against the method's `Help` before
/// `call` is invoked, so `call` can read them with `args.int("epochs")` etc.
///
///     final class ReportValue: DomainObject {
///         let report: EvaluationReport
///         var typeName: String { "Report" }
///         var summary: String { "accuracy \(report.accuracy)" }
///         var fields: [FieldHelp] { [FieldHelp("accuracy", "fraction correct")] }
///         func field(_ name: String) throws -> Value? {
///             name == "accuracy" ? .double(report.accuracy) : nil
///         }
///     }
public protocol DomainObject: AnyObject {
    /// The type's name as users see it: `Dataset`, `Model`, `Ensemble`, `Report`.
    var typeName: String { get }
    /// One line for `:vars`, lists and error messages.
    var summary: String { get }
    /// What the REPL shows for a bare expression: a summary or an aligned table.
    /// Defaults to `summary`.
    func echo(_ context: Context) -> String
    /// What a front end that shows more than text (Jupyter) displays: the
    /// echo's text plus HTML for tables or SVG for figures. Defaults to the echo alone.
    func display(_ context: Context) -> RichDisplay
    /// Documented fields (for `:help`, completion and "did you mean").
    var fields: [FieldHelp] { get }
    /// The value of a field, or nil when there is no such field.
    func field(_ name: String) throws -> Value?
    /// Documented methods; their parameters are checked before `call`.
    var methods: [Help] { get }
    /// Runs method `name` (one of `methods`) with already-bound arguments.
    func call(_ name: String, _ args: Arguments, _ context: Context) throws -> Value
    /// Arithmetic and comparison with another value (tensors); nil = unsupported.
    /// `selfOnLeft` tells whether this object is the left operand.
    func binary(_ op: BinaryOperator, _ other: Value, selfOnLeft: Bool) throws -> Value?
    /// `self[index]` (an int or a range); nil = not indexable.
    func index(_ index: Value) throws -> Value?
    /// Number of elements for `len()` and `for` loops; nil = not a collection.
    var count: Int? { get }
    /// Called when `let NAME = value` binds this object (models take the name).
    func bound(to name: String)
}

extension DomainObject {
    public func echo(_ context: Context) -> String { summary }
    public func display(_ context: Context) -> RichDisplay { RichDisplay(text: echo(context)) }
    public func bound(to name: String) {}
    public var fields: [FieldHelp] { [] }
    public func field(_ name: String) throws -> Value? { nil }
    public var methods: [Help] { [] }
    public func call(_ name: String, _ args: Arguments, _ context: Context) throws -> Value {
        throw LangError(.name, "\(typeName) has no method '\(name)'")
    }
    public func binary(_ op: BinaryOperator, _ other: Value, selfOnLeft: Bool) throws -> Value? { nil }
    public func index(_ index: Value) throws -> Value? { nil }
    public var count: Int? { nil }

    /// Method and field names, for tab completion after `.`.
    public var completions: [String] {
        (methods.map { $0.name } + fields.map { $0.name }).sorted()
    }
    /// The help of method `name`, if any.
    public func method(named name: String) -> Help? { methods.first { $0.name == name } }
}

/// A documented field of a domain value.
public struct FieldHelp: Sendable {
    public let name: String
    public let summary: String
    public init(_ name: String, _ summary: String) {
        self.name = name
        self.summary = summary
    }
}
