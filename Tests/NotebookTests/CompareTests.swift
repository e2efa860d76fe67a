import Foundation
import XCTest
@testable import Notebook

/// `lora notebook compare`: the outputs of a notebook Jupyter executed,
/// checked against the markdown's output blocks.
final class CompareTests: XCTestCase {
    let markdown = """
    # T

    ```lora
    let xs = [1, 2]
    xs
    ```

    ```output
    [1, 2]
    trained in 2.31 s
    ```

    ```lora error
    xs[5]
    ```

    ```output
    t.md:16:3: error: index 5 is out of range for a list of 2 elements
    16 | xs[5]
       |   ^
    note: valid indexes are 0..<2, or -2...-1 from the end
    ```

    """

    /// An executed .ipynb as nbconvert writes it: streams as lists of lines,
    /// a display's text without its final newline, an error's traceback.
    func executed(firstDisplay: String = "[1, 2]", traceback: [String]? = nil, ids: [String] = ["cell-1", "cell-2"]) -> Data {
        let tb = traceback ?? [
            "In[2]:1:3: error: index 5 is out of range for a list of 2 elements",
            "1 | xs[5]",
            "  |   ^",
            "note: valid indexes are 0..<2, or -2...-1 from the end",
        ]
        let nb: [String: Any] = [
            "metadata": ["kernelspec": ["name": "lora", "display_name": "lora", "language": "lora"]],
            "nbformat": 4, "nbformat_minor": 5,
            "cells": [
                ["cell_type": "markdown", "id": "markdown-1", "metadata": [:], "source": ["# T"]],
                ["cell_type": "code", "id": ids[0], "metadata": [:], "execution_count": 1, "source": ["let xs = [1, 2]\n", "xs"],
                 "outputs": [
                    ["output_type": "display_data", "metadata": [:], "data": ["text/plain": firstDisplay, "text/html": "<b>x</b>"]],
                    ["output_type": "stream", "name": "stdout", "text": ["trained in 0.52 s\n"]],
                 ]],
                ["cell_type": "code", "id": ids[1], "metadata": ["tags": ["raises-exception"]], "execution_count": 2, "source": ["xs[5]"],
                 "outputs": [["output_type": "error", "ename": "IndexError", "evalue": "index 5 ...", "traceback": tb]]],
            ],
        ]
        return try! JSONSerialization.data(withJSONObject: nb)
    }

    func compare(_ data: Data) throws -> (status: Int32, out: String, err: String) {
        let scratch = try Scratch()
        let md = try scratch.write("t.md", markdown)
        try data.write(to: URL(fileURLWithPath: scratch.file("done.ipynb")))
        var out = "", err = ""
        let status = NotebookCommands.compare(path: md, executed: scratch.file("done.ipynb"), output: { out += $0 }, error: { err += $0 })
        return (status, out, err)
    }

    func testReadsStreamsDisplaysAndErrorsInOrder() throws {
        let nb = try ExecutedNotebook(data: executed(), name: "done.ipynb")
        XCTAssertEqual(nb.kernelName, "lora")
        XCTAssertEqual(nb.cells.map(\.id), ["cell-1", "cell-2"])
        XCTAssertEqual(nb.cells[0].printed, "[1, 2]\ntrained in 0.52 s\n")
        XCTAssertNil(nb.cells[0].diagnostic)
        XCTAssertEqual(nb.cells[1].printed, "")
        XCTAssertEqual(nb.cells[1].diagnostic?.hasPrefix("In[2]:1:3: error: index 5"), true)
    }

    func testMatchingOutputsPassWithTimingsAndPositionsMasked() throws {
        let r = try compare(executed())
        XCTAssertEqual(r.status, 0, r.out + r.err)
        XCTAssertTrue(r.out.contains("2 cells, all as expected in"), r.out)
        XCTAssertTrue(r.out.contains("(kernel lora)"), r.out)
    }

