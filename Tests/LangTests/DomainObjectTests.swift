import Core
import XCTest
@testable import Lang
@testable import Render

/// A stand-in for a domain value, registered the way phase 2 registers real ones.
final class ToyModel: DomainObject {
    var epochsTrained = 0
    let width: Int
    init(width: Int) { self.width = width }

    var typeName: String { "Model" }
    var summary: String { "toy model, width \(width), \(epochsTrained) epochs" }
    func echo(_ context: Context) -> String { "Model\n  width   \(width)\n  epochs  \(epochsTrained)" }
    var fields: [FieldHelp] { [FieldHelp("width", "hidden width"), FieldHelp("epochs", "epochs trained so far")] }
    func field(_ name: String) throws -> Value? {
        switch name {
        case "width": return .int(width)
        case "epochs": return .int(epochsTrained)
        default: return nil
        }
    }
    static var fitHelp: Help {
        Help("fit", [.positional("data", "training data"),
                     .named("epochs", default: .int(1), "passes over the data"),
                     .named("lr", default: .double(1e-3), "learning rate"),
                     .named("seed", "seed for shuffling")],
             summary: "Trains the model.", example: "m.fit(train, epochs: 3)", returns: "the model")
    }
    var methods: [Help] {
        [ToyModel.fitHelp, Help("explode", summary: "Fails like domain code can.")]
    }
    struct ShapeMismatch: Error, CustomStringConvertible {
        var description: String { "shape mismatch: expected [8, 8] images, got [28, 28]" }
    }
    func call(_ name: String, _ args: Arguments, _ context: Context) throws -> Value {
        switch name {
        case "fit":
            let epochs = try args.int("epochs")
            guard epochs > 0 else { throw args.error("epochs", "epochs must be positive, got \(epochs)") }
            _ = try args.double("lr")
            for epoch in 1...epochs {
                if context.cancellation.isSet { break }
                epochsTrained += 1
                context.progress?.update(ProgressEvent(label: "fit", epoch: epoch, epochs: epochs, step: 1, steps: 1, loss: 1.0 / Double(epoch)))
            }
            context.progress?.finish()
            return .object(self)
        case "explode":
            throw ShapeMismatch()
        default:
            throw LangError(.name, "no method \(name)")
        }
    }
    func index(_ index: Value) throws -> Value? {
        if case .int(let i) = index { return .int(i * width) }
        return nil
    }
    var count: Int? { 3 }
    func binary(_ op: BinaryOperator, _ other: Value, selfOnLeft: Bool) throws -> Value? {
        if op == .arithmetic(.add), case .int(let k) = other { return .object(ToyModel(width: width + k)) }
        return nil
    }
}

final class DomainObjectTests: XCTestCase {
    func table() -> BuiltinTable {
        let t = BuiltinTable.standard()
        t.register(Help("toy", [.named("width", default: .int(4), "hidden width")], summary: "A toy model.",
                        example: "let m = toy(width: 8)", returns: "a Model")) { args, _ in
            let w = try args.int("width")
            guard w > 0 && w <= 1 << 20 else { throw args.error("width", "width must be between 1 and \(1 << 20), got \(w)") }
            return .object(ToyModel(width: w))
        }
        t.alias("toy_model", for: "toy")
        t.registerType(TypeHelp(name: "Model", summary: "a trainable model", fields: ToyModel(width: 1).fields, methods: ToyModel(width: 1).methods))
        return t
    }

    func testMethodsFieldsIndexesAndOperators() throws {
        let out = try runScript("""
        let m = toy(width: 8)
        m.fit([1, 2], epochs: 2)
        print(m.width, m.epochs, m[2], len(m), (m + 1).width)
        for x in m { print(x) }
        let f = m.fit
        f([1], epochs: 1)
        print(m.epochs, toy_model().width)
        """, builtins: table())
        XCTAssertEqual(out, "8 2 16 3 9\n0\n8\n16\n3 4\n")
    }

    func testEchoUsesTheObjectsTable() throws {
        let s = Session(builtins: table(), context: Context(output: { _ in }))
        XCTAssertEqual(try runREPL(["toy(width: 2)"], session: s), "Model\n  width   2\n  epochs  0\n")
        let vars = try runREPL(["let m = toy()", ":vars"], session: s)
        XCTAssertTrue(vars.contains("m     Model  toy model, width 4, 0 epochs"), vars)
    }

