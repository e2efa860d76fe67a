import XCTest
@testable import Lang

final class ParserTests: XCTestCase {
    /// A compact rendering of an expression tree, for structural checks.
    func show(_ e: Expr) -> String {
        switch e.kind {
        case .int(let i): return "\(i)"
        case .float(let d): return "\(d)"
        case .string(let s): return "\"\(s)\""
        case .interpolation(let parts): return "(interp " + parts.map(show).joined(separator: " ") + ")"
        case .bool(let b): return "\(b)"
        case .nil: return "nil"
        case .name(let n): return n
        case .list(let xs): return "[" + xs.map(show).joined(separator: " ") + "]"
        case .tuple(let xs): return "(tuple " + xs.map(show).joined(separator: " ") + ")"
        case .range(let a, let b, let inc): return "(\(inc ? "..." : "..<") \(show(a)) \(show(b)))"
        case .unary(let op, let x): return "(\(op.rawValue) \(show(x)))"
        case .binary(let op, let a, let b): return "(\(op.rawValue) \(show(a)) \(show(b)))"
        case .and(let a, let b): return "(and \(show(a)) \(show(b)))"
        case .or(let a, let b): return "(or \(show(a)) \(show(b)))"
        case .call(let f, let args):
            return "(call \(show(f))" + args.map { " " + ($0.label.map { "\($0):" } ?? "") + show($0.value) }.joined() + ")"
        case .member(let b, let n): return "(. \(show(b)) \(n))"
        case .index(let b, let i): return "([] \(show(b)) \(show(i)))"
        }
    }

    func expr(_ s: String) throws -> String {
        let program = try Parser.parse(s)
        guard case .expression(let e) = program[0].kind else { XCTFail("not an expression"); return "" }
        return show(e)
    }

    func testPrecedence() throws {
        XCTAssertEqual(try expr("1 + 2 * 3 ** 2"), "(+ 1 (* 2 (** 3 2)))")
        XCTAssertEqual(try expr("-2 ** 2"), "(- (** 2 2))")
        XCTAssertEqual(try expr("a < b and not c or d"), "(or (and (< a b) (! c)) d)")
        XCTAssertEqual(try expr("0..<n - 1"), "(..< 0 (- n 1))")
        XCTAssertEqual(try expr("10 - 3 - 2"), "(- (- 10 3) 2)")
    }

    func testCallsMembersIndexes() throws {
        XCTAssertEqual(try expr("ens.fit(train, epochs: 3, lr: 1e-3)"), "(call (. ens fit) train epochs:3 lr:0.001)")
        XCTAssertEqual(try expr("test[0..<5]"), "([] test (..< 0 5))")
        XCTAssertEqual(try expr("ood(m, in: d)"), "(call ood m in:d)")
        XCTAssertEqual(try expr("t.0"), "(. t 0)")
        XCTAssertEqual(try expr("(1, \"a\")"), "(tuple 1 \"a\")")
        XCTAssertEqual(try expr("(1)"), "1")
        XCTAssertEqual(try expr("[1, [2], ]"), "[1 [2]]")
    }

    func testStatements() throws {
        let p = try Parser.parse("""
        let (train, test) = d.split(0.8, seed: 7)
        fn add(a, b) { return a + b }
        for x in xs { total += x }
        if a { b } else if c { d }
        else { e }
        x = 3
        """)
        XCTAssertEqual(p.count, 5)  // the 'else' on its own line belongs to the 'else if'
        guard case .let(.tuple(let parts, _), _) = p[0].kind else { return XCTFail() }
        XCTAssertEqual(parts.count, 2)
        guard case .function(let f) = p[1].kind else { return XCTFail() }
        XCTAssertEqual(f.parameters, ["a", "b"])
        guard case .if(_, _, let otherwise?) = p[3].kind, case .if(_, _, let inner?) = otherwise[0].kind else { return XCTFail() }
        XCTAssertEqual(inner.count, 1)
        guard case .assign("x", _) = p[4].kind else { return XCTFail() }
    }

    func syntaxError(_ s: String) -> LangError? {
        do { _ = try Parser.parse(s); XCTFail("parsed: \(s)"); return nil } catch { return error as? LangError }
    }

    func testSyntaxErrorsNameTheProblemAndPlace() {
        let e1 = syntaxError("f(x, epochs: 3, 4)")!
        XCTAssertTrue(e1.message.contains("positional argument after a named"))
        XCTAssertEqual(e1.location?.column, 17)
        let e2 = syntaxError("let = 3")!
        XCTAssertTrue(e2.message.contains("expected a name"))
        let e3 = syntaxError("1 +")!
        XCTAssertTrue(e3.message.contains("expected an expression"))
        let e4 = syntaxError("a < b < c")!
        XCTAssertTrue(e4.message.contains("chained"))
        let e5 = syntaxError("f(1) = 2")!
        XCTAssertTrue(e5.message.contains("cannot assign"))
        let e6 = syntaxError("let for = 1")!
        XCTAssertTrue(e6.message.contains("reserved"))
        let e7 = syntaxError("if x {\n print(1)\n")!
        XCTAssertTrue(e7.message.contains("'}'"), e7.message)
        let e8 = syntaxError("print(1) print(2)")!
        XCTAssertTrue(e8.message.contains("end of statement"))
    }

    func testDepthLimitIsAnErrorNotACrash() {
        let deep = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
        let e = syntaxError(deep)!
        XCTAssertEqual(e.kind, .limit)
        let deepList = String(repeating: "[", count: 3000) + String(repeating: "]", count: 3000)
        XCTAssertEqual(syntaxError(deepList)?.kind, .limit)
        let deepNot = String(repeating: "-", count: 10000) + "1"
        XCTAssertEqual(syntaxError(deepNot)?.kind, .limit)
        let deepBlocks = String(repeating: "if true {", count: 500) + String(repeating: "}", count: 500)
        XCTAssertEqual(syntaxError(deepBlocks)?.kind, .limit)
        let longChain = String(repeating: "1 + ", count: 5000) + "1"
        XCTAssertEqual(syntaxError(longChain)?.kind, .limit)
        // Moderate nesting is fine.
        XCTAssertNoThrow(try Parser.parse(String(repeating: "(", count: 30) + "1" + String(repeating: ")", count: 30)))
    }
}
