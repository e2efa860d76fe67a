import Core
import Foundation
import XCTest
import NN
@testable import Lang

/// A tiny ViT on a slice of the digits: fast enough for every test.
let tinySetup = """
let digits = dataset("digits")
let train = digits[0..<160]
let test = digits[1600..<1700]
let base = vit(image: 8, patch: 4, dim: 16, depth: 1, heads: 2, classes: 10, seed: 1)
"""

/// A session with the tiny setup already run; returns it and its output buffer reader.
func tinySession(_ extra: String = "") throws -> (Session, () -> String) {
    final class Buffer { var text = "" }
    let buffer = Buffer()
    let session = Session(context: Context(output: { buffer.text += $0 }))
    try session.runSource(tinySetup + "\n" + extra, name: "tiny.lora")
    return (session, { buffer.text })
}

/// Models and ensembles in the language: building, training, evaluation, files.
final class DomainModelTests: XCTestCase {
    func testViTParametersMatchAnIndependentCount() throws {
        let out = try runScript(tinySetup + "\nprint(base.params, base.trainable, base.frozen, type(base))")
        // patch embedding (16*16 + 16), cls 16, pos 5*16, one block:
        // 2 LayerNorms (4*16), q,k,v,o (4*(16*16+16)), MLP (16*64+64 + 64*16+16), final norm 32, head 16*10+10
        let d = 16, mlp = 64, tokens = 5
        let expected = (16 * d + d) + d + tokens * d + 4 * d + 4 * (d * d + d) + (d * mlp + mlp + mlp * d + d) + 2 * d + (d * 10 + 10)
        XCTAssertEqual(out, "\(expected) \(expected) 0 Model\n")
    }

    func testLoRAEnsembleTrainableIsMembersTimesAdaptersAndHead() throws {
        let out = try runScript(tinySetup + """

        let ens = lora_ensemble(base, members: 3, rank: 2)
        print(ens.params, ens.trainable, ens.frozen, base.params, type(ens), ens.members)
        """)
        let parts = out.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        let d = 16, r = 2, m = 3
        let perMember = 4 * (r * d + d * r) + (d * 10 + 10)          // q, k, v, o adapters in 1 layer + head
        XCTAssertEqual(Int(parts[1]), m * perMember)
        XCTAssertEqual(parts[2], parts[3], "the backbone is frozen and counted once")
        XCTAssertEqual(parts[4], "Ensemble")
        XCTAssertEqual(parts[5], "3")
    }

    func testEnsembleEchoShowsTotalTrainableFrozen() throws {
        let (s, _) = try tinySession("let ens = lora_ensemble(base, members: 4, rank: 2)")
        let echo = try runREPL(["ens"], session: s)
        XCTAssertTrue(echo.contains("total"), echo)
        XCTAssertTrue(echo.contains("trainable"), echo)
        XCTAssertTrue(echo.contains("frozen"), echo)
        XCTAssertTrue(echo.contains("adapters"), echo)
        XCTAssertTrue(echo.contains("rank 2 on q,k,v,o"), echo)
        XCTAssertTrue(echo.contains("not trained yet"), echo)
    }

    func testFitEvaluatePredictUncertainty() throws {
        let (s, output) = try tinySession("""
        base.fit(train, epochs: 2, lr: 3e-3, batch: 16, seed: 1)
        let r = base.evaluate(test, bins: 10)
        let preds = base.predict(test)
        let correct = 0
        for (p, y) in zip(preds, test.labels) { if p == y { correct = correct + 1 } }
        print(r.accuracy == float(correct) / test.count, r.bins, r.samples, len(r.members))
        let p = base.predict(test[4])
        print(p.class == preds[4], abs(sum(p.probabilities) - 1) < 1e-6, p.label)
        let u = base.uncertainty(test[0..<12])
        print(u.count, abs(u.total[0] - u.aleatoric[0] - u.epistemic[0]) < 1e-9, u.epistemic[0])
        print(base.history.epochs, len(base.history.loss))
        """)
        let lines = output().split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasPrefix("trained ViT for 2 epochs (20 steps)"), lines[0])
        XCTAssertEqual(lines[1], "true 10 100 1")
        XCTAssertEqual(lines[2], "true true \(try runScript("print(dataset(\"digits\")[1604].label)").trimmingCharacters(in: .newlines))")
        XCTAssertEqual(lines[3], "12 true 0.0", "a single network has no epistemic part")
        XCTAssertEqual(lines[4], "2 2")
        // Rows are most uncertain first.
        let totals = try runREPL(["base.uncertainty(test).total"], session: s)
        let values = totals.dropFirst().dropLast(2).split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        XCTAssertEqual(values.count, 100)
        XCTAssertEqual(values, values.sorted(by: >))
        let table = try runREPL(["base.uncertainty(test[0..<30])"], session: s)
        XCTAssertTrue(table.contains("aleatoric"), table)
        XCTAssertTrue(table.contains("… 10 more"), table)
        XCTAssertTrue(table.contains("mean"), table)
        let sorted = try runREPL(["base.uncertainty(test).sort(by: \"confidence\").confidence[0] <= base.uncertainty(test).sort(by: \"confidence\").confidence[1]"], session: s)
        XCTAssertEqual(sorted, "true\n")
    }

