import XCTest
@testable import Lang

final class DiagnosticTests: XCTestCase {
    func testFormatHasFileLineColumnSourceAndCaret() {
        let e = scriptError("let ensemble = 1\nprint(ensemle)")!
        XCTAssertEqual(Diagnostic.format(e), """
        test.lora:2:7: error: unknown name 'ensemle'
        2 | print(ensemle)
          |       ^
        note: did you mean 'ensemble'?

        """)
    }

    func testCRLFScriptsKeepTheirSourceLineAndCaret() {
        let e = scriptError("let ensemble = 1\r\nprint(ensemle)\r\n")!
        XCTAssertEqual(Diagnostic.format(e), """
        test.lora:2:7: error: unknown name 'ensemle'
        2 | print(ensemle)
          |       ^
        note: did you mean 'ensemble'?

        """)
    }

    func testCaretAlignsWithTabs() {
        let e = scriptError("\tprint(1 / 0)")!
        let lines = Diagnostic.format(e).split(separator: "\n")
        XCTAssertEqual(lines[1], "1 |  print(1 / 0)")
        XCTAssertEqual(lines[2], "  |          ^")
    }

    func testVeryLongLinesAreCutAroundTheColumn() {
        let source = "let x = [" + String(repeating: "1, ", count: 5000) + "nope]"
        let e = scriptError(source)!
        let text = Diagnostic.format(e)
        let lines = text.split(separator: "\n")
        XCTAssertLessThan(lines[1].count, Diagnostic.maxShownWidth + 20)
        // The caret still points at 'nope'.
        let caret = lines[2].firstIndex(of: "^")!.utf16Offset(in: lines[2])
        let shown = lines[1]
        let start = shown.index(shown.startIndex, offsetBy: caret)
        XCTAssertTrue(shown[start...].hasPrefix("nope"), String(shown))
    }

    func testEditDistance() {
        XCTAssertEqual(Suggest.distance("kitten", "sitting"), 3)
        XCTAssertEqual(Suggest.distance("", "abc"), 3)
        XCTAssertEqual(Suggest.closest(to: "epoch", in: ["epochs", "lr", "batch"]), "epochs")
        XCTAssertNil(Suggest.closest(to: "zzz", in: ["epochs", "lr"]))
        XCTAssertEqual(Suggest.closest(to: "Len", in: ["len"]), "len")
    }
}
