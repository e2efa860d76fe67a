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
        var transcript = ""

        init(environment: [String: String]) throws {
            var slave: Int32 = -1
            var size = winsize(ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0)
            guard openpty(&master, &slave, nil, nil, &size) == 0 else { throw LoraBinary.Missing(message: "openpty failed") }
            process.executableURL = URL(fileURLWithPath: try LoraBinary.path())
            process.arguments = []
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
        @discardableResult
        func waitFor(_ text: String, after from: String.Index? = nil, timeout: Double = 10) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let start = from ?? transcript.startIndex
                if transcript[start...].contains(text) { return true }
                var fds = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                if poll(&fds, 1, 50) > 0 {
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    let n = read(master, &buffer, buffer.count)
                    if n <= 0 { break }
                    transcript += String(decoding: buffer[0..<n], as: UTF8.self)
                }
            }
            return transcript[(from ?? transcript.startIndex)...].contains(text)
        }

        /// Types `text` and returns the transcript position before its echo.
        @discardableResult
        func type(_ text: String) -> String.Index {
            let mark = transcript.endIndex
            _ = text.withCString { write(master, $0, strlen($0)) }
            return mark
        }

        func close() {
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
        defer { term.close() }

        XCTAssertTrue(term.waitFor("lora> "), "no prompt:\n\(term.transcript)")

        var mark = term.type("let alpha_value = 41\n")
        XCTAssertTrue(term.waitFor("lora> ", after: mark))

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
        XCTAssertTrue(term.waitFor("lora> ", after: mark))
        mark = term.type("len(xs)\n")
        XCTAssertTrue(term.waitFor("3\r\n", after: mark))

        // An error, then a statement that still sees the earlier variables.
        mark = term.type("alpha_valeu\n")
        XCTAssertTrue(term.waitFor("error: unknown name 'alpha_valeu'", after: mark), term.transcript)
        XCTAssertTrue(term.waitFor("did you mean 'alpha_value'?", after: mark), term.transcript)
        mark = term.type("alpha_value * 2\n")
        XCTAssertTrue(term.waitFor("82", after: mark), term.transcript)

        // Ctrl-C clears a half-typed line (nothing runs), the REPL goes on.
        mark = term.type("this is not run\u{3}")
        XCTAssertTrue(term.waitFor("lora> ", after: mark))
        mark = term.type("alpha_value\n")
        XCTAssertTrue(term.waitFor("41", after: mark))
        XCTAssertFalse(term.transcript.contains("unknown name 'this'"), term.transcript)

        // Ctrl-D on an empty line quits with status 0.
        term.type("\u{4}")
        let deadline = Date().addingTimeInterval(10)
        while term.process.isRunning && Date() < deadline { _ = term.waitFor("\u{0}", timeout: 0.1) }
        XCTAssertFalse(term.process.isRunning, "Ctrl-D did not quit")
        XCTAssertEqual(term.process.terminationStatus, 0)

        let saved = try String(contentsOfFile: history, encoding: .utf8)
        XCTAssertTrue(saved.contains("alpha_value"), saved)
        XCTAssertTrue(saved.contains("len(xs)"), saved)
        XCTAssertFalse(saved.contains("this is not run"), saved)
    }
}