    func testReportEchoIsATableWithTheBinCount() throws {
        let (s, _) = try tinySession("let ens = lora_ensemble(base, members: 3, rank: 2)")
        let echo = try runREPL(["ens.evaluate(test, bins: 10)"], session: s)
        for word in ["accuracy", "NLL", "ECE", "Brier", "aleatoric", "epistemic", "disagreement", "10 equal-width bins", "member accuracy"] {
            XCTAssertTrue(echo.contains(word), "\(word) missing from\n\(echo)")
        }
    }

    func testEveryEnsembleKindTrainsAndEvaluates() throws {
        let out = try runScript(tinySetup + """

        let small = train[0..<64]
        for m in [single(base), lora_ensemble(base, members: 2, rank: 2), explicit_ensemble(base, members: 2),
                  mc_dropout(base, samples: 3, p: 0.2), batch_ensemble(base, members: 2), snapshot_ensemble(base, cycles: 2)] {
            m.fit(small, epochs: 2, lr: 1e-3, batch: 16, seed: 1)
            let r = m.evaluate(test)
            print(m.kind, m.members, len(r.members), r.accuracy >= 0 and r.accuracy <= 1)
        }
        """)
        let lines = out.split(separator: "\n").filter { !$0.hasPrefix("trained") }.map(String.init)
        XCTAssertEqual(lines, ["single network 1 1 true", "LoRA-Ensemble 2 2 true", "explicit ensemble 2 2 true",
                               "MC dropout 3 3 true", "BatchEnsemble 2 2 true", "snapshot ensemble 2 2 true"])
    }

    func testSameSeedSameNumbers() throws {
        let code = tinySetup + """

        base.fit(train, epochs: 1, lr: 1e-3, seed: 5)
        let ens = lora_ensemble(base, members: 2, rank: 2, seed: 3)
        ens.fit(train, epochs: 1, lr: 1e-3, seed: 5)
        print(ens.evaluate(test).nll)
        """
        let a = try runScript(code), b = try runScript(code)
        XCTAssertEqual(a.split(separator: "\n").last, b.split(separator: "\n").last)
        XCTAssertNotNil(Double(String(a.split(separator: "\n").last ?? "")))
    }

    func testAugmentationIsSeededAndChangesTraining() throws {
        func nll(_ augment: Bool) throws -> String {
            try runScript(tinySetup + "\nbase.fit(train, epochs: 2, lr: 3e-3, seed: 4, augment: \(augment))\nprint(base.evaluate(test).nll)")
                .split(separator: "\n").last.map(String.init) ?? ""
        }
        let plain = try nll(false), a = try nll(true), b = try nll(true)
        XCTAssertEqual(a, b, "same seed, same augmented batches")
        XCTAssertNotEqual(a, plain, "augmentation changes what the model sees")
    }

