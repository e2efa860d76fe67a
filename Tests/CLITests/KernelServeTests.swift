import Foundation
import XCTest

/// `lora kernel serve` as the Jupyter kernel's Python side sees it: JSON lines
/// over pipes, Ctrl-C (SIGINT) at any time, the end of input.
final class KernelServeTests: XCTestCase {
    enum RunResultError: Error { case ended(String) }

    func testServeAnswersOverPipesAndSurvivesSIGINTWhileIdle() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try LoraBinary.path())
        process.arguments = ["kernel", "serve", "--threads", "1"]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let reader = output.fileHandleForReading
        var pending = Data()
        func nextEvent() throws -> [String: Any] {
            while true {
                if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = pending[pending.startIndex..<newline]
                    pending = Data(pending[pending.index(after: newline)...])
                    return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], String(decoding: line, as: UTF8.self))
                }
                let chunk = reader.availableData
                guard !chunk.isEmpty else { throw RunResultError.ended(String(decoding: pending, as: UTF8.self)) }
                pending.append(chunk)
            }
        }
        func send(_ line: String) { input.fileHandleForWriting.write(Data((line + "\n").utf8)) }

        let ready = try nextEvent()
        XCTAssertEqual(ready["event"] as? String, "ready")
        XCTAssertEqual(ready["protocol"] as? Int, 1)
        // Ctrl-C while it waits for a request: nothing ends, nothing is lost.
        kill(process.processIdentifier, SIGINT)
        Thread.sleep(forTimeInterval: 0.2)
        kill(process.processIdentifier, SIGINT)
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertTrue(process.isRunning, "SIGINT while idle ended the server")
        send(#"{"id": 1, "type": "execute", "code": "let x = 20\nx * 2 + 2", "count": 1}"#)
        let stream = try nextEvent()
        XCTAssertEqual(stream["event"] as? String, "stream")
        XCTAssertEqual(stream["text"] as? String, "42\n", "the interrupt while idle must not stop the next cell")
        let reply = try nextEvent()
        XCTAssertEqual(reply["event"] as? String, "reply")
        XCTAssertEqual(reply["status"] as? String, "ok")
        send(#"{"id": 2, "type": "is_complete", "code": "fn f() {"}"#)
        XCTAssertEqual(try nextEvent()["status"] as? String, "incomplete")
        send(#"{"id": 3, "type": "shutdown"}"#)
        XCTAssertEqual(try nextEvent()["id"] as? Int, 3)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self), "")
    }

    func testEndOfInputEndsTheServer() throws {
        let r = try lora(["kernel", "serve"], stdin: #"{"id": 1, "type": "execute", "code": "print(1)"}"# + "\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, r.stdout)
        XCTAssertTrue(lines[1].contains(#""text":"1\n""#), lines[1])
        XCTAssertTrue(lines[2].contains(#""status":"ok""#), lines[2])
    }

    func testKernelHelpAndBadOptions() throws {
        let help = try lora(["kernel", "--help"])
        XCTAssertTrue(help.stdout.contains("install") && help.stdout.contains("uninstall") && help.stdout.contains("serve"), help.stdout)
        let both = try lora(["kernel", "install", "--user", "--prefix", "/tmp/x"])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.stderr.contains("give --user or --prefix, not both"), both.stderr)
        let name = try lora(["kernel", "install", "--user", "--name", "a/b"])
        XCTAssertNotEqual(name.status, 0)
        XCTAssertTrue(name.stderr.contains("--name may hold"), name.stderr)
    }
}
