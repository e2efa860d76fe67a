import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Drives the real REPL under a pseudo-terminal, as a person would.
final class PseudoTerminalTests: XCTestCase {
    /// The REPL on the slave side of a pty; we type on the master side.
    final class Terminal {
        let process = Process()
        var master: Int32 = -1
        /// Everything the REPL wrote, as bytes (offsets stay valid while it grows).
        var output: [UInt8] = []
        var transcript: String { String(decoding: output, as: UTF8.self) }

        init(environment: [String: String]) throws {
            var slave: Int32 = -1
            var size = winsize(ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0)
            guard openpty(&master, &slave, nil, nil, &size) == 0 else { throw LoraBinary.Missing(message: "openpty failed") }
            // Like a login terminal, the pty becomes the REPL's controlling
            // terminal (setsid -c), so Ctrl-C behaves as it does for a person.
            let binary = try LoraBinary.path()
            if FileManager.default.isExecutableFile(atPath: "/usr/bin/setsid") {
                process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
                process.arguments = ["-c", binary]
            } else {
                process.executableURL = URL(fileURLWithPath: binary)
                process.arguments = []
            }
            var env = ProcessInfo.processInfo.environment
            env["TERM"] = "xterm"
            for (k, v) in environment { env[k] = v }
            process.environment = env
            let handle = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
            process.standardInput = handle
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        /// Reads until `text` appears in the output after `from`, or fails after a timeout.
        func contains(_ text: String, after from: Int) -> Bool {
            let needle = Array(text.utf8)
            guard output.count - from >= needle.count else { return false }
            for i in from...(output.count - needle.count) where output[i] == needle[0] {
                if Array(output[i..<(i + needle.count)]) == needle { return true }
            }
            return false
        }

        @discardableResult
        func waitFor(_ text: String, after from: Int = 0, timeout: Double = 10) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if contains(text, after: from) { return true }
                var fds = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                if poll(&fds, 1, 50) > 0 {
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    let n = read(master, &buffer, buffer.count)
                    if n <= 0 { break }
                    output += buffer[0..<n]
                }
            }
            return contains(text, after: from)
        }

        /// Types `text` and returns the output offset before its echo.
        @discardableResult
        func type(_ text: String) -> Int {
            let mark = output.count
            _ = text.withCString { write(master, $0, strlen($0)) }
            return mark
        }

