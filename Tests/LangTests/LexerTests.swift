import XCTest
@testable import Lang

final class LexerTests: XCTestCase {
    func kinds(_ s: String) throws -> [Token.Kind] { try Lexer.tokenize(s).map { $0.kind } }

    func testLiterals() throws {
        XCTAssertEqual(try kinds("42 1e-3 2.5 1_000 \"a\\n\\u{41}\" 'q' true nil"),
                       [.int(42), .float(0.001), .float(2.5), .int(1000), .string("a\nA"), .string("q"),
                        .keyword(.true), .keyword(.nil), .newline, .eof])
    }

    func testRangesAreNotFloats() throws {
        XCTAssertEqual(try kinds("0..<5 1...3"),
                       [.int(0), .op(.halfOpenRange), .int(5), .int(1), .op(.closedRange), .int(3), .newline, .eof])
    }

    func testPositionsCarryLineAndColumn() throws {
        let toks = try Lexer.tokenize("let a = 1\n  print(a)")
        let p = toks.first { $0.kind == .identifier("print") }!
        XCTAssertEqual(p.location.line, 2)
        XCTAssertEqual(p.location.column, 3)
    }

    func testContinuationLinesInsideBracketsAndAfterOperators() throws {
        // No newline token inside parentheses or after a trailing '+'.
        let k = try kinds("f(1,\n 2)\nlet x = 1 +\n 2")
        XCTAssertEqual(k.filter { $0 == .newline }.count, 2)
    }

    func testCommentsAndShebang() throws {
        XCTAssertEqual(try kinds("#!/usr/bin/env lora\n# note\nx # trailing"), [.identifier("x"), .newline, .eof])
    }

    func testErrorsAreLocated() {
        XCTAssertThrowsError(try Lexer.tokenize("let s = \"open")) { e in
            let e = e as! LangError
            XCTAssertEqual(e.kind, .syntax)
            XCTAssertEqual(e.location?.column, 9)
            XCTAssertTrue(e.message.contains("unterminated"))
        }
        XCTAssertThrowsError(try Lexer.tokenize("a & b")) { e in
            XCTAssertEqual((e as! LangError).remedy, "use '&&' or 'and' for logical and")
        }
        XCTAssertThrowsError(try Lexer.tokenize("x = 99999999999999999999")) { e in
            XCTAssertTrue((e as! LangError).message.contains("too large"))
        }
        XCTAssertThrowsError(try Lexer.tokenize("\u{0}\u{1}")) { e in
            XCTAssertTrue((e as! LangError).message.contains("\\u{0}"))
        }
        XCTAssertThrowsError(try Lexer.tokenize("f(1]")) { e in
            XCTAssertTrue((e as! LangError).message.contains("does not match"))
        }
    }

    func testIsComplete() {
        XCTAssertTrue(Lexer.isComplete("let x = 1"))
        XCTAssertFalse(Lexer.isComplete("let xs = [1,"))
        XCTAssertFalse(Lexer.isComplete("f(a,\n b"))
        XCTAssertFalse(Lexer.isComplete("let y = 2 +"))
        XCTAssertFalse(Lexer.isComplete("fn f(a) {\n return a"))
        XCTAssertTrue(Lexer.isComplete("fn f(a) {\n return a\n}"))
        XCTAssertFalse(Lexer.isComplete("x and"))
        XCTAssertTrue(Lexer.isComplete("x # comment ending in +"))
        // Errors are complete so that they get reported.
        XCTAssertTrue(Lexer.isComplete("\"open"))
        XCTAssertTrue(Lexer.isComplete(")"))
    }

    func testVeryLongLine() throws {
        let line = "let x = " + Array(repeating: "1", count: 20_000).joined(separator: " + ")
        XCTAssertEqual(try Lexer.tokenize(line).count, 3 + 2 * 20_000 - 1 + 2)
    }
}
