import Foundation
import XCTest

/// `lora notebook run|check` through the built binary.
final class NotebookCLITests: XCTestCase {
    let fence = "```"

    func testRunThenCheckThenAMismatch() throws {
        let dir = try ScratchDirectory()
        try dir.write("lesson.md", """
        # A lesson

        \(fence)lora
        let xs = [1, 2, 3]
        sum(xs)
        \(fence)

        A failing cell, on purpose:

        \(fence)lora error
        xs[7]
        \(fence)
        """)
        let run = try lora(["notebook", "run", "lesson.md"], directory: dir.path)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("ran 2 cells in "), run.stdout)
        XCTAssertEqual(run.stderr, "")
        let written = try String(contentsOfFile: dir.path + "/lesson.md", encoding: .utf8)
        XCTAssertTrue(written.contains("\(fence)\n\n\(fence)output\n6\n\(fence)\n"), written)
        // The error's line is the line of the written file.
        let errorLine = written.components(separatedBy: "\n").firstIndex(of: "xs[7]")! + 1
        XCTAssertTrue(written.contains("\(fence)output\nlesson.md:\(errorLine):3: error: index 7 is out of range"), written)

        let check = try lora(["notebook", "check", "lesson.md"], directory: dir.path)
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.hasPrefix("lesson.md: 2 cells, all as expected ("), check.stdout)

        // Edit the expected output: check fails with a diff at the right line.
        try written.replacingOccurrences(of: "output\n6\n", with: "output\n7\n")
            .write(toFile: dir.path + "/lesson.md", atomically: true, encoding: .utf8)
        let bad = try lora(["notebook", "check", "lesson.md"], directory: dir.path)
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stdout.hasPrefix("""
        lesson.md:3: cell 1 output differs (- expected, + actual):
        --- expected
        +++ actual
        @@ -9,1 +1,1 @@
        -7
        +6

        """), bad.stdout)

        // The .ipynb is valid Jupyter (nbformat's schema when installed).
        let validator = LoraBinary.packageRoot.appendingPathComponent("scripts/validate_ipynb.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = [validator, dir.path + "/lesson.ipynb"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("valid"), text)
    }

    /// The .ipynb that `run` writes carries its figures inline, as Jupyter
    /// display data (SVG), and nbformat's schema accepts it; the markdown's
    /// output block is still the figure drawn with characters.
    func testRunEmbedsFiguresInTheIpynb() throws {
        let dir = try ScratchDirectory()
        try dir.write("figures.md", """
        \(fence)lora
        let d = dataset("digits")[0..<40]
        let m = vit(image: 8, patch: 2, dim: 8, depth: 1, heads: 2, classes: 10, seed: 1)
        reliability(m, d)
        compare([m], on: d)
        \(fence)
        """)
        let run = try lora(["notebook", "run", "figures.md"], directory: dir.path)
        XCTAssertEqual(run.status, 0, run.stderr)
        let md = try String(contentsOfFile: dir.path + "/figures.md", encoding: .utf8)
        XCTAssertTrue(md.contains("\(fence)output\nViT on digits — ECE"), md)
        XCTAssertFalse(md.contains("<svg"))
        let ipynb = try String(contentsOfFile: dir.path + "/figures.ipynb", encoding: .utf8)
        XCTAssertTrue(ipynb.contains("\"image/svg+xml\": ["), String(ipynb.prefix(3000)))
        XCTAssertFalse(ipynb.contains(".svg\""), "no links to figure files")
        let validator = LoraBinary.packageRoot.appendingPathComponent("scripts/validate_ipynb.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = [validator, "--figures", dir.path + "/figures.ipynb"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("valid (nbformat ") && text.contains(", 2 figures embedded"), text)
        // A notebook without figures fails --figures: the check can fail.
        try dir.write("plain.md", "\(fence)lora\n1 + 1\n\(fence)\n")
        XCTAssertEqual(try lora(["notebook", "run", "plain.md"], directory: dir.path).status, 0)
        let q = Process()
        q.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        q.arguments = [validator, "--figures", dir.path + "/plain.ipynb"]
        q.standardOutput = FileHandle.nullDevice
        try q.run()
        q.waitUntilExit()
        XCTAssertEqual(q.terminationStatus, 1)
    }

    func testAFailingCellIsReportedWithNotebookLines() throws {
        let dir = try ScratchDirectory()
        try dir.write("nb.md", "intro\n\n\(fence)lora\nlet a = 1\nprint(a + nope)\n\(fence)\n")
        let check = try lora(["notebook", "check", "nb.md"], directory: dir.path)
        XCTAssertEqual(check.status, 1)
        XCTAssertTrue(check.stdout.hasPrefix("""
        nb.md:3: cell 1 failed:
        nb.md:5:11: error: unknown name 'nope'
        5 | print(a + nope)
          |           ^
        """), check.stdout)
        // run writes the files anyway, reports on stderr and exits 1.
        let run = try lora(["notebook", "run", "nb.md", "-o", "out"], directory: dir.path)
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.hasPrefix("out/nb.md:3: cell 1 failed:\nout/nb.md:5:11: error: unknown name 'nope'"), run.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path + "/out/nb.md"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path + "/out/nb.ipynb"))
    }

    func testCheckSeveralNotebooks() throws {
        let dir = try ScratchDirectory()
        try dir.write("a.md", "\(fence)lora\n1\n\(fence)\n\n\(fence)output\n1\n\(fence)\n")
        try dir.write("b.md", "\(fence)lora\n2\n\(fence)\n")
        let r = try lora(["notebook", "check", "a.md", "b.md"], directory: dir.path)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.hasPrefix("a.md: 1 cell, all as expected"), r.stdout)
        XCTAssertTrue(r.stdout.contains("b.md:1: cell 1 printed output but has no ```output block:"), r.stdout)
        let fixed = try lora(["notebook", "run", "a.md", "b.md"], directory: dir.path)
        XCTAssertEqual(fixed.status, 0, fixed.stderr)
        XCTAssertEqual(try lora(["notebook", "check", "a.md", "b.md"], directory: dir.path).status, 0)
    }

    func testCellsRunInTheNotebooksDirectory() throws {
        let dir = try ScratchDirectory()
        try FileManager.default.createDirectory(atPath: dir.path + "/lessons", withIntermediateDirectories: true)
        try dir.write("lessons/helper.lora", "let greeting = \"hello from the helper\"\n")
        try dir.write("lessons/nb.md", "\(fence)lora\n:load helper.lora\ngreeting\n\(fence)\n")
        let r = try lora(["notebook", "run", "lessons/nb.md"], directory: dir.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(try String(contentsOfFile: dir.path + "/lessons/nb.md", encoding: .utf8)
            .contains("\(fence)output\n\"hello from the helper\"\n\(fence)"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path + "/lessons/nb.ipynb"))
    }

    func testUsageErrors() throws {
        let missing = try lora(["notebook", "check", "nowhere.md"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.hasPrefix("error: no notebook at 'nowhere.md'"), missing.stderr)
        let noFile = try lora(["notebook", "run"])
        XCTAssertNotEqual(noFile.status, 0)
        XCTAssertTrue(noFile.stderr.contains("Missing expected argument"), noFile.stderr)
        let help = try lora(["notebook", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("run") && help.stdout.contains("check"), help.stdout)
    }
}
