import Files
import Foundation
import XCTest
@testable import Notebook

/// The .ipynb export, its JSON, and atomic writes.
final class ExportTests: XCTestCase {
    let text = """
    # Title

    Some *prose*.
    \(fence)lora
    let x = 2
    x * 21
    \(fence)
    Between.
    \(fence)lora error, skip-check
    print("before")
    x / 0
    \(fence)
    """

    func testIpynbStructure() throws {
        let doc = try document(text)
        let results = NotebookRunner(document: doc, threads: 1).runAll()
        let json = JupyterExport.json(doc, results: Dictionary(uniqueKeysWithValues: results.map { ($0.cell.index, $0) }))
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        XCTAssertEqual(object["nbformat"] as? Int, 4)
        XCTAssertEqual(object["nbformat_minor"] as? Int, 5)
        let metadata = object["metadata"] as! [String: Any]
        XCTAssertEqual((metadata["kernelspec"] as! [String: Any])["name"] as? String, "lora")
        XCTAssertEqual((metadata["language_info"] as! [String: Any])["name"] as? String, "lora")
        XCTAssertEqual((metadata["language_info"] as! [String: Any])["codemirror_mode"] as? String, "swift")
        let cells = object["cells"] as! [[String: Any]]
        XCTAssertEqual(cells.map { $0["cell_type"] as! String }, ["markdown", "code", "markdown", "code"])
        XCTAssertEqual(Set(cells.map { $0["id"] as! String }).count, 4)
        XCTAssertEqual(cells[0]["source"] as! [String], ["# Title\n", "\n", "Some *prose*."])
        XCTAssertEqual(cells[1]["source"] as! [String], ["let x = 2\n", "x * 21"])
        XCTAssertEqual(cells[1]["execution_count"] as? Int, 1)
        let out1 = cells[1]["outputs"] as! [[String: Any]]
        XCTAssertEqual(out1.count, 1)
        XCTAssertEqual(out1[0]["output_type"] as? String, "stream")
        XCTAssertEqual(out1[0]["name"] as? String, "stdout")
        XCTAssertEqual(out1[0]["text"] as! [String], ["42\n"])
        let out3 = cells[3]["outputs"] as! [[String: Any]]
        XCTAssertEqual(out3.map { $0["name"] as! String }, ["stdout", "stderr"])
        XCTAssertEqual(out3[0]["text"] as! [String], ["before\n"])
        XCTAssertEqual((out3[1]["text"] as! [String]).first, "nb.md:11:3: error: division by zero\n")
        XCTAssertEqual((cells[3]["metadata"] as! [String: Any])["tags"] as! [String], ["raises-exception", "skip-check"])
        // Same run, same bytes.
        let again = NotebookRunner(document: doc, threads: 1).runAll()
        XCTAssertEqual(JupyterExport.json(doc, results: Dictionary(uniqueKeysWithValues: again.map { ($0.cell.index, $0) })), json)
    }

    func testNotRunCellsKeepTheirOutputsWithoutACount() throws {
        let doc = try document("\(fence)lora\n1\n\(fence)\n\(fence)output\n1\n\(fence)\n")
        let object = try JSONSerialization.jsonObject(with: Data(JupyterExport.json(doc, results: [:]).utf8)) as! [String: Any]
        let cell = (object["cells"] as! [[String: Any]])[0]
        XCTAssertTrue(cell["execution_count"] is NSNull)
        XCTAssertEqual(((cell["outputs"] as! [[String: Any]])[0]["text"]) as! [String], ["1\n"])
    }

    func testJSONText() throws {
        let value = JSONText.object(["b": .array([]), "a": .object([:]), "s": .string("q\"\\\n\t\u{1}é"), "n": .null,
                                     "t": .bool(true), "i": .int(-3), "l": .array([.int(1), .string("x")])])
        let text = value.rendered()
        XCTAssertEqual(text, """
        {
         "a": {},
         "b": [],
         "i": -3,
         "l": [
          1,
          "x"
         ],
         "n": null,
         "s": "q\\"\\\\\\n\\t\\u0001é",
         "t": true
        }
        """)
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        XCTAssertEqual(parsed["s"] as? String, "q\"\\\n\t\u{1}é")
    }

    func testAtomicWriteReplacesAndLeavesNoTemporaryFile() throws {
        let dir = try Scratch()
        let path = dir.file("a.md")
        try AtomicFile.write("one", to: path)
        try AtomicFile.write("two", to: path)
        XCTAssertEqual(try dir.read("a.md"), "two")
        XCTAssertEqual(try dir.contents(), ["a.md"])
        XCTAssertThrowsError(try AtomicFile.write("x", to: dir.file("missing/a.md"))) { e in
            XCTAssertTrue("\(e)".contains("does not exist"), "\(e)")
        }
        try FileManager.default.createDirectory(atPath: dir.file("sub.md"), withIntermediateDirectories: false)
        XCTAssertThrowsError(try AtomicFile.write("x", to: dir.file("sub.md")))
        XCTAssertEqual(try dir.contents(), ["a.md", "sub.md"])
    }

