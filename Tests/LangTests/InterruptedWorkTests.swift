import Core
import Foundation
import XCTest
@testable import Lang
@testable import Render

/// Ctrl-C during work that is not training or a forward pass: writing and
/// reading checkpoints, loading and transforming data sets. The work stops at
/// its next report, the statement's variables keep their values, a file being
/// written keeps its old contents; a terminal shows the work's progress. And
/// fit's validation shows progress.
final class InterruptedWorkTests: XCTestCase {
    final class Recorder: ProgressReporter {
        var updates: [ProgressEvent] = []
        var finished = 0
        var onUpdate: (ProgressEvent) -> Void = { _ in }
        func update(_ p: ProgressEvent) { updates.append(p); onUpdate(p) }
        func finish() { finished += 1 }
    }

    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "lora-interrupted-work-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    private func temporaries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix(".lora-") }
    }

    /// A session whose progress goes to a recorder that presses Ctrl-C at its first update.
    private func session(_ setup: String) throws -> (Session, Recorder) {
        let (s, _) = try tinySession(setup)
        let recorder = Recorder()
        s.context.progress = recorder
        recorder.onUpdate = { [unowned s] _ in s.context.cancellation.set() }
        return (s, recorder)
    }

    private func interrupted(_ s: Session, _ entry: String, file: StaticString = #filePath, line: UInt = #line) -> LangError? {
        defer { s.context.cancellation.clear() }
        do {
            _ = try s.evaluateEntry(entry)
            XCTFail("\(entry) was not interrupted", file: file, line: line)
        } catch let e as LangError {
            XCTAssertEqual(e.kind, .interrupted, "\(e)", file: file, line: line)
            return e
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
        return nil
    }

    /// A 9.5 MB model (2.4 million parameters): its save reports every 4 MB written.
    func testCtrlCStopsASaveLeavingTheOldFileAndNoTemporary() throws {
        let path = dir + "/big.safetensors"
        try "the previous checkpoint".write(toFile: path, atomically: false, encoding: .utf8)
        let (s, recorder) = try session("let big = vit(image: 8, patch: 4, dim: 256, depth: 3, heads: 2, classes: 10)\nlet r = 1")
        let e = interrupted(s, "r = big.save(\"\(path)\")")
        XCTAssertEqual(e?.message, "interrupted; \(path) unchanged")
        XCTAssertEqual(e?.remedy, "Ctrl-C stopped the write before the file was replaced; save again")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "the previous checkpoint")
        XCTAssertEqual(temporaries(), [], "the stopped write left its temporary")
        XCTAssertEqual(recorder.updates.count, 1, "stopped at the first report")
        XCTAssertEqual(recorder.updates.first?.label, "writing big.safetensors")
        XCTAssertEqual(recorder.updates.first?.transient, true)
        XCTAssertTrue((4 << 20)..<(8 << 20) ~= recorder.updates.first?.step ?? 0, "the first report comes after 4 MB")
        XCTAssertGreaterThan(recorder.updates.first?.steps ?? 0, 9_000_000)
        XCTAssertEqual(recorder.finished, 1, "the progress line is ended")
        XCTAssertEqual(try runREPL(["r"], session: s), "1\n")
        // A file that did not exist is not written at all.
        XCTAssertEqual(interrupted(s, "big.save(\"\(dir)/new.safetensors\")")?.message, "interrupted; \(dir)/new.safetensors not written")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/new.safetensors"))
        // Without Ctrl-C the save runs through; reading it back stops at Ctrl-C too, the variable unchanged.
        recorder.onUpdate = { _ in }
        _ = try s.evaluateEntry("big.save(\"\(path)\")")
        recorder.updates = []
        recorder.onUpdate = { [unowned s] _ in s.context.cancellation.set() }
        XCTAssertEqual(interrupted(s, "r = load_model(\"\(path)\")")?.message, "interrupted")
        XCTAssertEqual(recorder.updates.first?.label, "reading big.safetensors")
        XCTAssertEqual(try runREPL(["r"], session: s), "1\n")
        recorder.onUpdate = { _ in }
        XCTAssertEqual(try runREPL(["load_model(\"\(path)\").params == big.params"], session: s), "true\n")
    }

    /// load_csv of 10,000 rows, resize and normalize of the digits at 64 x 64.
    func testCtrlCStopsLoadingAndTransformingDataSets() throws {
        let csv = dir + "/rows.csv"
        try ("label,a,b\n" + (0..<10_000).map { "\($0 % 3),\($0 % 7),1\n" }.joined()).write(toFile: csv, atomically: false, encoding: .utf8)
        let (s, recorder) = try session("let d = 1\nlet big = digits.resize(to: 64)")
        _ = interrupted(s, "d = load_csv(\"\(csv)\")")
        XCTAssertEqual(recorder.updates.map(\.label), ["parsing rows.csv"])
        for (entry, label) in [("d = digits.resize(to: 64)", "resizing digits"), ("d = big.normalize()", "measuring digits")] {
            recorder.updates = []
            _ = interrupted(s, entry)
            XCTAssertEqual(recorder.updates.map(\.label), [label], entry)
        }
        XCTAssertEqual(try runREPL(["d"], session: s), "1\n")
    }

    /// fit(validation:) shows the validation's progress on the epoch's line:
    /// after the epoch's last step, before that step's own event, growing to 100%.
    func testValidationShowsProgress() throws {
        let (s, recorder) = try session("let mc = mc_dropout(base, samples: 8)")
        recorder.onUpdate = { _ in }
        _ = try s.evaluateEntry("mc.fit(train, epochs: 2, batch: 80, validation: test)")
        let events = recorder.updates.filter { !$0.transient }
        // Per epoch: step 1, then the validation (8 passes over 100 images, one report per pass), then step 2.
        XCTAssertEqual(events.map { $0.validation == nil ? "step \($0.step)" : "v" },
                       Array(repeating: ["step 1"] + Array(repeating: "v", count: 8) + ["step 2"], count: 2).flatMap { $0 })
        let parts = events.compactMap(\.validation)
        XCTAssertEqual(parts.prefix(8).map { ($0 * 8).rounded() }, (1...8).map(Double.init))
        let line = ProgressPrinter.fitted(try XCTUnwrap(events.first { $0.validation != nil }), columns: 80)
        XCTAssertTrue(line.contains("epoch 1/2") && line.contains("validating 12%"), line)
        XCTAssertLessThanOrEqual(line.count, 79)
        // Ctrl-C during the validation stops it there; the message fits 80 columns.
        var out = ""
        s.context.output = { out += $0 }
        s.context.isInteractive = true
        recorder.onUpdate = { [unowned s] p in if p.validation != nil { s.context.cancellation.set() } }
        _ = try s.evaluateEntry("mc.fit(train, epochs: 2, batch: 80, validation: test)")
        XCTAssertTrue(out.hasPrefix("MC dropout: interrupted in epoch 1 of 2 at step 2 of 2, during validation\n  the model is as after step 2 of 4 (0 epochs finished)\n"), out)
        for l in out.split(separator: "\n") { XCTAssertLessThanOrEqual(l.count, 79, String(l)) }
    }

    func testMessagesWrapAtSpacesWithinTheTerminal() {
        let text = "a-very-long-model-name: interrupted in epoch 123 of 1,000 at step 12,345 of 99,999, during validation"
        let lines = TextWrap.lines(text, columns: 80)
        XCTAssertEqual(lines, ["a-very-long-model-name: interrupted in epoch 123 of 1,000 at step 12,345 of",
                               "  99,999, during validation"])
        XCTAssertEqual(TextWrap.lines("  short", columns: 80), ["  short"])
        XCTAssertEqual(TextWrap.lines("word " + String(repeating: "x", count: 100), columns: 40).count, 2, "a long word stays whole")
    }
}
