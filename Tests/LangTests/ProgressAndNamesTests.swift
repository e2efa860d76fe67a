import Core
import Foundation
import XCTest
@testable import Lang
@testable import Render

/// The progress line on a terminal, and the names compare shows (issue 11, display).
final class ProgressAndNamesTests: XCTestCase {
    let long = ProgressEvent(label: "LoRA-Ensemble member 2/4", epoch: 3, epochs: 8, step: 12, steps: 40, loss: 0.41234,
                              accuracy: 0.8712, samplesPerSecond: 3264.4, eta: 3725)

    func testTheLineFitsTheTerminalDroppingLessImportantFieldsFirst() {
        // 30 columns of bar at most: 28.75% of 30 is 8.6, so 8 filled.
        let wide = ProgressPrinter.fitted(long, columns: 200)
        XCTAssertEqual(wide, "LoRA-Ensemble member 2/4  epoch 3/8  [########......................]  step 12/40  loss 0.4123  acc 0.871  3,264 samples/s  ETA 1h 02m")
        for columns in [120, 100, 80, 60, 40, 30, 20] {
            let line = ProgressPrinter.fitted(long, columns: columns)
            XCTAssertLessThanOrEqual(line.count, max(20, columns - 1), "\(columns): \(line)")
            XCTAssertTrue(line.contains("epoch 3/8"), "\(columns): \(line)")
        }
        // At 80 columns: throughput and label go first, the rest stays; the bar
        // takes the 18 columns left (79 in all), 28.75% of it filled: 5.
        XCTAssertEqual(ProgressPrinter.fitted(long, columns: 80),
                       "epoch 3/8  [#####.............]  step 12/40  loss 0.4123  acc 0.871  ETA 1h 02m")
        XCTAssertEqual(ProgressPrinter.fitted(long, columns: 40), "epoch 3/8  loss 0.4123  ETA 1h 02m")
    }

    func testTheBarCoversTheWholeRun() {
        // Epoch 3 of 8 at step 12 of 40: (2 + 12/40) / 8 = 28.75% of the run.
        XCTAssertEqual(long.fractionDone, 0.2875, accuracy: 1e-12)
        XCTAssertEqual(ProgressPrinter.bar(long.fractionDone, width: 20), "[#####...............]")
        var last = long
        last.epoch = 8; last.step = 40
        XCTAssertEqual(ProgressPrinter.bar(last.fractionDone, width: 10), "[##########]")
        var member = long
        member.overall = 0.5
        XCTAssertEqual(ProgressPrinter.bar(member.fractionDone, width: 10), "[#####.....]")
    }

    func testETAInHoursMinutesSeconds() {
        XCTAssertEqual(ProgressPrinter.eta(42.4), "42s")
        XCTAssertEqual(ProgressPrinter.eta(187), "3m 07s")
        XCTAssertEqual(ProgressPrinter.eta(3725), "1h 02m")
        XCTAssertEqual(ProgressPrinter.eta(.nan), "?")
    }

    func testOneLineRedrawnInPlace() {
        var written = ""
        let printer = ProgressPrinter(inPlace: true, columns: { 80 }) { written += $0 }
        for step in 1...40 {
            var p = long
            p.step = step
            printer.update(p)
        }
        printer.finish()
        XCTAssertEqual(written.filter { $0 == "\n" }.count, 1, "one line in all")
        XCTAssertEqual(written.components(separatedBy: "\r\u{1B}[K").count, 41)
        for drawn in written.components(separatedBy: "\r\u{1B}[K") { XCTAssertLessThanOrEqual(drawn.trimmingCharacters(in: .newlines).count, 79) }
    }

