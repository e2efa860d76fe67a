import Core
import Foundation
import XCTest
@testable import Kernel
@testable import Lang

/// The kernel's lora side, driven in-process: requests in, events out.
final class KernelServerTests: XCTestCase {
    /// A server whose events are collected as JSON objects (as they go over the pipe).
    final class Harness {
        var events: [[String: Any]] = []
        var onEvent: ([String: Any]) -> Void = { _ in }
        let cancellation = CancellationFlag()
        lazy var server = KernelServer(threads: 1, cancellation: cancellation) { [unowned self] event in
            let object = try! JSONSerialization.jsonObject(with: Data(event.line.utf8)) as! [String: Any]
            self.events.append(object)
            self.onEvent(object)
        }

        /// Sends one request line; returns the events it produced (the reply last).
        @discardableResult
        func send(_ request: [String: Any]) -> [[String: Any]] {
            events = []
            let data = try! JSONSerialization.data(withJSONObject: request)
            server.handle(line: String(decoding: data, as: UTF8.self))
            return events
        }

        private var nextID = 0
        func execute(_ code: String, count: Int = 1) -> [[String: Any]] {
            nextID += 1
            return send(["id": nextID, "type": "execute", "code": code, "count": count])
        }
        func reply(_ type: String, _ code: String, cursor: Int? = nil) -> [String: Any] {
            nextID += 1
            var r: [String: Any] = ["id": nextID, "type": type, "code": code]
            if let c = cursor { r["cursor"] = c }
            let events = send(r)
            XCTAssertEqual(events.count, 1, "\(events)")
            XCTAssertEqual(events.last?["event"] as? String, "reply")
            XCTAssertEqual(events.last?["id"] as? Int, nextID)
            return events.last ?? [:]
        }
    }

    func streamText(_ events: [[String: Any]]) -> String {
        events.filter { $0["event"] as? String == "stream" }.map { $0["text"] as! String }.joined()
    }

    func testExecuteEchoesAndPrintsAsStreamsAndRepliesOK() {
        let h = Harness()
        let events = h.execute("let xs = [3, 1, 2]\nsorted(xs)\nprint(\"n =\", len(xs))\n\"é\"")
        XCTAssertEqual(streamText(events), "[1, 2, 3]\nn = 3\n\"é\"\n")
        XCTAssertEqual(events.last?["event"] as? String, "reply")
        XCTAssertEqual(events.last?["status"] as? String, "ok")
        // Variables stay for the next cell.
        XCTAssertEqual(streamText(h.execute("xs[0] + 10", count: 2)), "13\n")
    }

    func testErrorCarriesTheDiagnosticNamedAfterTheCell() {
        let h = Harness()
        _ = h.execute("let epochs = 3")
        let events = h.execute("print(\"before\")\nround(epoch)", count: 4)
        XCTAssertEqual(streamText(events), "before\n")
        let errors = events.filter { $0["event"] as? String == "error" }
        XCTAssertEqual(errors.count, 1)
        let error = errors[0]
        XCTAssertEqual(error["ename"] as? String, "NameError")
        XCTAssertEqual(error["evalue"] as? String, "unknown name 'epoch'")
        XCTAssertEqual(error["traceback"] as? [String], [
            "In[4]:2:7: error: unknown name 'epoch'",
            "2 | round(epoch)",
            "  |       ^",
            "note: did you mean 'epochs'?",
        ])
        let reply = events.last!
        XCTAssertEqual(reply["status"] as? String, "error")
        XCTAssertEqual(reply["ename"] as? String, "NameError")
        XCTAssertEqual(reply["traceback"] as? [String], error["traceback"] as? [String])
        // A :command's error points into the cell too.
        let command = h.execute("1\n:type", count: 5).first { $0["event"] as? String == "error" }
        XCTAssertEqual((command?["traceback"] as? [String])?.first, "In[5]:2:1: error: :type needs an expression, e.g. :type 1.5")
        // The session survives, variables intact.
        XCTAssertEqual(streamText(h.execute("epochs", count: 6)), "3\n")
    }

