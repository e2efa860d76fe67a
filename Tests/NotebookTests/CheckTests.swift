import XCTest
@testable import Notebook

/// Comparing outputs: masks, diffs, reports, exit statuses.
final class CheckTests: XCTestCase {
    func testMismatchIsReportedAsAUnifiedDiffWithNotebookLines() throws {
        let r = try runCells("""
        intro
        \(fence)lora
        print("a")
        print("b")
        print("c")
        \(fence)

        \(fence)output
        a
        B
        c
        \(fence)
        """)
        let f = NotebookCheck.findings(r[0], path: "x.md")
        XCTAssertEqual(f.count, 1)
        XCTAssertEqual(f[0].description, """
        x.md:2: cell 1 output differs (- expected, + actual):
        --- expected
        +++ actual
        @@ -9,3 +1,3 @@
         a
        -B
        +b
         c

        """)
    }

    func testMissingOutputBlockAndEmptyOutput() throws {
        let r = try runCells("\(fence)lora\n41 + 1\n\(fence)\n\(fence)lora\nlet q = 1\n\(fence)\n")
        let f = NotebookCheck.findings(r[0], path: "x.md")
        XCTAssertEqual(f.map { $0.summary }, ["x.md:1: cell 1 printed output but has no ```output block:"])
        XCTAssertTrue(f[0].details.hasSuffix("@@ -4,0 +1,1 @@\n+42\n"), f[0].details)
        XCTAssertTrue(NotebookCheck.findings(r[1], path: "x.md").isEmpty)
    }

    func testTimingsAreMaskedAndSkipCheckSkips() throws {
        XCTAssertEqual(OutputText.masked("trained ViT for 3 epochs (90 steps) in 2.31 s: loss 0.1004"),
                       "trained ViT for 3 epochs (90 steps) in <time>: loss 0.1004")
        XCTAssertEqual(OutputText.masked("epoch 1/2  step 45/45  loss 0.1732  1021 samples/s  ETA 1s"),
                       "epoch 1/2 step 45/45 loss 0.1732 <rate> samples/s ETA <time>")
        XCTAssertEqual(OutputText.masked("ViT   1   0.9220  26,538  2.1s"), OutputText.masked("ViT   1   0.9220  26,538  12.4s"))
        XCTAssertEqual(OutputText.masked("time: 145.54 ms"), "time: <time>")
        // Rates with thousands separators mask like plain ones; so do h/m/s ETAs.
        XCTAssertEqual(OutputText.masked("acc 0.970  12,877 samples/s  ETA 1h 02m"), "acc 0.970 <rate> samples/s ETA <time>")
        XCTAssertEqual(OutputText.masked("acc 0.970  12,877 samples/s  ETA 1h 02m"), OutputText.masked("acc 0.970  877 samples/s  ETA 3m 07s"))
        XCTAssertEqual(OutputText.masked("in 2m 03s, 1.2k samples/s, ETA 1m 5s"), "in <time>, <rate> samples/s, ETA <time>")
        XCTAssertEqual(OutputText.masked("12 µs"), "<time>")
        XCTAssertEqual(OutputText.masked("loss  0.5   3 steps"), "loss  0.5   3 steps") // untouched: no unit
        XCTAssertNotEqual(OutputText.masked("loss 0.5 in 1 s"), OutputText.masked("loss 0.6 in 1 s"))

        let r = try runCells("""
        \(fence)lora
        print("took 1.5 s")
        \(fence)
        \(fence)output
        took 0.25 s
        \(fence)
        \(fence)lora skip-check
        print("anything")
        \(fence)
        \(fence)output
        something else
        \(fence)
        """)
        XCTAssertTrue(r.allSatisfy { NotebookCheck.findings($0, path: "x.md").isEmpty })
    }

    func testTrailingSpacesAndCarriageReturnsAreNormalised() {
        XCTAssertEqual(OutputText.lines("a  \nb\t\n\n\n"), ["a", "b"])
        XCTAssertEqual(OutputText.lines("50%\r100%\ndone\n"), ["100%", "done"])
    }

