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
