import XCTest
@testable import Lang

final class InterpreterTests: XCTestCase {
    func testArithmeticAndNumbers() throws {
        XCTAssertEqual(try runScript("print(1 + 2 * 3, 7 / 2, 7 // 2, -7 // 2, -7 % 3, 2 ** 10, 2 ** -1, 1e-3)"),
                       "7 3.5 3 -4 2 1024 0.5 0.001\n")
        XCTAssertEqual(try runScript("print(0.1 + 0.2 == 0.3, 3 == 3.0, 1 < 2.5, \"a\" < \"b\")"), "false true true true\n")
        XCTAssertEqual(try runScript("print(\"ab\" * 3, [1] * 3, [1] + [2], (1, 2) + (3,))"), "ababab [1, 1, 1] [1, 2] (1, 2, 3)\n")
    }

    func testBindingsDestructuringAndRebinding() throws {
        let out = try runScript("""
        let (a, (b, _)) = (1, (2, 3))
        let x = 10
        x = x + a
        x += b
        print(a, b, x)
        """)
        XCTAssertEqual(out, "1 2 13\n")
    }

    func testControlFlowAndFunctions() throws {
        let out = try runScript("""
        fn fib(n) {
            if n < 2 { return n }
            return fib(n - 1) + fib(n - 2)
        }
        let total = 0
        for i in 0..<10 {
            if i % 2 == 0 { continue }
            if i > 7 { break }
            total += i
        }
        let n = 0
        while n < 3 { n += 1 }
        print(fib(20), total, n)
        for (i, s) in enumerate(["a", "b"]) { print(i, s) }
        fn scale(x, by) { return x * by }
        print(scale(2, by: 5))
        """)
        XCTAssertEqual(out, "6765 16 3\n0 a\n1 b\n10\n")
    }

    func testSingleExpressionBodyReturnsItsValue() throws {
        XCTAssertEqual(try runScript("fn square(x) { x * x }\nprint(square(7))"), "49\n")
        // Longer bodies still need `return`; without it they give nil.
        XCTAssertEqual(try runScript("fn f(x) {\n let y = x\n y * 2\n}\nprint(f(3))"), "nil\n")
    }

    func testClosuresSeeTheirDefiningScope() throws {
        XCTAssertEqual(try runScript("""
        fn counter(start) {
            fn next(step) { return start + step }
            return next
        }
        let c = counter(100)
        print(c(5))
        """), "105\n")
    }

    func testIndexingSlicingAndRanges() throws {
        XCTAssertEqual(try runScript("""
        let xs = [10, 20, 30, 40]
        print(xs[0], xs[-1], xs[1..<3], xs[1...2], len(0..<5), (2...4)[1], "hello"[1..<3], xs.count)
        """), "10 40 [20, 30] [20, 30] 5 3 el 4\n")
    }

    func testStringInterpolation() throws {
        XCTAssertEqual(try runScript("""
        let r = (0.5, "ok")
        print("acc \\(r.0 * 100)% is \\(r.1), \\(len([1, 2])) items, nested \\("<\\(1 + 1)>")")
        """), "acc 50.0% is ok, 2 items, nested <2>\n")
        let e = scriptError("let a = 1\nprint(\"value: \\(a + nope)\")")!
        XCTAssertEqual(e.location?.description, "test.lora:2:21")
        XCTAssertEqual(scriptError("print(\"\\(1 +\")")?.kind, .syntax)
        XCTAssertEqual(scriptError("print(\"\\()\")")?.kind, .syntax)
    }

    func testLogicShortCircuits() throws {
        XCTAssertEqual(try runScript("print(false and 1 / 0, true or 1 / 0, nil or 3, not nil)"), "false true 3 true\n")
    }

    func testBlocksScopeTheirLets() throws {
        let e = scriptError("if true { let inner = 1 }\nprint(inner)")!
        XCTAssertEqual(e.kind, .name)
        XCTAssertEqual(e.location?.line, 2)
    }

    func testREPLEchoesOnlyBareExpressionsAndNotNil() throws {
        XCTAssertEqual(try runREPL(["1 + 1", "let x = 3", "x", "print(\"p\")", "\"s\"", "[1.5, \"a\"]", "nil"]),
                       "2\n3\np\n\"s\"\n[1.5, \"a\"]\n")
    }

