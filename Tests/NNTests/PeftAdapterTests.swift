import Core
import Foundation
@testable import NN
import Tensor
import XCTest

/// export_peft / import_peft on the Swift side: an export imports back with
/// identical logits and options; damaged or foreign PEFT folders give errors
/// naming the file and the remedy, and never crash.
final class PeftAdapterTests: XCTestCase {
    var tinyBertFolder: String { Bundle.module.bundleURL.appendingPathComponent("Fixtures/tiny-bert").path }
    let texts = ["wheat and corn prices rose", "the committee met", "grain exports fell sharply last week"]
    var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nn-peft-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func ensemble(_ options: LoRAOptions, classes: Int = 3) throws -> LoRAEnsemble {
        let bert = try BertFiles.load(tinyBertFolder, classes: classes, maxTokens: 16, seed: 4)
        let ens = try LoRAEnsemble(backbone: bert, options: options)
        randomizeB(ens.network, seed: 9)
        return ens
    }

    func logits(_ e: LoRAEnsemble) throws -> [Float] {
        try e.network.memberLogits(.texts(texts), context: ForwardContext()).data
    }

    func base(classes: Int = 2) throws -> Bert { try BertFiles.load(tinyBertFolder, classes: classes, maxTokens: 16, seed: 1) }

    func testExportThenImportGivesIdenticalLogitsAndOptions() throws {
        let cases: [(String, LoRAOptions)] = [
            ("paper", LoRAOptions(members: 3, rank: 2, seed: 1)),
            ("alpha-layers-targets", LoRAOptions(members: 2, rank: 3, targets: [.q, .v, .o], alpha: 6, seed: 2, layers: 1..<2)),
        ]
        for (name, options) in cases {
            let ens = try ensemble(options)
            let out = try PeftAdapters.export(ens, to: dir + "/" + name)
            XCTAssertEqual(out.members.count, options.members)
            // PEFT's layout and names.
            let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out.members[1] + "/adapter_config.json"))) as! [String: Any]
            XCTAssertEqual(config["peft_type"] as? String, "LORA")
            XCTAssertEqual(config["r"] as? Int, options.rank)
            XCTAssertEqual((config["lora_alpha"] as? NSNumber)?.doubleValue ?? 0, Double(options.scale) * Double(options.rank), accuracy: 1e-6)
            XCTAssertEqual(config["base_model_name_or_path"] as? String, out.baseModel)
            let adapted = (options.layers ?? 0..<2).count * options.targets.count
            XCTAssertEqual((config["target_modules"] as? [String])?.count, adapted)
            let tensors = try SafeTensors.read(out.members[1] + "/adapter_model.safetensors")
            XCTAssertEqual(tensors.order.count, 2 * adapted)
            let q = "base_model.model.encoder.layer.1.attention.self.query"
            XCTAssertEqual(tensors.tensors[q + ".lora_A.weight"]?.shape, [options.rank, 16])
            XCTAssertEqual(tensors.tensors[q + ".lora_B.weight"]?.shape, [16, options.rank])
            // Member 1's B, exactly as it is in the ensemble.
            let b = ens.network.adapters[1][.q]!.b.data
            XCTAssertEqual(tensors.tensors[q + ".lora_B.weight"]?.data, Array(b[(16 * options.rank)..<(32 * options.rank)]))
            XCTAssertEqual(try SafeTensors.read(out.members[0] + "/head.safetensors").tensors["weight"]?.shape, [3, 16])

            // Back, on a base with another head size: the heads bring their classes.
            let back = try PeftAdapters.load(out.members, base: base(classes: 2))
            XCTAssertEqual(back.options.members, options.members, name)
            XCTAssertEqual(back.options.rank, options.rank, name)
            XCTAssertEqual(back.options.targets, options.targets, name)
            XCTAssertEqual(back.options.layers, options.layers, name)
            XCTAssertEqual(back.options.scale, options.scale, name)
            XCTAssertEqual(back.architecture.classes, 3)
            XCTAssertEqual(try logits(back), try logits(ens), name)
        }
    }

    func testTheExportedBaseModelIsTheEnsemblesBackbone() throws {
        let ens = try ensemble(LoRAOptions(members: 2, rank: 2, seed: 3))
        let out = try PeftAdapters.export(ens, to: dir + "/e")
        for f in ["config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "1_Pooling/config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.baseModel + "/" + f), f)
        }
        let reread = try BertFiles.load(out.baseModel, classes: 3, maxTokens: 16)
        XCTAssertEqual(reread.config, (ens.baseBackbone as! Bert).config)
        XCTAssertEqual(reread.tokenizer.settings, (ens.baseBackbone as! Bert).tokenizer.settings)
        for (x, y) in zip(reread.namedParameters(), ens.baseBackbone.namedParameters()) where !x.name.hasPrefix("head.") {
            XCTAssertEqual(x.name, y.name)
            XCTAssertEqual(x.tensor.data, y.tensor.data, x.name)
        }
        XCTAssertEqual(try SafeTensors.contents(out.baseModel + "/model.safetensors").metadata["format"], "pt")
        // Importing onto the exported base gives the same logits again.
        XCTAssertEqual(try logits(PeftAdapters.load(out.members, base: reread)), try logits(ens))
    }

    func testAnExportNeverMixesWithAnEarlierLargerOne() throws {
        try PeftAdapters.export(try ensemble(LoRAOptions(members: 3, rank: 2, seed: 1)), to: dir + "/e")
        let two = try ensemble(LoRAOptions(members: 2, rank: 2, seed: 2))
        XCTAssertThrowsError(try PeftAdapters.export(two, to: dir + "/e")) { e in
            XCTAssertTrue("\(e)".contains("member2 from an earlier export"), "\(e)")
        }
        // Exporting the same ensemble again replaces its files.
        let four = try ensemble(LoRAOptions(members: 4, rank: 2, seed: 3))
        let out = try PeftAdapters.export(four, to: dir + "/e")
        XCTAssertEqual(try logits(PeftAdapters.load(out.members, base: base())), try logits(four))
    }

    func testWithoutHeadFilesEveryMemberStartsWithTheBasesHead() throws {
        let ens = try ensemble(LoRAOptions(members: 2, rank: 2, seed: 3))
        let out = try PeftAdapters.export(ens, to: dir + "/e")
        for m in out.members { try FileManager.default.removeItem(atPath: m + "/head.safetensors") }
        let b = try base(classes: 2)
        let back = try PeftAdapters.load(out.members, base: b)
        XCTAssertTrue(back.options.copyHead)
        XCTAssertEqual(back.network.heads.weight.data, b.head.weight.data + b.head.weight.data)
    }

    func testAViTEnsembleIsRefusedWithWhatIsSupported() throws {
        let ens = try LoRAEnsemble(backbone: try ViT(tinyConfig, seed: 1), options: LoRAOptions(members: 2, rank: 2))
        XCTAssertThrowsError(try PeftAdapters.export(ens, to: dir + "/vit")) { e in
            XCTAssertTrue("\(e)".contains("BERT-family"), "\(e)")
            XCTAssertTrue("\(e)".contains("torch_lora_ensemble.py"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/vit"))
        XCTAssertThrowsError(try PeftAdapters.load([dir], base: try ViT(tinyConfig, seed: 1))) { e in
            XCTAssertTrue("\(e)".contains("BERT-family"), "\(e)")
        }
    }

    // MARK: damaged and foreign folders

    /// A fresh export of 2 members (rank 2, every projection of both layers).
    func fresh(_ name: String, rank: Int = 2, targets: Set<Projection> = Set(Projection.allCases)) throws -> [String] {
        try PeftAdapters.export(try ensemble(LoRAOptions(members: 2, rank: rank, targets: targets, seed: 5)), to: dir + "/" + name).members
    }

    func editConfig(_ folder: String, _ change: (inout [String: Any]) -> Void) throws {
        let path = folder + "/adapter_config.json"
        var o = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        change(&o)
        try JSONSerialization.data(withJSONObject: o).write(to: URL(fileURLWithPath: path))
    }

    func editTensors(_ path: String, _ change: (inout [(name: String, tensor: Tensor)]) throws -> Void) throws {
        let r = try SafeTensors.read(path)
        var list = r.order.map { (name: $0, tensor: r.tensors[$0]!) }
        try change(&list)
        try SafeTensors.write(list, metadata: r.metadata, to: path)
    }

    func expectError(_ folders: [String], _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertThrowsError(try PeftAdapters.load(folders, base: base()), file: file, line: line) { e in
            for f in fragments { XCTAssertTrue("\(e)".contains(f), "expected '\(f)' in: \(e)", file: file, line: line) }
        }
    }

    func testMissingAndUnreadableFilesNameTheFileAndTheRemedy() throws {
        var m = try fresh("noconfig")
        try FileManager.default.removeItem(atPath: m[1] + "/adapter_config.json")
        try expectError(m, [m[1] + "/adapter_config.json", "is missing", "save_pretrained"])

        m = try fresh("badjson")
        try Data("{r: 2".utf8).write(to: URL(fileURLWithPath: m[0] + "/adapter_config.json"))
        try expectError(m, ["adapter_config.json", "not a JSON object"])

        m = try fresh("noweights")
        try FileManager.default.moveItem(atPath: m[0] + "/adapter_model.safetensors", toPath: m[0] + "/adapter_model.bin")
        try expectError(m, ["adapter_model.safetensors", "adapter_model.bin only", "pickle"])

        try expectError([dir + "/nowhere"], ["nowhere", "is not a folder"])

        m = try fresh("garbage")
        try Data((0..<64).map { UInt8($0 * 7 % 256) }).write(to: URL(fileURLWithPath: m[0] + "/adapter_model.safetensors"))
        try expectError(m, ["adapter_model.safetensors"])

        // A weights file larger than any adapters of this base could be is refused before it is read.
        m = try fresh("huge")
        let h = FileHandle(forWritingAtPath: m[0] + "/adapter_model.safetensors")!
        h.truncateFile(atOffset: 1 << 30)
        h.closeFile()
        try expectError(m, ["adapter_model.safetensors", "bytes, more than rank-2 adapters"])
    }

    func testWrongRankShapesAndTargetsAreCaught() throws {
        var m = try fresh("rank")
        try editConfig(m[1]) { $0["r"] = 3 }
        try expectError(m, [m[1] + "/adapter_model.safetensors", "r = 3", "do not belong together"])

        m = try fresh("rank-zero")
        try editConfig(m[0]) { $0["r"] = 0 }
        try expectError(m, ["'r' is 0", "integer rank"])

        m = try fresh("shape")
        try editTensors(m[0] + "/adapter_model.safetensors") { list in
            list[0].tensor = try Tensor(shape: [2, 8], data: [Float](repeating: 0.1, count: 16))
        }
        try expectError(m, ["has shape [2, 8]", "hidden size is 16"])

        m = try fresh("unknown-target")
        try editTensors(m[0] + "/adapter_model.safetensors") { list in
            list.append((name: "base_model.model.encoder.layer.0.intermediate.dense.lora_A.weight", tensor: Tensor.zeros([2, 16])))
        }
        try expectError(m, ["encoder.layer.0.intermediate.dense", "not one of the attention projections"])

        m = try fresh("saved-module")
        try editTensors(m[0] + "/adapter_model.safetensors") { list in
            list.append((name: "base_model.model.classifier.modules_to_save.weight", tensor: Tensor.zeros([2, 16])))
        }
        try expectError(m, ["modules_to_save"])

        m = try fresh("deep")
        try editTensors(m[0] + "/adapter_model.safetensors") { list in
            list.append((name: "base_model.model.encoder.layer.7.attention.self.query.lora_A.weight", tensor: Tensor.zeros([2, 16])))
        }
        try expectError(m, ["encoder layer 7", "2 layers"])

        m = try fresh("half")
        try editTensors(m[0] + "/adapter_model.safetensors") { list in list.removeAll { $0.name.hasSuffix("layer.0.attention.self.key.lora_B.weight") } }
        try expectError(m, ["encoder.layer.0.attention.self.key", "not its lora_B"])

        m = try fresh("dup")
        try editTensors(m[0] + "/adapter_model.safetensors") { list in
            let a = list.first { $0.name.hasSuffix("layer.0.attention.self.key.lora_A.weight") }!
            list.append((name: "encoder.layer.0.attention.self.key.lora_A.weight", tensor: a.tensor))
        }
        try expectError(m, ["twice"])
    }

    func testConfigsLoraCannotHonourAreRefused() throws {
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            ("dora", { $0["use_dora"] = true }, "use_dora"),
            ("ia3", { $0["peft_type"] = "IA3" }, "peft_type"),
            ("bias", { $0["bias"] = "all" }, "bias \"all\""),
            ("pattern", { $0["rank_pattern"] = ["query": 4] }, "rank_pattern"),
            ("alpha", { $0["lora_alpha"] = -1 }, "'lora_alpha'"),
            ("fan", { $0["fan_in_fan_out"] = true }, "fan_in_fan_out"),
        ]
        for (name, change, fragment) in cases {
            let m = try fresh(name)
            try editConfig(m[0], change)
            try expectError(m, [m[0] + "/adapter_config.json", fragment])
        }
        // rsLoRA scales by alpha / sqrt(r): taken into lora's alpha, not refused.
        let m = try fresh("rslora")
        for f in m { try editConfig(f) { $0["use_rslora"] = true; $0["lora_alpha"] = 4 } }
        XCTAssertEqual(try PeftAdapters.load(m, base: base()).options.scale, 4 / Float(2).squareRoot(), accuracy: 1e-6)
    }

    func testMembersMustShareRankTargetsAndHeads() throws {
        let a = try fresh("a"), b = try fresh("b", rank: 3), c = try fresh("c", targets: [.q, .v])
        try expectError([a[0], b[0]], [b[0] + "/adapter_config.json", "r = 3", "share one rank"])
        try expectError([a[0], c[0]], ["adapt the same modules"])
        try FileManager.default.removeItem(atPath: a[1] + "/head.safetensors")
        try expectError(a, [a[1] + "/head.safetensors", "is missing"])
        let d = try fresh("d")
        try editTensors(d[0] + "/head.safetensors") { list in list[0].tensor = Tensor.zeros([3, 5]) }
        try expectError(d, ["head.safetensors", "weight [classes, 16]"])
        // Layer 0 with q, k, v, o but layer 1 with q only: not targets x layers.
        let e = try fresh("e")
        for f in e {
            try editTensors(f + "/adapter_model.safetensors") { list in
                list.removeAll { $0.name.contains("layer.1.") && !$0.name.contains("self.query") }
            }
        }
        try expectError(e, ["contiguous range"])
    }

    /// Thousands of mutated adapter files and configs: errors or models, never a crash.
    func testMutatedFoldersNeverCrash() throws {
        let m = try fresh("fuzz")
        let weights = try Data(contentsOf: URL(fileURLWithPath: m[0] + "/adapter_model.safetensors"))
        let config = try Data(contentsOf: URL(fileURLWithPath: m[0] + "/adapter_config.json"))
        let b = try base()
        var rng = RNG(seed: 77)
        var loaded = 0, refused = 0
        for i in 0..<600 {
            var w = [UInt8](weights), c = [UInt8](config)
            let target = i % 3 == 0 ? 1 : 0   // mostly the weights' header, sometimes the config
            for _ in 0..<(1 + Int(rng.uniform() * 4)) {
                if target == 0 {
                    let at = Int(rng.uniform() * Float(min(w.count, 1200)))
                    w[at] = UInt8(Int(rng.uniform() * 256) & 255)
                } else {
                    let at = Int(rng.uniform() * Float(c.count))
                    c[at] = UInt8(Int(rng.uniform() * 256) & 255)
                }
            }
            if i % 50 == 7 { w = Array(w.prefix(Int(rng.uniform() * Float(w.count)))) }
            try Data(w).write(to: URL(fileURLWithPath: m[0] + "/adapter_model.safetensors"))
            try Data(c).write(to: URL(fileURLWithPath: m[0] + "/adapter_config.json"))
            do { _ = try PeftAdapters.load(m, base: b); loaded += 1 } catch { refused += 1 }
        }
        XCTAssertEqual(loaded + refused, 600)
        XCTAssertGreaterThan(refused, 100)
    }
}