    func testModelErrors() throws {
        var e = scriptError("vit(image: 8, patch: 3)")
        XCTAssertTrue(e?.message.contains("patch 3 does not divide the image side 8") ?? false, e?.message ?? "")
        XCTAssertEqual(e?.remedy, "choose a patch among 1, 2, 4, 8")
        e = scriptError("vit(dim: 16, heads: 3)")
        XCTAssertTrue(e?.message.contains("3 heads do not divide dim 16") ?? false)
        e = scriptError("vit(dim: 60000, depth: 500)")
        XCTAssertEqual(e?.kind, .limit)
        e = scriptError("vit(image: 256, patch: 1)")
        XCTAssertEqual(e?.kind, .limit)
        XCTAssertTrue(e?.remedy?.contains("larger patch") ?? false)
        e = scriptError("vit(depth: 0)")
        XCTAssertTrue(e?.message.contains("depth must be at least 1") ?? false)
        e = scriptError(tinySetup + "\nlora_ensemble(train)")
        XCTAssertTrue(e?.message.contains("needs a backbone Model") ?? false, e?.message ?? "")
        XCTAssertEqual(e?.location?.line, 5)
        e = scriptError(tinySetup + "\nlora_ensemble(lora_ensemble(base, members: 2), members: 2)")
        XCTAssertTrue(e?.remedy?.contains("not on another ensemble") ?? false)
        e = scriptError(tinySetup + "\nlora_ensemble(base, rank: 99)")
        XCTAssertTrue(e?.message.contains("rank 99 exceeds the model width 16") ?? false)
        e = scriptError(tinySetup + "\nlora_ensemble(base, targets: [\"q\", \"x\"])")
        XCTAssertTrue(e?.message.contains("\"x\"") ?? false)
        e = scriptError(tinySetup + "\nlora_ensemble(base, init: \"gausian\")")
        XCTAssertEqual(e?.remedy, "did you mean 'gaussian'?")
        e = scriptError(tinySetup + "\nbase.fit(train, epochs: 0)")
        XCTAssertTrue(e?.message.contains("epochs must be at least 1") ?? false)
        e = scriptError(tinySetup + "\nbase.fit(train, lr: -1)")
        XCTAssertTrue(e?.message.contains("learning rate") ?? false)
        e = scriptError(tinySetup + "\nbase.fit(42)")
        XCTAssertEqual(e?.kind, .type)
        XCTAssertTrue(e?.message.contains("must be a Dataset") ?? false, e?.message ?? "")
        e = scriptError(tinySetup + "\nbase.fit(digits.resize(to: 4))")
        XCTAssertTrue(e?.message.contains("1x4x4 but the model expects 1x8x8") ?? false, e?.message ?? "")
        e = scriptError(tinySetup + "\nbase.evaluate(test, bins: 0)")
        XCTAssertTrue(e?.message.contains("bins") ?? false)
        e = scriptError(tinySetup + "\nbase.predict(3)")
        XCTAssertEqual(e?.kind, .type)
        e = scriptError(tinySetup + "\nbase.uncertainty(test, sort: \"epistemik\")")
        XCTAssertEqual(e?.remedy, "did you mean 'epistemic'?")
    }

    /// A reporter that presses Ctrl-C (sets the flag) at its `stopAt`-th update.
    final class StopAfter: ProgressReporter {
        let context: () -> Context?
        let stopAt: Int
        var updates = 0
        init(_ stopAt: Int, _ context: @escaping () -> Context?) { self.stopAt = stopAt; self.context = context }
        func update(_ progress: ProgressEvent) { updates += 1; if updates == stopAt { context()?.cancellation.set() } }
        func finish() {}
    }

    /// At the REPL, Ctrl-C stops fit after the current step, keeps the model as
    /// it then is, and records where: the message, the echo, history and curves.
    func testCtrlCStopsAfterTheCurrentStepAndKeepsTheModel() throws {
        var out = ""
        var ctx: Context? = nil
        // 160 samples in batches of 16: 10 steps per epoch; stop after 2 epochs and 4 steps.
        let reporter = StopAfter(24) { ctx }
        ctx = Context(output: { out += $0 }, isInteractive: true, progress: reporter)
        let session = Session(context: ctx!)
        try session.runSource(tinySetup, name: "stop.lora")
        _ = try session.evaluateEntry("base.fit(train, epochs: 5, batch: 16)")
        // Two lines, each within an 80-column terminal.
        XCTAssertTrue(out.contains("ViT: interrupted in epoch 3 of 5 at step 4 of 10\n  the model is as after step 24 of 50 (2 epochs finished)\n"), out)
        XCTAssertFalse(out.contains("trained ViT for 5 epochs"), out)
        XCTAssertFalse(ctx!.cancellation.isSet, "the flag is consumed by the stop")
        XCTAssertEqual(reporter.updates, 24)
        out = ""
        _ = try session.evaluateEntry("print(base.history.epochs, base.history.interruptions)\nprint(base.evaluate(test).accuracy >= 0)\nbase")
        XCTAssertTrue(out.hasPrefix("2 [\"interrupted in epoch 3 of 5 at step 4 of 10\"]\ntrue\n"), out)
        XCTAssertTrue(out.contains("trained 2 epochs in "), out)
        XCTAssertTrue(out.contains("last fit interrupted in epoch 3 of 5 at step 4 of 10;\n  the model is as after that step"), out)
        out = ""
        _ = try session.evaluateEntry("curves(base).title")
        XCTAssertEqual(out, "\"Training of ViT (interrupted in epoch 3 of 5 at step 4 of 10)\"\n")
        // A fit that then runs to the end clears the "last fit" line, not the record.
        reporter.updates = -1000
        out = ""
        _ = try session.evaluateEntry("base.fit(train, epochs: 1, batch: 16)\nbase")
        XCTAssertFalse(out.contains("last fit interrupted"), out)
        XCTAssertTrue(out.contains("trained 3 epochs"), out)
        out = ""
        _ = try session.evaluateEntry("len(base.history.interruptions)")
        XCTAssertEqual(out, "1\n")
    }