    func testREPLErrorKeepsVariables() throws {
        let s = Session(context: Context(output: { _ in }))
        _ = try s.evaluateEntry("let kept = 41")
        XCTAssertThrowsError(try s.evaluateEntry("kept + undefined_thing"))
        XCTAssertEqual(try runREPL(["kept + 1"], session: s), "42\n")
        // Positions continue across entries: the fourth line of <repl>.
        do { _ = try s.evaluateEntry("oops") } catch let e as LangError {
            XCTAssertEqual(e.location?.description, "<repl>:4:1")
        }
    }

    func testREPLCommands() throws {
        let s = Session(context: Context(output: { _ in }))
        let out = try runREPL(["let model_size = 12", ":vars", ":type 1.5", ":type model_size", ":time 1 + 1", ":help len"], session: s)
        XCTAssertTrue(out.contains("model_size  int"), out)
        XCTAssertTrue(out.contains("float\nint\n"), out)
        XCTAssertTrue(out.contains("time: "), out)
        XCTAssertTrue(out.contains("len(x) -> an int"), out)
        _ = try s.evaluateEntry(":reset")
        XCTAssertThrowsError(try s.evaluateEntry("model_size"))
        XCTAssertEqual(try s.evaluateEntry(":quit"), .quit)
        XCTAssertThrowsError(try s.evaluateEntry(":vras")) { e in
            XCTAssertEqual((e as! LangError).remedy, "did you mean ':vars'?")
        }
    }

    func testLoadRunsAFileInTheSession() throws {
        let path = NSTemporaryDirectory() + "lora-load-\(getpid()).lora"
        try "let loaded = 7\nfn twice(x) { return 2 * x }\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(try runREPL([":load \(path)", "twice(loaded)"]), "14\n")
    }

    func testRuntimeErrorsAreReportedWithRemedies() {
        XCTAssertEqual(scriptError("let a = 1\nprint(b)")?.remedy, "did you mean 'a'?")
        XCTAssertEqual(scriptError("print(1 / 0)")?.kind, .arithmetic)
        XCTAssertEqual(scriptError("print(5 % 0)")?.kind, .arithmetic)
        XCTAssertEqual(scriptError("print(9223372036854775807 + 1)")?.kind, .arithmetic)
        XCTAssertEqual(scriptError("[1, 2][2]")?.kind, .index)
        XCTAssertEqual(scriptError("[1, 2][0..<3]")?.kind, .index)
        XCTAssertEqual(scriptError("[1, 2][\"a\"]")?.kind, .type)
        XCTAssertEqual(scriptError("\"a\" - 1")?.kind, .type)
        XCTAssertEqual(scriptError("len(3)")?.kind, .type)
        XCTAssertEqual(scriptError("3(1)")?.kind, .type)
        XCTAssertEqual(scriptError("undefined_var = 1")?.kind, .name)
        XCTAssertEqual(scriptError("let (a, b) = (1, 2, 3)")?.kind, .type)
        XCTAssertEqual(scriptError("fn f(a) { return a }\nf(1, 2)")?.kind, .argument)
        XCTAssertEqual(scriptError("fn f(a) { return a }\nf(b: 1)")?.kind, .argument)
        XCTAssertEqual(scriptError("fn f(a) { return a }\nf()")?.kind, .argument)
        XCTAssertEqual(scriptError("for x in 3 { }")?.kind, .type)
        XCTAssertEqual(scriptError("[1].fit()")?.kind, .type)
        XCTAssertEqual(scriptError("(1, 2).5")?.kind, .index)
        XCTAssertEqual(scriptError("return 1")?.kind, .syntax)
        XCTAssertEqual(scriptError("\"x\" * 100000000")?.kind, .limit)
        XCTAssertEqual(scriptError("assert(1 > 2, \"nope\")")?.message, "assertion failed: nope")
    }

    func testRunawayRecursionIsAnError() {
        let e = scriptError("fn down(n) { return down(n + 1) }\ndown(0)")!
        XCTAssertEqual(e.kind, .limit)
    }

    func testCancellationStopsLoops() {
        let ctx = Context(output: { _ in })
        let s = Session(context: ctx)
        ctx.cancellation.set()
        XCTAssertThrowsError(try s.runSource("while true { }", name: "t")) { e in
            XCTAssertEqual((e as! LangError).kind, .interrupted)
            XCTAssertNotNil((e as! LangError).location)
        }
    }

    func testScriptArguments() throws {
        var out = ""
        let s = Session(context: Context(output: { out += $0 }, scriptArguments: ["a", "b"]))
        try s.runSource("print(len(args), args[1])", name: "t")
        XCTAssertEqual(out, "2 b\n")
    }
}