    func testArgumentErrors() {
        let t = table()
        var e = scriptError("toy().fit([1], epoch: 3)", builtins: t)!
        XCTAssertEqual(e.kind, .argument)
        XCTAssertEqual(e.message, "unknown argument 'epoch' for Model.fit")
        XCTAssertEqual(e.remedy, "did you mean 'epochs'?")
        XCTAssertEqual(e.location?.column, 16)
        e = scriptError("toy().fit()", builtins: t)!
        XCTAssertEqual(e.message, "missing argument 'data' for Model.fit")
        e = scriptError("toy().fit([1], 2)", builtins: t)!
        XCTAssertTrue(e.message.contains("takes 1 positional argument"), e.message)
        XCTAssertTrue(e.remedy!.contains("epochs:"), e.remedy!)
        e = scriptError("toy().fit([1], epochs: \"three\")", builtins: t)!
        XCTAssertEqual(e.kind, .type)
        XCTAssertEqual(e.message, "argument 'epochs' of Model.fit must be an integer, but got a string (\"three\")")
        XCTAssertEqual(e.location?.column, 16)
        e = scriptError("toy().fit([1], epochs: 0)", builtins: t)!
        XCTAssertEqual(e.message, "epochs must be positive, got 0")
        e = scriptError("toy(width: 1e12)", builtins: t)!
        XCTAssertTrue(e.message.contains("width must be between"), e.message)
    }

    func testWrongReceiverAndUnknownMembers() {
        let t = table()
        var e = scriptError("toy().fitt([1])", builtins: t)!
        XCTAssertEqual(e.message, "Model has no method 'fitt'")
        XCTAssertEqual(e.remedy, "did you mean 'fit'?")
        e = scriptError("toy().width()", builtins: t)!
        XCTAssertTrue(e.message.contains("is a field of Model, not a method"), e.message)
        e = scriptError("toy().depth", builtins: t)!
        XCTAssertEqual(e.message, "Model has no field or method 'depth'")
        e = scriptError("[1, 2].fit([1])", builtins: t)!
        XCTAssertEqual(e.message, "a list has no method 'fit'")
        e = scriptError("toy() - 1", builtins: t)!
        XCTAssertEqual(e.message, "cannot apply '-' to a Model and an int")
    }

    func testDomainErrorsAreLocatedAtTheCall() {
        let e = scriptError("let m = toy()\nm.explode()", builtins: table())!
        XCTAssertEqual(e.kind, .runtime)
        XCTAssertEqual(e.message, "shape mismatch: expected [8, 8] images, got [28, 28]")
        XCTAssertEqual(e.location?.line, 2)
        XCTAssertEqual(e.location?.column, 3)
    }

    func testCancellationIsVisibleToDomainCode() throws {
        let ctx = Context(output: { _ in })
        let s = Session(builtins: table(), context: ctx)
        try s.runSource("let m = toy()", name: "t")
        ctx.cancellation.set()
        try s.runSource("m.fit([1], epochs: 5)", name: "t")
        ctx.cancellation.clear()
        try s.runSource("assert(m.epochs == 0)", name: "t")
    }

    func testProgressPrinterPlainLinesPerEpoch() throws {
        var progress = ""
        let ctx = Context(output: { _ in })
        ctx.progress = ProgressPrinter(inPlace: false) { progress += $0 }
        let s = Session(builtins: table(), context: ctx)
        try s.runSource("toy().fit([1], epochs: 2)", name: "t")
        XCTAssertEqual(progress, "fit  epoch 1/2  step 1/1  loss 1.0000\nfit  epoch 2/2  step 1/1  loss 0.5000\n")
    }

    func testHelpForBuiltinsTypesMethodsAndValues() throws {
        let s = Session(builtins: table(), context: Context(output: { _ in }))
        let fit = try runREPL([":help fit"], session: s)
        XCTAssertTrue(fit.hasPrefix("Model.fit(data, epochs: 1, lr: 0.001, seed:) -> the model\n  Trains the model.\n"), fit)
        XCTAssertTrue(fit.contains("epochs: 1"), fit)
        XCTAssertTrue(fit.contains("Example:\n  m.fit(train, epochs: 3)"), fit)
        let type = try runREPL([":help Model"], session: s)
        XCTAssertTrue(type.contains(".fit(data, epochs: 1, lr: 0.001, seed:)"), type)
        XCTAssertTrue(type.contains(".width"), type)
        let alias = try runREPL([":help toy_model"], session: s)
        XCTAssertTrue(alias.contains("toy_model is another name for toy"), alias)
        let overview = try runREPL([":help"], session: s)
        XCTAssertTrue(overview.contains("Commands:"), overview)
        XCTAssertTrue(overview.contains("toy"), overview)
        let unknown = try runREPL([":help lenn"], session: s)
        XCTAssertTrue(unknown.contains("Did you mean 'len'?"), unknown)
    }
}