    func testFigureArrivesAsSVGAndTablesAsHTMLWithTheEchoText() throws {
        let h = Harness()
        _ = h.execute("""
        let data = dataset("digits")[0..<60]
        let m = vit(image: 8, patch: 4, dim: 8, depth: 1, heads: 2, classes: 10, seed: 1)
        let r = m.evaluate(data)
        """)
        let figure = h.execute("reliability(m, data)").filter { $0["event"] as? String == "display" }
        XCTAssertEqual(figure.count, 1)
        let data = try XCTUnwrap(figure.first?["data"] as? [String: String])
        XCTAssertTrue(data["image/svg+xml"]?.contains("<svg") == true, "\(data.keys)")
        XCTAssertNil(data["text/html"])
        // The text is what the REPL prints for the same value.
        let echo = try runEcho("reliability(m, data)", in: h.server.session)
        XCTAssertEqual(data["text/plain"].map { $0 + "\n" }, echo)
        XCTAssertTrue(echo.contains("ECE"), echo)

        let table = h.execute("r").filter { $0["event"] as? String == "display" }
        let tdata = try XCTUnwrap(table.first?["data"] as? [String: String])
        XCTAssertTrue(tdata["text/html"]?.hasPrefix("<table>\n<caption>") == true, tdata["text/html"] ?? "")
        XCTAssertTrue(tdata["text/html"]?.contains("<td style=\"text-align: left\">accuracy</td>") == true)
        XCTAssertEqual(tdata["text/plain"].map { $0 + "\n" }, try runEcho("r", in: h.server.session))
        // .plot() shows the figure the same way.
        XCTAssertEqual(h.execute("r.reliability.plot()").filter { $0["event"] as? String == "display" }.count, 1)
    }

    /// What the REPL prints for `code` in this session (no rich display).
    func runEcho(_ code: String, in session: Session) throws -> String {
        let (show, output) = (session.context.show, session.context.output)
        defer { session.context.show = show; session.context.output = output }
        var out = ""
        session.context.show = nil
        session.context.output = { out += $0 }
        _ = try session.evaluateEntry(code)
        return out
    }

    func testProgressIsOneDisplayRedrawnAndEndsWithTheEpochLines() {
        let h = Harness()
        _ = h.execute("""
        let data = dataset("digits")[0..<64]
        let m = vit(image: 8, patch: 4, dim: 8, depth: 1, heads: 2, classes: 10, seed: 1)
        """)
        let events = h.execute("m.fit(data, epochs: 3, batch: 16, lr: 1e-3)")
        let progress = events.filter { $0["event"] as? String == "progress" }
        XCTAssertGreaterThanOrEqual(progress.count, 2)
        XCTAssertEqual(progress.filter { $0["final"] as? Bool == true }.count, 1)
        XCTAssertEqual(progress.last?["final"] as? Bool, true)
        let lines = (progress.last?["text"] as? String ?? "").components(separatedBy: "\n")
        XCTAssertEqual(lines.count, 3, "\(lines)")
        for (i, line) in lines.enumerated() {
            XCTAssertTrue(line.contains("epoch \(i + 1)/3  step 4/4  loss "), line)
        }
        // No progress line goes to the stream; the summary line after training does.
        XCTAssertFalse(streamText(events).contains("epoch 1/3"))
        XCTAssertTrue(streamText(events).hasPrefix("trained ViT for 3 epochs"), streamText(events))
    }

