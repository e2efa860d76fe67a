import XCTest
import Lang
@testable import Notebook

/// Cells run in one session, REPL-style, with positions in the markdown file.
final class RunnerTests: XCTestCase {
    func testCellsShareOneSessionAndEchoLikeTheREPL() throws {
        let r = try runCells("""
        \(fence)lora
        let xs = [1,
                  2]
        len(xs)
        print("sum", sum(xs))
        let s = 0   # no echo
        nil
        \(fence)
        \(fence)lora
        xs + [3]
        :type xs
        \(fence)
        """)
        XCTAssertEqual(r.map { $0.output }, ["2\nsum 3\n", "[1, 2, 3]\nlist\n"])
        XCTAssertTrue(r.allSatisfy { $0.error == nil && !$0.misbehaved })
    }

    func testErrorsPointAtLinesOfTheMarkdownFile() throws {
        let r = try runCells("""
        # heading
        \(fence)lora error
        let a = 1
        print("before")
        a +
          b
        print("never")
        \(fence)
        \(fence)lora
        a
        \(fence)
        """, name: "dir/lesson.md")
        XCTAssertEqual(r[0].output, """
        before
        lesson.md:6:3: error: unknown name 'b'
        6 |   b
          |   ^
        note: did you mean 'a'?

        """)
        XCTAssertFalse(r[0].misbehaved)
        // On stderr the path is named as given.
        XCTAssertTrue(r[0].reportedError!.hasPrefix("dir/lesson.md:6:3: error: unknown name 'b'\n6 |   b\n"), r[0].reportedError!)
        // The session survives the error with its variables.
        XCTAssertEqual(r[1].output, "1\n")
    }

    func testRunningTwiceKeepsPositionsAndTheSession() throws {
        let doc = try document("text\n\(fence)lora\nlet n = 1\nn = n + 1\nn\nnope\n\(fence)\n")
        let runner = NotebookRunner(document: doc, threads: 1)
        let first = runner.runAll(), second = runner.runAll()
        XCTAssertTrue(first[0].output.hasPrefix("2\nnb.md:6:1: error: unknown name 'nope'\n6 | nope\n"), first[0].output)
        XCTAssertTrue(second[0].output.hasPrefix("2\nnb.md:6:1: error: unknown name 'nope'\n6 | nope\n"), second[0].output)
    }

    func testCommandErrorsAreRelocatedToTheNotebook() throws {
        let r = try runCells("text\n\(fence)lora\n:nope\n\(fence)\n")
        XCTAssertTrue(r[0].failedUnexpectedly)
        XCTAssertTrue(r[0].diagnostic!.hasPrefix("nb.md:3:1: error: unknown command ':nope'\n3 | :nope\n"), r[0].diagnostic!)
    }

    func testUnexpectedFailureAndMissingFailure() throws {
        let r = try runCells("\(fence)lora\n1 / 0\n\(fence)\n\(fence)lora error\n1 + 1\n\(fence)\n")
        XCTAssertTrue(r[0].failedUnexpectedly)
        XCTAssertTrue(r[1].missedExpectedError)
        let f0 = NotebookCheck.findings(r[0], path: "nb.md")
        XCTAssertEqual(f0.map { $0.kind }, [.failed])
        XCTAssertEqual(f0[0].summary, "nb.md:1: cell 1 failed:")
        XCTAssertTrue(f0[0].details.hasPrefix("nb.md:2:3: error: division by zero"), f0[0].details)
        let f1 = NotebookCheck.findings(r[1], path: "nb.md")
        XCTAssertEqual(f1.map { $0.kind }, [.missedError, .outputDiffers])
    }

    func testAnIncompleteCellIsASyntaxErrorAtItsEnd() throws {
        let r = try runCells("\(fence)lora\nlet xs = [1,\n\(fence)\n")
        XCTAssertTrue(r[0].diagnostic!.hasPrefix("nb.md:2:"), r[0].diagnostic!)
        XCTAssertTrue(r[0].diagnostic!.contains("error: "), r[0].diagnostic!)
    }

    func testRewrittenPositionsAreThoseOfTheWrittenFile() throws {
        // The first cell gains a 5-line output block (a blank line, fences and
        // two lines); the error in the second
        // cell must be reported at its line in the rewritten file.
        let text = "\(fence)lora\n1\n2\n\(fence)\n\(fence)lora error\nnope\n\(fence)\n"
        let doc = try document(text)
        let results = NotebookRunner(document: doc, threads: 1).runAll(positions: .rewritten)
        let written = MarkdownWriter.markdown(doc, results: Dictionary(uniqueKeysWithValues: results.map { ($0.cell.index, $0) }))
        let lines = written.components(separatedBy: "\n")
        XCTAssertEqual(lines[10], "nope")                       // line 11 of the written file, 6 of the original
        XCTAssertTrue(results[1].output.hasPrefix("nb.md:11:1: error: unknown name 'nope'\n11 | nope\n"), results[1].output)
        // Checking the written file: everything as expected, and run again is a fixed point.
        let again = try document(written)
        let rerun = NotebookRunner(document: again, threads: 1).runAll()
        XCTAssertTrue(rerun.allSatisfy { NotebookCheck.findings($0, path: "nb.md").isEmpty })
        let rewritten = NotebookRunner(document: again, threads: 1).runAll(positions: .rewritten)
        XCTAssertEqual(MarkdownWriter.markdown(again, results: Dictionary(uniqueKeysWithValues: rewritten.map { ($0.cell.index, $0) })), written)
    }

    func testOutputIsPlainAndFixedWidthWhateverTheEnvironment() throws {
        setenv("LORA_COLOR", "truecolor", 1)
        defer { unsetenv("LORA_COLOR") }
        let doc = try document("\(fence)lora\ndataset(\"digits\")[0]\n\(fence)\n")
        let runner = NotebookRunner(document: doc, threads: 1)
        XCTAssertEqual(runner.session.context.terminalWidth, 80)
        XCTAssertFalse(runner.session.context.isInteractive)
        let r = runner.runAll()
        XCTAssertNil(r[0].error)
        XCTAssertTrue(r[0].output.hasPrefix("sample #0 of digits"), r[0].output)
        XCTAssertFalse(r[0].output.contains("\u{1B}"), r[0].output)
        // The caller's setting is back.
        XCTAssertEqual(ProcessInfo.processInfo.environment["LORA_COLOR"], "truecolor")
    }

    func testCtrlCStopsTheNotebookAfterTheEntry() throws {
        let doc = try document("\(fence)lora\nprint(\"stop\")\nprint(\"same cell\")\n\(fence)\n\(fence)lora\nprint(\"next cell\")\n\(fence)\n")
        let runner = NotebookRunner(document: doc, threads: 1)
        let write = runner.session.context.output
        // Ctrl-C arrives while the first entry runs (its output is the trigger).
        runner.session.context.output = { text in
            write(text)
            if text.hasPrefix("stop") { runner.session.context.cancellation.set() }
        }
        let r = runner.runAll()
        XCTAssertTrue(runner.interrupted)
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(r[0].printed, "stop\n")
        XCTAssertTrue(r[0].diagnostic!.hasPrefix("nb.md:2:1: error: interrupted"), r[0].diagnostic!)
    }
}
