import Foundation
import XCTest

/// End-to-end: `.lora` scripts, `-e`, piped stdin, through the built binary.
final class ScriptTests: XCTestCase {
    func testScriptRunsWithArgumentsAndShebang() throws {
        let dir = try ScratchDirectory()
        try dir.write("hello.lora", """
        #!/usr/bin/env lora
        # sums its arguments
        let total = 0
        for a in args { total += int(a) }
        print("total", total)
        total    # a bare expression does not echo in a script
        """)
        let r = try lora(["hello.lora", "3", "4", "--not-an-option"], directory: dir.path)
        XCTAssertEqual(r.status, 1, r.stderr) // int("--not-an-option") fails
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.hasPrefix("hello.lora:4:30: error: cannot convert \"--not-an-option\" to an integer"), r.stderr)
        let ok = try lora(["hello.lora", "3", "4"], directory: dir.path)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(ok.stdout, "total 7\n")
        XCTAssertEqual(ok.stderr, "")
    }

    func testEvalOption() throws {
        let r = try lora(["-e", "print(2 ** 8)"])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdout, "256\n")
        let seeded = try lora(["--seed", "7", "--threads", "1", "--quiet", "-e", "print(1)"])
        XCTAssertEqual(seeded.stdout, "1\n")
    }

    func testPipedInputActsLikeTheREPLWithoutPrompts() throws {
        let r = try lora([], stdin: "print(1+1)\nlet xs = [1,\n 2]\nlen(xs)\n:type xs\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "2\n2\nlist\n")
        XCTAssertEqual(r.stderr, "")
    }

    func testPipedErrorsContinueAndSetTheExitStatus() throws {
        let r = try lora([], stdin: "let kept = 5\nkept / 0\nkept + 1\n")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "6\n")
        XCTAssertEqual(r.stderr, """
        <repl>:2:6: error: division by zero
        2 | kept / 0
          |      ^
        note: check the divisor before dividing

        """)
    }

    /// Each kind of user error: its message, location, caret, and a non-zero status.
    func testEachKindOfErrorIsReported() throws {
        let dir = try ScratchDirectory()
        let cases: [(String, String, String)] = [
            ("syntax", "let x = (1,\n", "syntax.lora:1:12: error: expected an expression, found end of input"),
            ("unknown", "let ensemble = 1\nprint(ensemle)", "unknown.lora:2:7: error: unknown name 'ensemle'\n2 | print(ensemle)\n  |       ^\nnote: did you mean 'ensemble'?"),
            ("count", "len([1], [2])", "count.lora:1:10: error: len takes 1 positional argument (x), but 2 were given"),
            ("named", "round(1.25, digit: 1)", "named.lora:1:13: error: unknown argument 'digit' for round\n1 | round(1.25, digit: 1)\n  |             ^\nnote: did you mean 'digits'?"),
            ("type", "let n = \"3\" + 4", "type.lora:1:13: error: cannot apply '+' to a string and an int"),
            ("receiver", "let xs = [1]\nxs.fit(1)", "receiver.lora:2:4: error: a list has no method 'fit'"),
            ("index", "let xs = [1, 2, 3]\nxs[3]", "index.lora:2:3: error: index 3 is out of range for a list of 3 elements"),
            ("zero", "let a = 1\nprint(a % 0)", "zero.lora:2:9: error: division by zero"),
            ("deep", String(repeating: "[", count: 500) + String(repeating: "]", count: 500), "deep.lora:1:"),
            ("binary", "\u{0}\u{1}\u{2}ELF", "binary.lora:1:1: error: unexpected character '\\u{0}'"),
            ("recursion", "fn f(n) { return f(n + 1) }\nf(0)", "recursion.lora:1:18: error: too many nested calls"),
        ]
        for (name, source, expected) in cases {
            try dir.write("\(name).lora", source)
            let r = try lora(["\(name).lora"], directory: dir.path)
            XCTAssertEqual(r.status, 1, name)
            XCTAssertTrue(r.stderr.hasPrefix(expected), "\(name):\n\(r.stderr)")
            XCTAssertTrue(r.stderr.contains("^"), "\(name) has no caret:\n\(r.stderr)")
        }
    }

    func testVeryLongLineErrorIsCut() throws {
        let dir = try ScratchDirectory()
        try dir.write("long.lora", "let x = [" + String(repeating: "1, ", count: 30_000) + "oops]")
        try dir.write("chain.lora", "let x = " + String(repeating: "1 + ", count: 30_000) + "1")
        let chain = try lora(["chain.lora"], directory: dir.path)
        XCTAssertEqual(chain.status, 1)
        XCTAssertTrue(chain.stderr.contains("error: expression is too long"), String(chain.stderr.prefix(300)))
        let r = try lora(["long.lora"], directory: dir.path)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("long.lora:1:90010: error: unknown name 'oops'"), String(r.stderr.prefix(200)))
        XCTAssertLessThan(r.stderr.count, 600)
    }

    func testMissingFileAndBadOptions() throws {
        let r = try lora(["no-such-file.lora"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("cannot read file 'no-such-file.lora'"), r.stderr)
        let bad = try lora(["--threads", "0", "-e", "1"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--threads"), bad.stderr)
    }

    func testHelpOption() throws {
        let r = try lora(["--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("--seed"), r.stdout)
    }

    /// `lora -e CODE a b`: every argument after the code is the snippet's.
    func testEvalKeepsEveryArgument() throws {
        let r = try lora(["-e", "print(args)", "a", "b"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "[\"a\", \"b\"]\n")
        let none = try lora(["-e", "print(len(args))"])
        XCTAssertEqual(none.stdout, "0\n")
    }

    /// `--threads` sets the tensor engine's worker threads; `threads()` reports them.
    func testThreadsOptionSetsTheEngine() throws {
        for n in [1, 3] {
            let r = try lora(["--threads", "\(n)", "-e", "print(threads())"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdout, "\(n)\n")
        }
        let set = try lora(["--threads", "2", "-e", "threads(5)\nprint(threads())"])
        XCTAssertEqual(set.stdout, "5\n", set.stderr)
        let bad = try lora(["-e", "threads(0)"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("threads must be between 1 and 1024, got 0"), bad.stderr)
    }

    /// A script saved with a UTF-8 byte-order mark runs (with or without a shebang after it).
    func testScriptWithByteOrderMarkRuns() throws {
        let dir = try ScratchDirectory()
        let path = dir.path + "/bom.lora"
        try Data([0xEF, 0xBB, 0xBF] + Array("let x = 2\nprint(x * 21)\n".utf8)).write(to: URL(fileURLWithPath: path))
        let r = try lora(["bom.lora"], directory: dir.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "42\n")
        // Errors still point at the right column (the mark takes none).
        try Data([0xEF, 0xBB, 0xBF] + Array("print(y)\n".utf8)).write(to: URL(fileURLWithPath: path))
        let e = try lora(["bom.lora"], directory: dir.path)
        XCTAssertTrue(e.stderr.hasPrefix("bom.lora:1:7: error: unknown name 'y'"), e.stderr)
    }

    /// Nesting limits count what the user wrote: 50 nested parentheses (51
    /// levels with the call's) or 100 levels are fine; 101 are "more than 100 levels".
    func testNestingLimitSaysTheTruth() throws {
        for n in [50, 99] {
            let code = "print(" + String(repeating: "(", count: n) + "1" + String(repeating: ")", count: n) + ")"
            let r = try lora(["-e", code])
            XCTAssertEqual(r.status, 0, "\(n) levels: \(r.stderr)")
            XCTAssertEqual(r.stdout, "1\n")
        }
        let deep = String(repeating: "(", count: 101) + "1" + String(repeating: ")", count: 101)
        let r = try lora(["-e", deep])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("more than 100 levels"), r.stderr)
    }

    /// Ctrl-C (SIGINT) in a script stops it with status 130: during fit (which
    /// says where it stopped) and in a loop. Nothing after it runs.
    func testCtrlCStopsAScriptWithStatus130() throws {
        let dir = try ScratchDirectory()
        try dir.write("train.lora", """
        let m = vit(image: 8, patch: 2, dim: 32, depth: 2, heads: 4, classes: 10)
        print("training")
        m.fit(dataset("digits"), epochs: 200, batch: 16)
        print("after fit")
        """)
        try dir.write("loop.lora", """
        print("looping")
        let n = 0
        while true { n += 1 }
        print("after loop")
        """)
        for (name, marker) in [("train.lora", "training"), ("loop.lora", "looping")] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try LoraBinary.path())
            process.arguments = [name]
            process.currentDirectoryURL = URL(fileURLWithPath: dir.path)
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            // Wait for the marker, then press Ctrl-C.
            var seen = Data()
            while !String(decoding: seen, as: UTF8.self).contains(marker) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                seen += chunk
            }
            Thread.sleep(forTimeInterval: 1.0)
            kill(process.processIdentifier, SIGINT)
            let rest = out.fileHandleForReading.readDataToEndOfFile()
            let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let outText = String(decoding: seen + rest, as: UTF8.self)
            XCTAssertEqual(process.terminationStatus, 130, "\(name): \(outText)\n\(errText)")
            XCTAssertFalse(outText.contains("after fit") || outText.contains("after loop"), "\(name) carried on after Ctrl-C: \(outText)")
            XCTAssertTrue(errText.contains("error: interrupted"), "\(name): \(errText)")
            if name == "train.lora" {
                XCTAssertTrue(outText.contains("interrupted in epoch "), "\(name): \(outText)")
            }
        }
    }

    /// Work that cannot fit in memory is refused before it starts, with the estimate and a remedy (issue 11).
    func testWorkTooBigForMemoryIsRefusedUpFront() throws {
        let e = try lora(["-e", "let b = vit(dim: 1024, depth: 1, heads: 4)\nlora_ensemble(b, members: 4096, rank: 1024)"])
        XCTAssertEqual(e.status, 1)
        XCTAssertTrue(e.stderr.contains("would need about 550.5 GB of memory, but only "), e.stderr)
        XCTAssertTrue(e.stderr.contains("note: use fewer members or a lower rank"), e.stderr)
        let r = try lora(["-e", "dataset(\"digits\").resize(to: 1024)"], environment: ["LORA_MEMORY_LIMIT": "2G"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("resizing the 1797 images of digits to 1024x1024 would need about 7.5 GB of memory, but only 2.1 GB is available"), r.stderr)
        // Fashion-MNIST at 1024 x 1024 (293.6 GB) when the data set is installed.
        let f = try lora(["-e", "dataset(\"fashion-mnist\").resize(to: 1024)"])
        if !f.stderr.contains("not installed") {
            XCTAssertTrue(f.stderr.contains("would need about 293.6 GB of memory"), f.stderr)
        }
    }
}