        /// Ends the REPL whatever state a failed test left it in. `setsid` may
        /// have forked (then `process` is setsid, gone at once, and the REPL an
        /// orphan), so the terminal's foreground group is killed too: a REPL
        /// left running would outlive the test and could hold the suite.
        func close() {
            let group = tcgetpgrp(master)
            if group > 0 && group != getpgrp() { kill(-group, SIGKILL) }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            Glibc.close(master)
        }
    }

    func testPromptCompletionMultiLineErrorsAndHistory() throws {
        let history = NSTemporaryDirectory() + "lora-pty-history-\(getpid())"
        try? FileManager.default.removeItem(atPath: history)
        defer { try? FileManager.default.removeItem(atPath: history) }
        let term = try Terminal(environment: ["LORA_HISTORY": history])
        defer { term.close(); try? term.transcript.write(toFile: NSTemporaryDirectory() + "lora-pty-transcript.txt", atomically: true, encoding: .utf8) }

        XCTAssertTrue(term.waitFor("lora> "), "no prompt:\n\(term.transcript)")

        var mark = term.type("let alpha_value = 41\n")
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark))

        // Tab completes the variable name; the completed entry runs.
        mark = term.type("alpha_v\t")
        XCTAssertTrue(term.waitFor("alue", after: mark), "no completion:\n\(term.transcript)")
        mark = term.type(" + 1\n")
        XCTAssertTrue(term.waitFor("42", after: mark), "completed entry did not run:\n\(term.transcript)")

        // Named-argument completion inside a call.
        mark = term.type("round(2.567, di\t")
        XCTAssertTrue(term.waitFor("gits: ", after: mark), "no argument completion:\n\(term.transcript)")
        mark = term.type("2)\n")
        XCTAssertTrue(term.waitFor("2.57", after: mark))

        // A multi-line entry gets the continuation prompt.
        mark = term.type("let xs = [1,\n")
        XCTAssertTrue(term.waitFor("...> ", after: mark), "no continuation prompt:\n\(term.transcript)")
        mark = term.type("2, 3]\n")
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark))
        mark = term.type("len(xs)\n")
        XCTAssertTrue(term.waitFor("3\r\n", after: mark))

        // An error, then a statement that still sees the earlier variables.
        mark = term.type("alpha_valeu\n")
        XCTAssertTrue(term.waitFor("error: unknown name 'alpha_valeu'", after: mark), term.transcript)
        XCTAssertTrue(term.waitFor("did you mean 'alpha_value'?", after: mark), term.transcript)
        mark = term.type("alpha_value * 2\n")
        XCTAssertTrue(term.waitFor("82\r\nlora> ", after: mark), term.transcript)

        // Ctrl-C clears a half-typed line (nothing runs), the REPL goes on.
        // (Typed before the prompt is up, Ctrl-C would be a signal instead.)
        // libedit switches the terminal to raw mode just after the prompt is
        // drawn; give it that moment, so ^C arrives as a key.
        Thread.sleep(forTimeInterval: 0.3)
        mark = term.type("this is not run\u{3}")
        XCTAssertTrue(term.waitFor("^C\r\nlora> ", after: mark), term.transcript)
        mark = term.type("alpha_value\n")
        XCTAssertTrue(term.waitFor("41", after: mark))
        XCTAssertFalse(term.transcript.contains("unknown name 'this'"), term.transcript)

        // Ctrl-C during a long-running statement interrupts it; the session survives.
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark))
        mark = term.type("let spins = 0\n")
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark))
        mark = term.type("while true { spins += 1 }\n")
        Thread.sleep(forTimeInterval: 0.5)
        term.type("\u{3}")
        XCTAssertTrue(term.waitFor("error: interrupted", after: mark), term.transcript)
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark))
        mark = term.type("spins > 0\n")
        XCTAssertTrue(term.waitFor("true", after: mark), term.transcript)
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark))

        // Ctrl-D on an empty line quits with status 0.
        term.type("\u{4}")
        let deadline = Date().addingTimeInterval(10)
        while term.process.isRunning && Date() < deadline { _ = term.waitFor("\u{0}", timeout: 0.1) }
        XCTAssertFalse(term.process.isRunning, "Ctrl-D did not quit")
        if !term.process.isRunning { XCTAssertEqual(term.process.terminationStatus, 0) }

        let saved = try String(contentsOfFile: history, encoding: .utf8)
        XCTAssertTrue(saved.contains("alpha_value"), saved)
        XCTAssertTrue(saved.contains("len(xs)"), saved)
        XCTAssertFalse(saved.contains("this is not run"), saved)
    }

    /// Waits until the REPL process ends (or `seconds` pass), reading its output meanwhile.
    private func waitForExit(_ term: Terminal, seconds: Double = 10) {
        let deadline = Date().addingTimeInterval(seconds)
        while term.process.isRunning && Date() < deadline { _ = term.waitFor("\u{0}", timeout: 0.1) }
    }

    /// Ctrl-C only ever clears the line: on an empty `lora>` line, on an empty
    /// `...>` line, and pressed twice during `fit`. The session and its
    /// variables survive every one; Ctrl-D still quits.
    func testCtrlCNeverLeavesTheSession() throws {
        let history = NSTemporaryDirectory() + "lora-pty-ctrlc-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: history) }
        let term = try Terminal(environment: ["LORA_HISTORY": history])
        defer { term.close(); try? term.transcript.write(toFile: NSTemporaryDirectory() + "lora-pty-ctrlc-transcript.txt", atomically: true, encoding: .utf8) }
        XCTAssertTrue(term.waitFor("lora> "), "no prompt:\n\(term.transcript)")
        var mark = term.type("let kept = 7\n")
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark))

        // Ctrl-C on an empty prompt, twice in a row.
        for _ in 0..<2 {
            Thread.sleep(forTimeInterval: 0.3)
            mark = term.type("\u{3}")
            XCTAssertTrue(term.waitFor("^C\r\nlora> ", after: mark), "Ctrl-C on an empty line:\n\(term.transcript)")
            XCTAssertTrue(term.process.isRunning, "Ctrl-C on an empty line left the REPL:\n\(term.transcript)")
        }

        // Ctrl-C on an empty continuation line drops the unfinished entry.
        mark = term.type("let xs = [1,\n")
        XCTAssertTrue(term.waitFor("...> ", after: mark), term.transcript)
        Thread.sleep(forTimeInterval: 0.3)
        mark = term.type("\u{3}")
        XCTAssertTrue(term.waitFor("^C\r\nlora> ", after: mark), "Ctrl-C on a continuation line:\n\(term.transcript)")
        XCTAssertTrue(term.process.isRunning, "Ctrl-C on a continuation line left the REPL:\n\(term.transcript)")
        mark = term.type("kept + 1\n")
        XCTAssertTrue(term.waitFor("8\r\n", after: mark), "the entry after Ctrl-C:\n\(term.transcript)")
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark))

        // Ctrl-C twice during fit: training stops, says where, and the session goes on.
        mark = term.type("let m = vit(image: 8, patch: 2, dim: 32, depth: 2, heads: 4, classes: 10)\n")
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark))
        mark = term.type("m.fit(dataset(\"digits\"), epochs: 200, batch: 16)\n")
        XCTAssertTrue(term.waitFor("step ", after: mark, timeout: 30), "no progress:\n\(term.transcript)")
        Thread.sleep(forTimeInterval: 0.5)
        term.type("\u{3}")
        Thread.sleep(forTimeInterval: 0.05)
        term.type("\u{3}")
        XCTAssertTrue(term.waitFor("interrupted in epoch ", after: mark, timeout: 30), "fit was not interrupted:\n\(term.transcript)")
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark))
        // The progress line at 80 columns: one line redrawn in place, never wider than 79.
        let fitOutput = String(decoding: term.output[mark...], as: UTF8.self)
        let progress = fitOutput.components(separatedBy: "interrupted in epoch")[0]
        let draws = progress.components(separatedBy: "\r\u{1B}[K").dropFirst()
        XCTAssertGreaterThan(draws.count, 1, fitOutput)
        for (i, d) in draws.enumerated() {
            // The terminal's own echo of Ctrl-C ("^C") is not part of the drawn line.
            let line = d.components(separatedBy: "\r\n")[0].replacingOccurrences(of: "^C", with: "")
            XCTAssertLessThanOrEqual(line.count, 79, "progress line wider than the terminal: \(line)")
            XCTAssertTrue(line.hasPrefix("ViT  epoch ") || line.hasPrefix("epoch "), line)
            if i < draws.count - 1 { XCTAssertFalse(d.contains("\n"), "a redraw left a line: \(d.debugDescription)") }
        }
        XCTAssertTrue(term.process.isRunning, "Ctrl-C twice during fit left the REPL:\n\(term.transcript)")
        // And a third, at the prompt right after.
        Thread.sleep(forTimeInterval: 0.3)
        mark = term.type("\u{3}")
        XCTAssertTrue(term.waitFor("^C\r\nlora> ", after: mark), term.transcript)
        mark = term.type("m\n")
        XCTAssertTrue(term.waitFor("last fit interrupted in epoch ", after: mark), "the model does not show the interruption:\n\(term.transcript)")
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark))
        mark = term.type("kept\n")
        XCTAssertTrue(term.waitFor("7\r\n", after: mark), term.transcript)
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark))

        // Leaving takes :quit (or Ctrl-D), with status 0.
        term.type(":quit\n")
        waitForExit(term)
        XCTAssertFalse(term.process.isRunning, ":quit did not quit")
        if !term.process.isRunning { XCTAssertEqual(term.process.terminationStatus, 0) }
    }

    /// Ctrl-C during fit's per-epoch validation stops it at the next forward
    /// batch, not when the validation ends: the fit is recorded as interrupted
    /// during validation, the model and its history are as before that
    /// validation, and the session goes on. (The validation here, 4096
    /// MC-dropout passes over 1,761 images, would take minutes.)
    func testCtrlCDuringValidationStopsAtTheNextBatch() throws {
        let history = NSTemporaryDirectory() + "lora-pty-validation-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: history) }
        let term = try Terminal(environment: ["LORA_HISTORY": history])
        defer { term.close(); try? term.transcript.write(toFile: NSTemporaryDirectory() + "lora-pty-validation-transcript.txt", atomically: true, encoding: .utf8) }
        XCTAssertTrue(term.waitFor("lora> "), "no prompt:\n\(term.transcript)")
        var mark = term.type("let m = mc_dropout(vit(image: 8, patch: 2, dim: 32, depth: 2, heads: 4, classes: 10), samples: 4096)\n")
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark), term.transcript)
        mark = term.type("let (small, rest) = dataset(\"digits\").split(0.02, seed: 1)\n")
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark), term.transcript)
        // 36 images in batches of 16: 3 steps, then the validation.
        mark = term.type("m.fit(small, epochs: 3, batch: 16, validation: rest)\n")
        XCTAssertTrue(term.waitFor("step ", after: mark, timeout: 30), "no progress:\n\(term.transcript)")
        Thread.sleep(forTimeInterval: 1.5)
        let pressed = Date()
        term.type("\u{3}")
        guard term.waitFor("interrupted in epoch 1 of 3 at step 3 of 3, during validation", after: mark, timeout: 20) else {
            // Still validating: end it at once rather than wait for minutes
            // (setsid may have forked: the REPL is the terminal's foreground group).
            let group = tcgetpgrp(term.master)
            if group > 0 { kill(-group, SIGKILL) }
            return XCTFail("the validation did not stop at Ctrl-C:\n\(term.transcript)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(pressed), 10)
        XCTAssertTrue(term.waitFor("\r\n  the model is as after step 3 of 9 (0 epochs finished)\r\n", after: mark), term.transcript)
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark), term.transcript)
        XCTAssertTrue(term.process.isRunning, "Ctrl-C during validation left the REPL:\n\(term.transcript)")
        mark = term.type("print(m.history.epochs, m.history.interruptions)\n")
        XCTAssertTrue(term.waitFor("0 [\"interrupted in epoch 1 of 3 at step 3 of 3, during validation\"]", after: mark), term.transcript)
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark))
        term.type(":quit\n")
        waitForExit(term)
        XCTAssertFalse(term.process.isRunning, ":quit did not quit")
    }

    /// Ctrl-C during a large save at the REPL: the write stops, the old file
    /// stays as it was, no temporary is left, the message says so in one
    /// line, and the session goes on with its variables.
    func testCtrlCDuringSaveKeepsTheOldFileAndTheSession() throws {
        let dir = NSTemporaryDirectory() + "lora-pty-save-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/big.safetensors"
        let term = try Terminal(environment: ["LORA_HISTORY": dir + "/history"])
        defer { term.close(); try? term.transcript.write(toFile: NSTemporaryDirectory() + "lora-pty-save-transcript.txt", atomically: true, encoding: .utf8) }
        XCTAssertTrue(term.waitFor("lora> "), "no prompt:\n\(term.transcript)")
        // About 60 MB of parameters: long enough to be caught while writing.
        var mark = term.type("let m = vit(image: 32, patch: 4, dim: 384, depth: 8, heads: 6, classes: 10)\n")
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark, timeout: 30), term.transcript)
        mark = term.type("let r = 1\n")
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark), term.transcript)
        func temporaries() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix(".lora-") }
        }
        for attempt in 0..<3 {
            try "the previous checkpoint".write(toFile: path, atomically: false, encoding: .utf8)
            mark = term.type("r = m.save(\"\(path)\")\n")
            var caught = false
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                if !temporaries().isEmpty { term.type("\u{3}"); caught = true; break }
                if term.contains("\nlora> ", after: mark) { break }
                _ = term.waitFor("\u{0}", after: mark, timeout: 0.001)
            }
            XCTAssertTrue(term.waitFor("\nlora> ", after: mark, timeout: 30), term.transcript)
            // The save may have ended just before the key: try again.
            guard caught, term.contains("interrupted; \(path) unchanged", after: mark) else {
                if attempt == 2 { return XCTFail("in three tries, Ctrl-C during the save never stopped it:\n\(term.transcript)") }
                continue
            }
            XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "the previous checkpoint")
            XCTAssertEqual(temporaries(), [])
            break
        }
        XCTAssertTrue(term.process.isRunning, "Ctrl-C during save left the REPL:\n\(term.transcript)")
        mark = term.type("r\n")
        XCTAssertTrue(term.waitFor("1\r\n", after: mark), "the variable being assigned changed:\n\(term.transcript)")
        XCTAssertTrue(term.waitFor("\nlora> ", after: mark))
        term.type(":quit\n")
        waitForExit(term)
        XCTAssertFalse(term.process.isRunning, ":quit did not quit")
    }
}