    func testOutputFenceOutgrowsBackticksInTheOutput() throws {
        let doc = try document("\(fence)lora\nprint(\"\(fence)\")\nprint(\"````x\")\n\(fence)\n")
        let r = NotebookRunner(document: doc, threads: 1).runAll()
        let written = MarkdownWriter.markdown(doc, results: [0: r[0]])
        XCTAssertTrue(written.hasSuffix("\n`````output\n\(fence)\n````x\n`````\n"), written)
        XCTAssertEqual(try document(written).cells[0].expected?.lines, [fence, "````x"])
    }

    func testAnOutputThatDiffersOnlyInTimingsIsKept() throws {
        let text = "\(fence)lora\nprint(\"took 9.5 s\")\nprint(\"x\")\n\(fence)\n\n\(fence)output\ntook 1.25 s\nx\n\(fence)\n"
        let doc = try document(text)
        let r = NotebookRunner(document: doc, threads: 1).runAll()
        XCTAssertEqual(MarkdownWriter.markdown(doc, results: [0: r[0]]), text)
        let changed = try document(text.replacingOccurrences(of: "\nx\n", with: "\ny\n"))
        let r2 = NotebookRunner(document: changed, threads: 1).runAll()
        XCTAssertTrue(MarkdownWriter.markdown(changed, results: [0: r2[0]]).contains("output\ntook 9.5 s\nx\n"))
    }

    func testACellThatPrintsNothingLosesItsOldBlock() throws {
        let doc = try document("\(fence)lora\nlet a = 1\n\(fence)\n\n\(fence)output\nstale\n\(fence)\nafter\n")
        let r = NotebookRunner(document: doc, threads: 1).runAll()
        XCTAssertEqual(MarkdownWriter.markdown(doc, results: [0: r[0]]), "\(fence)lora\nlet a = 1\n\(fence)\nafter\n")
    }

    /// Figures go into the .ipynb as display data (the SVG itself), tables as
    /// HTML, each beside the text the REPL prints; text around them stays a
    /// stream, in order. The markdown output is the same text as before.
    func testFiguresAndTablesAreEmbeddedAsDisplayData() throws {
        let text = """
        \(fence)lora
        let d = dataset("digits")[0..<30]
        let m = vit(image: 8, patch: 2, dim: 8, depth: 1, heads: 2, classes: 10, seed: 1)
        print("before")
        reliability(m, d)
        m.evaluate(d)
        1 + 1
        \(fence)
        """
        let doc = try document(text)
        let results = NotebookRunner(document: doc, threads: 1).runAll()
        XCTAssertNil(results[0].error)
        let json = JupyterExport.json(doc, results: [0: results[0]])
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        let outputs = (object["cells"] as! [[String: Any]])[0]["outputs"] as! [[String: Any]]
        XCTAssertEqual(outputs.map { $0["output_type"] as! String }, ["stream", "display_data", "display_data", "stream"])
        XCTAssertEqual(outputs[0]["text"] as! [String], ["before\n"])
        XCTAssertEqual(outputs[3]["text"] as! [String], ["2\n"])
        let figure = outputs[1]["data"] as! [String: Any]
        let svg = (figure["image/svg+xml"] as! [String]).joined()
        XCTAssertTrue(svg.hasPrefix("<?xml") && svg.contains("\n<svg xmlns="), String(svg.prefix(200)))
        XCTAssertTrue(svg.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("</svg>"), String(svg.suffix(200)))
        XCTAssertTrue(svg.contains("ECE"), "the reliability diagram's own drawing, not a link")
        let plain = (figure["text/plain"] as! [String]).joined()
        XCTAssertTrue(plain.hasPrefix("ViT on digits — ECE"), plain)
        XCTAssertTrue((outputs[1]["metadata"] as? [String: Any]) != nil)
        let table = outputs[2]["data"] as! [String: Any]
        XCTAssertTrue((table["text/html"] as! [String]).joined().contains("<table"))
        XCTAssertNil(table["image/svg+xml"])
        // The text is what the markdown output block holds, whole.
        XCTAssertEqual(OutputText.lines(results[0].printed),
                       ["before"] + OutputText.lines(plain) + OutputText.lines((table["text/plain"] as! [String]).joined()) + ["2"])
        XCTAssertEqual(results[0].outputLines.first, "before")
        // A cell without figures keeps one stream.
        let plainDoc = try document("\(fence)lora\nprint(1)\n2\n\(fence)\n")
        let r = NotebookRunner(document: plainDoc, threads: 1).runAll()
        let o = try JSONSerialization.jsonObject(with: Data(JupyterExport.json(plainDoc, results: [0: r[0]]).utf8)) as! [String: Any]
        let outs = (o["cells"] as! [[String: Any]])[0]["outputs"] as! [[String: Any]]
        XCTAssertEqual(outs.count, 1)
        XCTAssertEqual(outs[0]["text"] as! [String], ["1\n", "2\n"])
    }
}
