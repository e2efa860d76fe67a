import Foundation
import XCTest
@testable import Lang

/// `save` then `load_model`: the model shows the same summary (echo), the same
/// history (curves) and the same class names as before saving, for every kind.
final class ModelFileRoundTripTests: XCTestCase {
    func testEveryKindLoadsWithTheSameEchoAndHistory() throws {
        let dir = NSTemporaryDirectory() + "lora-model-files-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (session, _) = try tinySession("base.fit(train, epochs: 2, lr: 1e-3, seed: 2)")
        let kinds = [
            "base",
            "lora_ensemble(base, members: 3, rank: 2, gain: 2, copy_head: true, seed: 4)",
            "lora_ensemble(base, members: 1, rank: 1, init: \"gaussian\", seed: 4)",
            "explicit_ensemble(base, members: 2, seed: 3)",
            "mc_dropout(base, samples: 3, seed: 5)",
            "snapshot_ensemble(base, cycles: 2, seed: 6)",
            "batch_ensemble(base, members: 2, seed: 7)",
            "single(base, seed: 8)",
        ]
        for (i, make) in kinds.enumerated() {
            let file = "\(dir)/m\(i).safetensors"
            let setup = i == 0 ? "let m\(i) = base" : "let m\(i) = \(make)\nm\(i).fit(train, epochs: 2, lr: 1e-3, seed: 1)"
            _ = try runREPL(setup.split(separator: "\n").map(String.init), session: session)
            let before = try runREPL(["m\(i)", "m\(i).history.loss", "m\(i).class_names", "m\(i).train_time"], session: session)
            _ = try runREPL(["m\(i).save(\"\(file)\")", "let back\(i) = load_model(\"\(file)\")"], session: session)
            let after = try runREPL(["back\(i)", "back\(i).history.loss", "back\(i).class_names", "back\(i).train_time"], session: session)
            XCTAssertEqual(after, before, make)
            XCTAssertFalse(before.contains("not trained yet"), make)
            XCTAssertTrue(before.contains("trained 2 epochs") || before.contains("trained 4 epochs"), before)
            if make.contains("gain: 2") { XCTAssertTrue(after.contains("xavier_uniform(gain: 2.0)"), after) }
        }
    }
}

final class SaveAdaptersLanguageTests: XCTestCase {
    func testSaveAdaptersAndLoadModel() throws {
        let dir = NSTemporaryDirectory() + "lora-adapters-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try runScript(tinySetup + """

        let ens = lora_ensemble(base, members: 2, rank: 2, seed: 4)
        ens.fit(train, epochs: 1, lr: 1e-3, seed: 2)
        ens.save_adapters("\(dir)/ens.safetensors")
        let back = load_model("\(dir)/ens.safetensors")
        print(back.evaluate(test).nll == ens.evaluate(test).nll, back.members)
        """)
        XCTAssertTrue(out.hasSuffix("true 2\n"), out)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/ens.backbone.safetensors"))
        let e = scriptError(tinySetup + "\nbase.save_adapters(\"\(dir)/b.safetensors\")")
        XCTAssertTrue(e?.message.contains("needs a LoRA-Ensemble") ?? false, e?.message ?? "")
    }
}

/// `export_peft` and `import_peft` in the language: the round trip gives the
/// same predictions; mistakes name the argument and the remedy.
final class PeftLanguageTests: XCTestCase {
    func testExportPeftThenImportPeftPredictsTheSame() throws {
        let dir = NSTemporaryDirectory() + "lora-peft-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tiny = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("NNTests/Fixtures/tiny-bert").path
        let rows = ["wheat and corn prices rose,1", "the committee met,0", "grain exports fell sharply,1", "a short one,0",
                    "corn and wheat,1", "they met on tuesday,0"]
        try ("text,label\n" + rows.joined(separator: "\n") + "\n").write(toFile: dir + "/t.csv", atomically: true, encoding: .utf8)
        let out = try runScript("""
        let data = load_csv("\(dir)/t.csv", text: "text", label: "label")
        let bert = load_model("\(tiny)", classes: 2, max_tokens: 16)
        let ens = lora_ensemble(bert, members: 3, rank: 2, alpha: 4, layers: 1..<2, seed: 4)
        ens.fit(data, epochs: 2, lr: 5e-2, seed: 2)
        let folders = export_peft(ens, "\(dir)/peft")
        print(len(folders))
        let back = import_peft(folders, base: bert)
        let again = import_peft("\(dir)/peft", base: load_model("\(dir)/peft/base_model", classes: 2, max_tokens: 16))
        print(back.evaluate(data).nll == ens.evaluate(data).nll, again.evaluate(data).nll == ens.evaluate(data).nll, back.members)
        print(back.class_names == data.class_names, len(back.class_names))
        """)
        XCTAssertTrue(out.contains("wrote 3 PEFT adapter folders"), out)
        XCTAssertTrue(out.hasSuffix("3\ntrue true 3\ntrue 2\n"), out)
        for f in ["member2/adapter_config.json", "member2/adapter_model.safetensors", "member2/head.safetensors", "base_model/config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/peft/\(f)"), f)
        }

        var e = scriptError(tinySetup + "\nlet ens = lora_ensemble(base, members: 2, rank: 2)\nexport_peft(ens, \"\(dir)/vit\")")
        XCTAssertTrue(e?.message.contains("BERT-family") ?? false, e?.message ?? "")
        e = scriptError(tinySetup + "\nexport_peft(base, \"\(dir)/vit\")")
        XCTAssertTrue(e?.message.contains("needs a LoRA-Ensemble") ?? false, e?.message ?? "")
        e = scriptError("import_peft([\"\(dir)/nowhere\"], base: load_model(\"\(tiny)\"))")
        XCTAssertTrue(e?.message.contains("is not a folder") ?? false, e?.message ?? "")
        e = scriptError("import_peft(\"\(dir)\", base: load_model(\"\(tiny)\"))")
        XCTAssertTrue(e?.message.contains("holds neither a PEFT adapter") ?? false, e?.message ?? "")
        e = scriptError("import_peft([], base: load_model(\"\(tiny)\"))")
        XCTAssertTrue(e?.message.contains("empty") ?? false, e?.message ?? "")
        e = scriptError("import_peft([\"\(dir)/peft/member0\"])")
        XCTAssertTrue(e?.message.contains("base") ?? false, e?.message ?? "")
    }
}