    /// compare names its rows after the models: `name:` or the variable they were first bound to.
    func testCompareShowsModelNames() throws {
        let (s, _) = try tinySession("""
        base.fit(train, epochs: 1, batch: 40)
        let ens = lora_ensemble(base, members: 2, rank: 2)
        let e2 = lora_ensemble(base, members: 2, rank: 2, seed: 5, name: "second")
        """)
        let cmp = try runREPL(["compare([base, ens, e2], on: test)"], session: s)
        for row in ["base (ViT)", "ens (LoRA-Ensemble)", "second (LoRA-Ensemble)"] {
            XCTAssertTrue(cmp.contains(row), "\(row) missing in\n\(cmp)")
        }
        XCTAssertEqual(try runREPL(["print(ens.name, e2.name)", "let again = ens", "print(again.name)"], session: s), "ens second\nens\n")
        XCTAssertEqual(scriptError("let m = vit(name: \"  \")")?.message, "the name must not be empty")
    }
}

/// Long evaluation and prediction: chunked, stopped by Ctrl-C between chunks,
/// with transient progress on a terminal.
final class LongComputationTests: XCTestCase {
    final class Recorder: ProgressReporter {
        var updates: [ProgressEvent] = []
        var finished = 0
        var onUpdate: (ProgressEvent) -> Void = { _ in }
        func update(_ p: ProgressEvent) { updates.append(p); onUpdate(p) }
        func finish() { finished += 1 }
    }

    /// An MC-dropout model with absurd `samples` stops at the first Ctrl-C; the variable keeps its value.
    func testCtrlCStopsEvaluationOfAHugeMCDropoutModel() throws {
        let recorder = Recorder()
        let (s, _) = try tinySession("let mc = mc_dropout(base, samples: 4096)\nlet r = 1")
        s.context.progress = recorder
        recorder.onUpdate = { [unowned s] _ in s.context.cancellation.set() }
        let start = Date()
        XCTAssertThrowsError(try s.evaluateEntry("r = mc.evaluate(test)")) { e in
            XCTAssertEqual((e as? LangError)?.kind, .interrupted)
            XCTAssertEqual((e as? LangError)?.location?.line, 1)   // the REPL entry
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)
        XCTAssertEqual(recorder.updates.count, 1, "stopped after the first forward batch")
        XCTAssertEqual(recorder.updates[0].steps, 4096 * 100, "member-samples: 4096 passes over 100 images")
        XCTAssertEqual(recorder.updates[0].step, 4, "the first pass over the first chunk of 4 images")
        XCTAssertTrue(recorder.updates[0].transient)
        XCTAssertEqual(recorder.updates[0].label, "evaluating mc (MC dropout)")
        XCTAssertEqual(recorder.finished, 1)
        s.context.cancellation.clear()
        XCTAssertEqual(try runREPL(["r"], session: s), "1\n")
    }

    /// The per-pass siblings: attention, predict of one sample and calibrate run
    /// one forward pass per MC sample; each stops at the first Ctrl-C, after
    /// the pass it is in, with progress counted in passes.
    func testCtrlCStopsEveryPassByPassComputation() throws {
        let recorder = Recorder()
        let (s, _) = try tinySession("let mc = mc_dropout(base, samples: 4096)\nlet r = 1")
        s.context.progress = recorder
        recorder.onUpdate = { [unowned s] _ in s.context.cancellation.set() }
        for (entry, label, steps) in [("r = mc.attention(test[3])", "attention of mc (MC dropout)", 4096),
                                      ("r = mc.predict(test[0])", "predicting mc (MC dropout)", 4096),
                                      ("r = mc.uncertainty(test[0])", "predicting mc (MC dropout)", 4096),
                                      ("r = calibrate(mc, on: test)", "calibrating mc (MC dropout)", 4096 * 100)] {
            recorder.updates = []
            let start = Date()
            XCTAssertThrowsError(try s.evaluateEntry(entry), entry) { e in
                XCTAssertEqual((e as? LangError)?.kind, .interrupted, entry)
            }
            XCTAssertLessThan(Date().timeIntervalSince(start), 10, entry)
            XCTAssertEqual(recorder.updates.count, 1, entry)
            XCTAssertEqual(recorder.updates.first?.label, label, entry)
            XCTAssertEqual(recorder.updates.first?.steps, steps, entry)
            s.context.cancellation.clear()
        }
        XCTAssertEqual(try runREPL(["r"], session: s), "1\n")
    }