    func testADifferentOutputIsReportedWithADiff() throws {
        let r = try compare(executed(firstDisplay: "[1, 3]"))
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.out.contains("cell 1 output differs"), r.out)
        XCTAssertTrue(r.out.contains("-[1, 2]") && r.out.contains("+[1, 3]"), r.out)
    }

    func testAMovedCaretOrAnotherColumnIsADifference() throws {
        // Only the file name and line number are masked: the column and the caret still count.
        let moved = ["In[2]:1:4: error: index 5 is out of range for a list of 2 elements", "1 | xs[5]", "  |    ^",
                     "note: valid indexes are 0..<2, or -2...-1 from the end"]
        let r = try compare(executed(traceback: moved))
        XCTAssertEqual(r.status, 1, r.out)
    }

    func testAMissingErrorAndAnUnexpectedErrorAreReported() throws {
        // The error cell ran without an error: its output is the empty text instead.
        var nb = try JSONSerialization.jsonObject(with: executed()) as! [String: Any]
        var cells = nb["cells"] as! [[String: Any]]
        cells[2]["outputs"] = []
        nb["cells"] = cells
        let r = try compare(JSONSerialization.data(withJSONObject: nb))
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.out.contains("cell 2 is marked `error` but ran without one"), r.out)
        // The first cell failed although it is not marked `error`.
        cells = nb["cells"] as! [[String: Any]]
        cells[1]["outputs"] = [["output_type": "error", "ename": "NameError", "evalue": "x", "traceback": ["In[1]:1:1: error: x"]]]
        nb["cells"] = cells
        let r2 = try compare(JSONSerialization.data(withJSONObject: nb))
        XCTAssertEqual(r2.status, 1)
        XCTAssertTrue(r2.out.contains("cell 1 failed"), r2.out)
    }

    func testCellsMatchByIdAndACountMismatchIsAnError() throws {
        // Ids in another order: matched by id, so the outputs land on the right cells.
        var nb = try JSONSerialization.jsonObject(with: executed()) as! [String: Any]
        var cells = nb["cells"] as! [[String: Any]]
        cells.swapAt(1, 2)
        nb["cells"] = cells
        XCTAssertEqual(try compare(JSONSerialization.data(withJSONObject: nb)).status, 0)
        nb["cells"] = Array(cells.prefix(2))
        let r = try compare(JSONSerialization.data(withJSONObject: nb))
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("has 1 code cells, ") && r.err.contains("has 2"), r.err)
        let bad = try compare(Data("{\"cells\": 3}".utf8))
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.err.contains("is not a Jupyter notebook"), bad.err)
    }

    func testPositionMask() {
        XCTAssertEqual(OutputText.maskedPosition("01-language.md:181:8: error: unknown name 'epoch'"), "<position>:8: error: unknown name 'epoch'")
        XCTAssertEqual(OutputText.maskedPosition("In[12]:1:8: error: unknown name 'epoch'"), "<position>:8: error: unknown name 'epoch'")
        XCTAssertEqual(OutputText.maskedPosition("181 | square(epoch)"), "| square(epoch)")
        XCTAssertEqual(OutputText.maskedPosition("    |        ^"), "|        ^")
        XCTAssertEqual(OutputText.maskedPosition("accuracy 0.9 | not a gutter"), "accuracy 0.9 | not a gutter")
        XCTAssertEqual(OutputText.maskedPosition("ratio 3:2:1 done"), "ratio 3:2:1 done")
    }

    func testExportWritesTheNotebookWithoutRunningIt() throws {
        let scratch = try Scratch()
        let md = try scratch.write("t.md", markdown)
        var out = ""
        XCTAssertEqual(NotebookCommands.export(path: md, outputDirectory: scratch.file("out"), output: { out += $0 }, error: { _ in }), 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: scratch.file("out/t.ipynb")))
        let nb = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        XCTAssertEqual(((nb["metadata"] as? [String: Any])?["kernelspec"] as? [String: Any])?["name"] as? String, "lora")
        let code = (nb["cells"] as! [[String: Any]]).filter { $0["cell_type"] as? String == "code" }
        XCTAssertEqual(code.count, 2)
        XCTAssertTrue(code.allSatisfy { $0["execution_count"] is NSNull }, "not run")
        XCTAssertEqual(((code[0]["outputs"] as? [[String: Any]])?.first?["text"] as? [String]), ["[1, 2]\n", "trained in 2.31 s\n"])
        XCTAssertEqual(try scratch.contents(), ["out", "t.md"])
    }
}