    func testInterruptStopsTheCellAndKeepsVariables() {
        let h = Harness()
        _ = h.execute("""
        let data = dataset("digits")[0..<64]
        let m = vit(image: 8, patch: 4, dim: 8, depth: 1, heads: 2, classes: 10, seed: 1)
        let before = 41
        """)
        // Ctrl-C as the kernel sends it, at the first sign of training.
        h.onEvent = { [unowned h] e in if e["event"] as? String == "progress" { h.cancellation.set() } }
        let events = h.execute("m.fit(data, epochs: 200, batch: 16)\nlet after = 1", count: 7)
        h.onEvent = { _ in }
        let error = events.first { $0["event"] as? String == "error" }
        XCTAssertEqual(error?["ename"] as? String, "Interrupted")
        let first = (error?["traceback"] as? [String])?.first ?? ""
        XCTAssertTrue(first.hasPrefix("In[7]:1:") && first.hasSuffix(": error: interrupted"), first)
        XCTAssertEqual(events.last?["status"] as? String, "error")
        XCTAssertEqual(streamText(h.execute("before + 1")), "42\n")
        XCTAssertTrue(streamText(h.execute("after")).isEmpty, "the entry after the interrupted one must not run")
    }

    func testCompleteUsesLorasCompletionWithCodePointCursors() {
        let h = Harness()
        _ = h.execute("let epochs = 3\nlet épée = 2")
        // Second line, cursor at its end: offsets count code points of the whole code.
        let code = "let x = \"é\"\nepo"
        let r = h.reply("complete", code, cursor: code.unicodeScalars.count)
        XCTAssertEqual(r["matches"] as? [String], ["epochs"])
        XCTAssertEqual(r["cursor_start"] as? Int, 12)
        XCTAssertEqual(r["cursor_end"] as? Int, 15)
        // Named arguments of a builtin; a name with a non-ASCII letter.
        XCTAssertEqual(h.reply("complete", "round(1.5, dig")["matches"] as? [String], ["digits: "])
        let accented = h.reply("complete", "ép")
        XCTAssertEqual(accented["matches"] as? [String], ["épée"])
        XCTAssertEqual(accented["cursor_start"] as? Int, 0)
        // A cursor inside the code: only the text before it counts.
        let mid = h.reply("complete", "epo + 1", cursor: 3)
        XCTAssertEqual(mid["matches"] as? [String], ["epochs"])
        XCTAssertEqual(mid["cursor_end"] as? Int, 3)
    }

    func testInspectGivesTheHelpOfTheNameAtTheCursor() {
        let h = Harness()
        _ = h.execute("let xs = [1]")
        let r = h.reply("inspect", "let y = round(3.14159, digits: 2)", cursor: 10)
        XCTAssertEqual(r["found"] as? Bool, true)
        XCTAssertEqual(r["text"] as? String, HelpText.topic("round", builtins: h.server.session.builtins, variables: h.server.session.interpreter.globals))
        // Inside the call's parentheses, away from any name: the called name.
        XCTAssertEqual(h.reply("inspect", "round(3.14159, ", cursor: 15)["text"] as? String, r["text"] as? String)
        // A variable; a method of a type; nothing.
        XCTAssertTrue((h.reply("inspect", "xs", cursor: 1)["text"] as? String ?? "").hasPrefix("xs: "))
        XCTAssertTrue((h.reply("inspect", "Figure.save", cursor: 9)["text"] as? String ?? "").contains("save(path)"))
        XCTAssertEqual(h.reply("inspect", "nosuchname", cursor: 3)["found"] as? Bool, false)
        XCTAssertEqual(h.reply("inspect", "1 + 2", cursor: 2)["found"] as? Bool, false)
    }

    func testIsCompleteFollowsTheREPL() {
        let h = Harness()
        XCTAssertEqual(h.reply("is_complete", "1 + 2")["status"] as? String, "complete")
        XCTAssertEqual(h.reply("is_complete", "")["status"] as? String, "complete")
        XCTAssertEqual(h.reply("is_complete", ":help round")["status"] as? String, "complete")
        let open = h.reply("is_complete", "fn f(x) {\n    if x > 1 {")
        XCTAssertEqual(open["status"] as? String, "incomplete")
        XCTAssertEqual(open["indent"] as? String, "        ")
        let operatorEnd = h.reply("is_complete", "let y = 1 +")
        XCTAssertEqual(operatorEnd["status"] as? String, "incomplete")
        XCTAssertEqual(operatorEnd["indent"] as? String, "")
        XCTAssertEqual(h.reply("is_complete", "f(1,\n  2)")["status"] as? String, "complete")
        // A :command line does not hide an open brace after it.
        XCTAssertEqual(h.reply("is_complete", ":vars\nfn g() {")["status"] as? String, "incomplete")
    }