    /// In a script (not at the REPL), Ctrl-C during fit stops the script with an "interrupted" error.
    func testCtrlCDuringFitStopsAScript() throws {
        var out = ""
        var ctx: Context? = nil
        let reporter = StopAfter(3) { ctx }
        ctx = Context(output: { out += $0 }, isInteractive: false, progress: reporter)
        let session = Session(context: ctx!)
        XCTAssertThrowsError(try session.runSource(tinySetup + "\nbase.fit(train, epochs: 5, batch: 16)\nprint(\"carried on\")", name: "stop.lora")) { e in
            XCTAssertEqual((e as? LangError)?.kind, .interrupted)
            XCTAssertEqual((e as? LangError)?.location?.line, 5)
        }
        XCTAssertTrue(out.contains("ViT: interrupted in epoch 1 of 5 at step 3 of 10"), out)
        XCTAssertFalse(out.contains("carried on"), out)
    }

    func testSaveAndLoadRoundTrip() throws {
        let dir = NSTemporaryDirectory() + "lora-domain-model-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try runScript(tinySetup + """

        base.fit(train, epochs: 1, lr: 1e-3, seed: 2)
        let ens = lora_ensemble(base, members: 2, rank: 2, init: "gaussian", seed: 4)
        ens.fit(train, epochs: 1, lr: 1e-3, seed: 2)
        base.save("\(dir)/base.safetensors")
        base.save("\(dir)/base.safetensors")
        ens.save("\(dir)/ens.safetensors")
        let b2 = load_model("\(dir)/base.safetensors")
        let e2 = load_model("\(dir)/ens.safetensors")
        print(base.evaluate(test).nll == b2.evaluate(test).nll, ens.evaluate(test).nll == e2.evaluate(test).nll)
        print(type(b2), type(e2), e2.members, e2.trainable == ens.trainable)
        let d = explicit_ensemble(base, members: 2)
        d.save("\(dir)/deep.safetensors")
        print(load_model("\(dir)/deep.safetensors").evaluate(test).nll == d.evaluate(test).nll)
        let snap = snapshot_ensemble(base, cycles: 2)
        snap.fit(train, epochs: 2, lr: 1e-3, seed: 1)
        snap.save("\(dir)/snap.safetensors")
        let s2 = load_model("\(dir)/snap.safetensors")
        print(s2.members, s2.evaluate(test).nll == snap.evaluate(test).nll)
        """)
        let lines = out.split(separator: "\n").filter { !$0.hasPrefix("trained") }.map(String.init)
        XCTAssertEqual(lines, ["true true", "Model Ensemble 2 true", "true", "2 true"])
        // The file is a valid safetensors: 8-byte header length, JSON header.
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/base.safetensors")))
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any]
        XCTAssertEqual((header?["__metadata__"] as? [String: String])?["kind"], "vit")
        XCTAssertEqual((header?["__metadata__"] as? [String: String])?["config"]?.contains("\"dim\":16"), true)
        XCTAssertEqual((header?["head.weight"] as? [String: Any])?["shape"] as? [Int], [10, 16])
        // Errors: missing file, damaged file, a directory, snapshots.
        var e = scriptError("load_model(\"\(dir)/nope.safetensors\")")
        XCTAssertTrue(e?.message.contains("no such file") ?? false, e?.message ?? "")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/short.safetensors"))
        e = scriptError("load_model(\"\(dir)/short.safetensors\")")
        XCTAssertTrue(e?.message.contains("too short") ?? false, e?.message ?? "")
        try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: dir + "/cut.safetensors"))
        e = scriptError("load_model(\"\(dir)/cut.safetensors\")")
        XCTAssertTrue(e?.message.contains("truncated") ?? false, e?.message ?? "")
        e = scriptError("load_model(\"\(dir)\")")
        XCTAssertTrue(e?.message.contains("is a directory") ?? false, e?.message ?? "")
        e = scriptError(tinySetup + "\nbase.save(\"/nonexistent-dir/b.safetensors\")")
        XCTAssertTrue(e?.message.contains("does not exist") ?? false, e?.message ?? "")
    }
}