    /// calibrate's temperature search (some 90 passes over the logits, after
    /// the prediction) stops at Ctrl-C too: pressed as the prediction's last
    /// batch ends, nothing is calibrated and the variable keeps its value.
    func testCtrlCStopsTheTemperatureSearch() throws {
        let recorder = Recorder()
        let (s, _) = try tinySession("let r = 1")
        s.context.progress = recorder
        recorder.onUpdate = { [unowned s] p in if p.step == p.steps { s.context.cancellation.set() } }
        XCTAssertThrowsError(try s.evaluateEntry("r = calibrate(base, on: test)")) { e in
            XCTAssertEqual((e as? LangError)?.kind, .interrupted, "\(e)")
        }
        XCTAssertEqual(recorder.updates.map { $0.step }, [100], "the prediction ran to its end")
        s.context.cancellation.clear()
        recorder.onUpdate = { _ in }
        XCTAssertEqual(try runREPL(["r"], session: s), "1\n")
        XCTAssertTrue(try runREPL(["calibrate(base, on: test).temperature > 0"], session: s).hasSuffix("true\n"))
    }

    /// Attention maps of every MC pass are kept: more than memory holds is
    /// refused after the first pass, with the estimate and the remedy.
    func testAttentionOfTooManyPassesIsRefusedWithTheEstimate() throws {
        let (s, _) = try tinySession("let mc = mc_dropout(base, samples: 4096)")
        setenv("LORA_MEMORY_LIMIT", "1M", 1)
        defer { unsetenv("LORA_MEMORY_LIMIT") }
        // One layer, 2 heads, 5 tokens: 200 bytes a pass, kept and joined: 4096 x 400 bytes = 1.6 MB.
        XCTAssertThrowsError(try s.evaluateEntry("mc.attention(test[3])")) { e in
            let m = (e as? LangError)?.message ?? "\(e)"
            XCTAssertTrue(m.contains("the attention maps of 4096 MC-dropout passes would need about 1.6 MB of memory"), m)
            XCTAssertTrue(m.contains("use fewer passes: mc_dropout(base, samples: 16)"), m)
        }
    }

    /// Chunks are put back in order: predictions over chunks equal those of the halves.
    func testChunkedPredictionsKeepTheOrder() throws {
        let (s, _) = try tinySession("let big = lora_ensemble(base, members: 2048, rank: 1, init: \"gaussian\")")
        let out = try runREPL(["print(big.predict(test) == big.predict(test[0..<37]) + big.predict(test[37..<100]))",
                               "print(len(big.predict(test)))"], session: s)
        XCTAssertEqual(out, "true\n100\n")
    }

    /// Transient progress shows only on a terminal, only after a moment, and is erased at the end.
    func testTransientProgressIsErasedAndNeverPrintedPlain() {
        var plain = ""
        let p = ProgressPrinter(inPlace: false) { plain += $0 }
        var u = ProgressEvent(label: "evaluating ens", epoch: 1, epochs: 1, step: 1, steps: 3, transient: true)
        for step in 1...3 { u.step = step; p.update(u) }
        p.finish()
        XCTAssertEqual(plain, "")
        var terminal = ""
        let t = ProgressPrinter(inPlace: true) { terminal += $0 }
        u.step = 1; t.update(u)
        XCTAssertEqual(terminal, "", "nothing before the delay")
        Thread.sleep(forTimeInterval: ProgressPrinter.transientDelay + 0.05)
        u.step = 2; t.update(u)
        // Work without epochs: its label, the bar and the part done (2 of 3: 66%).
        XCTAssertTrue(terminal.hasPrefix("\r\u{1B}[Kevaluating ens  ["), terminal)
        XCTAssertTrue(terminal.hasSuffix("]  66%"), terminal)
        t.finish()
        XCTAssertTrue(terminal.hasSuffix("\r\u{1B}[K"), "the line is erased, no newline left: \(terminal.debugDescription)")
        XCTAssertFalse(terminal.contains("\n"))
    }
}
