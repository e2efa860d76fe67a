import XCTest
@testable import Notebook

/// The markdown side: fences, info strings, output blocks, line endings.
final class ParserTests: XCTestCase {
    func testCellsOutputsAndProse() throws {
        let doc = try document("""
        # Title
        text
        \(fence)lora
        let x = 1
        x
        \(fence)

        \(fence)output
        1
        \(fence)
        more text
        \(fence)lora skip-check
        x + 1
        \(fence)
        """)
        XCTAssertEqual(doc.cells.count, 2)
        let a = doc.cells[0], b = doc.cells[1]
        XCTAssertEqual(a.openingLine, 3)
        XCTAssertEqual(a.firstCodeLine, 4)
        XCTAssertEqual(a.code, ["let x = 1", "x"])
        XCTAssertEqual(a.expected?.lines, ["1"])
        XCTAssertEqual(a.expected?.openingLine, 8)
        XCTAssertEqual(a.expected?.firstLine, 9)
        XCTAssertEqual(a.expected?.gap, [""])
        XCTAssertEqual(b.index, 1)
        XCTAssertEqual(b.options, CellOptions(expectsError: false, skipCheck: true))
        XCTAssertNil(b.expected)
        XCTAssertEqual(doc.blocks.first, .markdown(["# Title", "text"]))
        XCTAssertEqual(doc.blocks[2], .markdown(["more text"]))
    }

    func testOtherFencesPassThroughAndHideNestedCells() throws {
        let doc = try document("""
        ````markdown
        \(fence)lora
        not a cell
        \(fence)
        ````
        ~~~
        \(fence)lora
        ~~~
        \(fence)swift
        let y = 2
        \(fence)
            \(fence)lora
            indented four spaces: an indented code block, not a fence
        """)
        XCTAssertEqual(doc.cells.count, 0)
        XCTAssertEqual(doc.blocks.count, 1)
        guard case .markdown(let lines) = doc.blocks[0] else { return XCTFail() }
        XCTAssertEqual(lines.count, 13)
    }

    func testLongerFenceKeepsShorterBackticksInside() throws {
        let doc = try document("""
        ````lora
        let s = "\(fence)"
        s
        ````
        ````output
        "\(fence)"
        \(fence)
        ````
        """)
        XCTAssertEqual(doc.cells.count, 1)
        XCTAssertEqual(doc.cells[0].code, ["let s = \"\(fence)\"", "s"])
        XCTAssertEqual(doc.cells[0].expected?.lines, ["\"\(fence)\"", fence])
    }

    func testFenceRules() {
        XCTAssertEqual(Fence.opening("```lora error, skip-check")?.options, ["error", "skip-check"])
        XCTAssertEqual(Fence.opening("   ```lora")?.indent, 3)
        XCTAssertNil(Fence.opening("    ```lora"))
        XCTAssertNil(Fence.opening("``lora"))
        XCTAssertNil(Fence.opening("```lo`ra"))        // backtick in a backtick info string
        XCTAssertEqual(Fence.opening("~~~lo`ra")?.language, "lo`ra")
        let f = Fence.opening("````lora")!
        XCTAssertFalse(f.isClosed(by: "```"))
        XCTAssertTrue(f.isClosed(by: "`````  "))
        XCTAssertFalse(f.isClosed(by: "```` x"))
        XCTAssertFalse(f.isClosed(by: "~~~~"))
    }

    func testCRLFIsReadAndKept() throws {
        let text = "intro\r\n```lora\r\n1 + 1\r\n```\r\n"
        let doc = try document(text)
        XCTAssertEqual(doc.cells[0].code, ["1 + 1"])
        XCTAssertEqual(doc.source.lineEnding, "\r\n")
        XCTAssertEqual(doc.source.text, text)
        let results = NotebookRunner(document: doc, threads: 1).runAll()
        let written = MarkdownWriter.markdown(doc, results: [0: results[0]])
        XCTAssertEqual(written, "intro\r\n```lora\r\n1 + 1\r\n```\r\n\r\n```output\r\n2\r\n```\r\n")
    }

    func testMistakesInTheNotebookNameTheLine() {
        XCTAssertThrowsError(try document("a\n```lora\nx\n", name: "t.md")) { e in
            XCTAssertEqual("\(e)", "t.md:2: error: the ```lora cell opened here is never closed\nnote: end the cell with a line of 3 backticks\n")
        }
        XCTAssertThrowsError(try document("```lora erorr\nx\n```\n", name: "t.md")) { e in
            XCTAssertTrue("\(e)".hasPrefix("t.md:1: error: unknown cell option 'erorr'"), "\(e)")
        }
        XCTAssertThrowsError(try document("```lora\nx\n```\n```output\n1\n", name: "t.md")) { e in
            XCTAssertTrue("\(e)".hasPrefix("t.md:4: error: the ```output block opened here is never closed"), "\(e)")
        }
    }

    func testEmptyAndTextOnlyNotebooks() throws {
        XCTAssertEqual(try document("").cells.count, 0)
        XCTAssertEqual(try document("").source.text, "")
        let doc = try document("just prose, no final newline")
        XCTAssertEqual(MarkdownWriter.markdown(doc, results: [:]), "just prose, no final newline")
    }
}
