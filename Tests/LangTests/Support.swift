import XCTest
@testable import Lang

/// Runs a script and returns what it printed.
func runScript(_ source: String, builtins: BuiltinTable = .standard(), file: StaticString = #filePath, line: UInt = #line) throws -> String {
    var out = ""
    let session = Session(builtins: builtins, context: Context(output: { out += $0 }))
    try session.runSource(source, name: "test.lora")
    return out
}

/// Runs entries like the REPL does (echoing bare expressions) and returns the output.
func runREPL(_ entries: [String], session: Session? = nil) throws -> String {
    var out = ""
    let s = session ?? Session(context: Context(output: { _ in }))
    s.context.output = { out += $0 }
    for e in entries { _ = try s.evaluateEntry(e) }
    return out
}

/// The LangError a script raises, or a test failure.
func scriptError(_ source: String, builtins: BuiltinTable = .standard(), file: StaticString = #filePath, line: UInt = #line) -> LangError? {
    do {
        _ = try runScript(source, builtins: builtins)
        XCTFail("expected an error from: \(source)", file: file, line: line)
        return nil
    } catch let e as LangError {
        return e
    } catch {
        XCTFail("non-language error \(error)", file: file, line: line)
        return nil
    }
}