    func testLineDiff() {
        XCTAssertEqual(LineDiff.hunks(["a", "b"], ["a", "b"]), "")
        XCTAssertEqual(LineDiff.hunks(["1", "2", "3", "4", "5", "6", "7", "8", "9"], ["1", "2", "3", "4", "X", "6", "7", "8", "9"], oldFirstLine: 20, context: 1),
                       "@@ -23,3 +4,3 @@\n 4\n-5\n+X\n 6\n")
        XCTAssertEqual(LineDiff.hunks(["a", "b", "c", "d", "e", "f", "g"], ["A", "b", "c", "d", "e", "f", "G"], context: 1),
                       "@@ -1,2 +1,2 @@\n-a\n+A\n b\n@@ -6,2 +6,2 @@\n f\n-g\n+G\n")
        XCTAssertEqual(LineDiff.hunks([], ["x"]), "@@ -1,0 +1,1 @@\n+x\n")
    }

    func testCheckAndRunCommands() throws {
        let dir = try Scratch()
        let good = try dir.write("good.md", "\(fence)lora\n1 + 1\n\(fence)\n\n\(fence)output\n2\n\(fence)\n")
        let bad = try dir.write("bad.md", "\(fence)lora\n1 + 2\n\(fence)\n\n\(fence)output\n2\n\(fence)\n")
        var out = "", err = ""
        XCTAssertEqual(NotebookCommands.check(path: good, output: { out += $0 }, error: { err += $0 }), 0)
        XCTAssertTrue(out.hasPrefix("\(good): 1 cell, all as expected ("), out)
        out = ""
        XCTAssertEqual(NotebookCommands.check(path: bad, output: { out += $0 }, error: { err += $0 }), 1)
        XCTAssertTrue(out.contains("@@ -6,1 +1,1 @@\n-2\n+3\n"), out)
        XCTAssertTrue(out.contains("1 of 1 cell not as expected"), out)
        XCTAssertEqual(err, "")
        // check writes nothing.
        XCTAssertEqual(try dir.contents(), ["bad.md", "good.md"])

        // run -o DIR: both files in DIR, the original untouched.
        out = ""
        XCTAssertEqual(NotebookCommands.run(path: bad, outputDirectory: dir.file("out"), output: { out += $0 }, error: { err += $0 }), 0)
        XCTAssertEqual(try dir.read("out/bad.md"), "\(fence)lora\n1 + 2\n\(fence)\n\n\(fence)output\n3\n\(fence)\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file("out/bad.ipynb")))
        XCTAssertEqual(try dir.read("bad.md"), "\(fence)lora\n1 + 2\n\(fence)\n\n\(fence)output\n2\n\(fence)\n")
        // run without -o: in place, .ipynb beside it.
        XCTAssertEqual(NotebookCommands.run(path: bad, outputDirectory: nil, output: { out += $0 }, error: { err += $0 }), 0)
        XCTAssertEqual(try dir.read("bad.md"), try dir.read("out/bad.md"))
        XCTAssertEqual(try dir.contents(), ["bad.ipynb", "bad.md", "good.md", "out"])

        // A failing cell: reported on stderr at FILE:LINE:COL, status 1, files still written.
        let failing = try dir.write("fail.md", "text\n\(fence)lora\nlet x = 1\nx.nope\n\(fence)\n")
        err = ""
        XCTAssertEqual(NotebookCommands.run(path: failing, outputDirectory: nil, output: { out += $0 }, error: { err += $0 }), 1)
        XCTAssertTrue(err.hasPrefix("\(failing):2: cell 1 failed:\n\(failing):4:"), err)
        XCTAssertTrue(try dir.read("fail.md").contains("\(fence)output\nfail.md:4:"))

        // Missing file and a broken notebook: one clear error.
        err = ""
        XCTAssertEqual(NotebookCommands.check(path: dir.file("none.md"), output: { out += $0 }, error: { err += $0 }), 1)
        XCTAssertTrue(err.hasPrefix("error: no notebook at '\(dir.file("none.md"))'"), err)
        let broken = try dir.write("broken.md", "\(fence)lora\n1\n")
        err = ""
        XCTAssertEqual(NotebookCommands.run(path: broken, outputDirectory: nil, output: { out += $0 }, error: { err += $0 }), 1)
        XCTAssertTrue(err.hasPrefix("\(broken):1: error: the ```lora cell opened here is never closed"), err)
    }
}