    func testMalformedRequestsGetAnErrorReplyAndShutdownEnds() {
        let h = Harness()
        h.server.handle(line: "not json")
        XCTAssertEqual(h.events.last?["status"] as? String, "error")
        XCTAssertEqual(h.events.last?["id"] as? Int, -1)
        XCTAssertTrue((h.events.last?["evalue"] as? String ?? "").contains("not a JSON object"))
        let unknown = h.send(["id": 3, "type": "dance"])
        XCTAssertEqual(unknown.last?["id"] as? Int, 3)
        XCTAssertTrue((unknown.last?["evalue"] as? String ?? "").contains("unknown type \"dance\""))
        XCTAssertTrue((h.send(["id": 4, "type": "execute"]).last?["evalue"] as? String ?? "").contains("needs a \"code\" string"))
        h.events = []
        XCTAssertFalse(h.server.handle(line: #"{"id": 9, "type": "shutdown"}"#))
        XCTAssertEqual(h.events.last?["status"] as? String, "ok")
    }

    func testKernelSpecFiles() throws {
        let dir = NSTemporaryDirectory() + "lora-kernelspec-\(getpid())/kernels/lora"
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        let spec = KernelSpec(loraBinary: "/opt/lora/bin/lora", python: "/usr/bin/python3")
        let files = try spec.install(in: dir)
        XCTAssertEqual(files.map { ($0 as NSString).lastPathComponent }, ["kernel.json", "lora_kernel.py"])
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/kernel.json"))) as! [String: Any]
        XCTAssertEqual(json["display_name"] as? String, "lora")
        XCTAssertEqual(json["language"] as? String, "lora")
        XCTAssertEqual(json["argv"] as? [String], ["/usr/bin/python3", "-Xfrozen_modules=off", dir + "/lora_kernel.py", "-f", "{connection_file}"])
        XCTAssertEqual((json["env"] as? [String: String])?["LORA_KERNEL_BINARY"], "/opt/lora/bin/lora")
        XCTAssertEqual((json["metadata"] as? [String: Any])?["file_extension"] as? String, ".lora")
        let script = try String(contentsOfFile: dir + "/lora_kernel.py", encoding: .utf8)
        XCTAssertTrue(script.contains("class LoraKernel(Kernel)"))
        XCTAssertTrue(script.contains("PROTOCOL = \(KernelEvent.protocolVersion)\n"), "lora_kernel.py and the server must speak the same protocol")
        XCTAssertTrue(KernelSpec.isLoraSpec(dir))
        try KernelSpec.uninstall(dir)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir))
        // Something that is not a lora spec is never removed.
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try #"{"language": "python"}"#.write(toFile: dir + "/kernel.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try KernelSpec.uninstall(dir)) { XCTAssertTrue("\($0)".contains("not a lora kernel spec")) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/kernel.json"))
    }

    func testJupyterDataDirectoriesFollowJupyterCore() {
        XCTAssertEqual(JupyterPaths.userData(environment: ["JUPYTER_DATA_DIR": "/tmp/jd", "HOME": "/home/u"]), "/tmp/jd")
        #if os(Linux)
        XCTAssertEqual(JupyterPaths.userData(environment: ["HOME": "/home/u"]), "/home/u/.local/share/jupyter")
        XCTAssertEqual(JupyterPaths.userData(environment: ["HOME": "/home/u", "XDG_DATA_HOME": "/x"]), "/x/jupyter")
        #endif
        XCTAssertEqual(JupyterPaths.kernelDirectory(data: JupyterPaths.prefixData("/venv"), name: "lora"), "/venv/share/jupyter/kernels/lora")
    }
}
