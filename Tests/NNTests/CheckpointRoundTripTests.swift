import Data
import Foundation
@testable import NN
import Tensor
import XCTest

/// Every model kind, on a ViT and on a BERT, comes back from its checkpoint
/// with the same options, summary, history and outputs.
final class CheckpointRoundTripTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nn-roundtrip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    var tinyBertFolder: String { Bundle.module.bundleURL.appendingPathComponent("Fixtures/tiny-bert").path }

    func textData() throws -> Dataset {
        let texts = ["the wheat harvest was good", "corn prices fell sharply", "grain exports rose",
                     "a quiet day on the market", "wheat and corn", "prices rose again"]
        return try Dataset(name: "texts", texts: texts, labels: [0, 1, 0, 1, 0, 1], classNames: ["grain", "other"])
    }

    /// Models of every kind, with options away from the defaults, on `base`.
    func everyKind(_ base: Backbone) throws -> [EnsembleModel] {
        [
            try SingleNetwork(backbone: base, seed: 11),
            try LoRAEnsemble(backbone: base, options: LoRAOptions(members: 3, rank: 2, targets: [.q, .o], initA: .xavierUniform(gain: 2),
                                                                  alpha: 4, copyHead: true, seed: 5, layers: 1..<2)),
            try LoRAEnsemble(backbone: base, options: LoRAOptions(members: 1, rank: 1, initA: .gaussian(std: 0.05), seed: 9)),
            try LoRAEnsemble(backbone: base, options: LoRAOptions(members: 2, rank: 2, initA: .kaimingUniform)),
            try ExplicitEnsemble(backbone: base, members: 2, seed: 3),
            try MCDropout(backbone: base, p: 0.3, samples: 2, seed: 5),
            try SnapshotEnsemble(backbone: base, cycles: 2, seed: 4),
            try BatchEnsemble(backbone: base, options: BatchEnsembleOptions(members: 2, targets: [.v], factorStd: 0.2, trainShared: false, seed: 6)),
        ]
    }

    func roundTrip(_ models: [EnsembleModel], data: Dataset, tag: String) throws {
        for (i, m) in models.enumerated() {
            try m.fit(data, config: TrainConfig(epochs: 2, batchSize: 3, learningRate: 1e-3))
            let path = dir.appendingPathComponent("\(tag)-\(i).safetensors").path
            try Checkpoint.save(m, to: path)
            let loaded = try Checkpoint.open(path)
            guard case .ensemble(let back) = loaded.model else { return XCTFail("\(m.kind) loaded as a backbone") }
            let what = "\(tag) \(m.kind.rawValue)"
            XCTAssertEqual(back.kind, m.kind, what)
            XCTAssertEqual(back.summary(), m.summary(), what)
            XCTAssertEqual(back.summary().description, m.summary().description, what)
            XCTAssertEqual(back.history, m.history, what)
            XCTAssertEqual(loaded.history, m.history, what)
            XCTAssertEqual(back.history.count, m is ExplicitEnsemble ? 4 : 2, what)
            XCTAssertEqual(try back.predict(data), try m.predict(data), what)
            // Options a summary does not show travel too.
            switch (m, back) {
            case let (a as LoRAEnsemble, b as LoRAEnsemble): XCTAssertEqual(a.options, b.options, what)
            case let (a as BatchEnsemble, b as BatchEnsemble): XCTAssertEqual(a.network.options, b.network.options, what)
            case let (a as ExplicitEnsemble, b as ExplicitEnsemble): XCTAssertEqual(a.seed, b.seed, what)
            case let (a as MCDropout, b as MCDropout): XCTAssertEqual([a.seed, UInt64(a.samples)], [b.seed, UInt64(b.samples)], what); XCTAssertEqual(a.p, b.p)
            case let (a as SnapshotEnsemble, b as SnapshotEnsemble):
                XCTAssertEqual(a.seed, b.seed, what); XCTAssertEqual(a.cycles, b.cycles); XCTAssertEqual(b.snapshots.count, 2)
            case let (a as SingleNetwork, b as SingleNetwork): XCTAssertEqual(a.seed, b.seed, what)
            default: XCTFail("\(what) came back as \(type(of: back))")
            }
            // Saving the loaded model again gives the same file.
            let again = dir.appendingPathComponent("\(tag)-\(i)-again.safetensors").path
            try Checkpoint.save(back, to: again)
            XCTAssertEqual(FileManager.default.contents(atPath: again), FileManager.default.contents(atPath: path), what)
        }
    }

    func testEveryKindOnAViTRoundTrips() throws {
        try roundTrip(everyKind(ViT(tinyConfig, seed: 8)), data: syntheticData(count: 6), tag: "vit")
    }

    func testEveryKindOnABertRoundTrips() throws {
        let bert = try BertFiles.load(tinyBertFolder, classes: 2, maxTokens: 16)
        try roundTrip(everyKind(bert), data: textData(), tag: "bert")
    }

    func testBackbonesRoundTripWithTheirHistory() throws {
        let data = try syntheticData(count: 6)
        let vit = try ViT(tinyConfig, seed: 8)
        let trainer = SingleNetwork(training: vit)
        try trainer.fit(data, config: TrainConfig(epochs: 3, batchSize: 3, learningRate: 1e-3))
        let path = dir.appendingPathComponent("vit.safetensors").path
        try Checkpoint.save(vit, to: path, history: trainer.history, notes: ["label": "ViT"])
        let loaded = try Checkpoint.open(path)
        guard case .backbone(let b) = loaded.model, let v = b as? ViT else { return XCTFail("ViT loaded as an ensemble") }
        XCTAssertEqual(v.config, vit.config)
        XCTAssertEqual(v.parameters().map { $0.data }, vit.parameters().map { $0.data })
        XCTAssertEqual(loaded.history, trainer.history)
        XCTAssertEqual(loaded.history.count, 3)
        XCTAssertEqual(loaded.notes, ["label": "ViT"])

        let bert = try BertFiles.load(tinyBertFolder, classes: 2, maxTokens: 16)
        let bpath = dir.appendingPathComponent("bert.safetensors").path
        try Checkpoint.save(bert, to: bpath)
        guard case .backbone(let bb) = try Checkpoint.load(bpath), let t = bb as? Bert else { return XCTFail("BERT loaded as an ensemble") }
        XCTAssertEqual(t.config, bert.config)
        let texts = try textData()
        XCTAssertEqual(try t.logits(.texts(texts.texts!)).data, try bert.logits(.texts(texts.texts!)).data)
    }

    /// The counts `plannedParameters` gives before allocating are the counts the models have.
    func testPlannedParametersAreExact() throws {
        for base in [try ViT(tinyConfig, seed: 1) as Backbone, try BertFiles.load(tinyBertFolder, classes: 2, maxTokens: 16)] {
            for m in try everyKind(base) {
                try m.fit(base is ViT ? syntheticData(count: 6) : textData(), config: TrainConfig(epochs: 1, batchSize: 3, learningRate: 1e-3))
                let path = dir.appendingPathComponent("planned.safetensors").path
                try Checkpoint.save(m, to: path)
                let contents = try SafeTensors.contents(path)
                let md = CheckpointMetadata(values: contents.metadata, path: path)
                let family = Checkpoint.backbones.first { $0.family == contents.metadata["backbone"] }!
                let tensors = try CheckpointNames.internalTensors(contents.tensors, family: family.family, md: md)
                let backbone = try family.plannedParameters(md)
                XCTAssertEqual(backbone, Double(base.parameterCount), "\(base.architecture.family)")
                let kind = Checkpoint.kinds.first { $0.checkpointKinds.contains(m.kind) }!
                let planned = try kind.plannedParameters(md, tensors: tensors, backbone: backbone)
                XCTAssertEqual(planned, Double(m.namedParameters().reduce(0) { $0 + $1.tensor.count }), "\(m.kind)")
            }
        }
    }

    /// The file's names are those other tools know: timm's for a ViT, the
    /// Hugging Face file's for a BERT, PEFT-style adapters per member, heads per member.
    func testFilesUseTimmHuggingFaceAndPEFTNames() throws {
        let vit = try ViT(tinyConfig, seed: 1)
        let ens = try LoRAEnsemble(backbone: vit, options: LoRAOptions(members: 3, rank: 2))
        let path = dir.appendingPathComponent("names.safetensors").path
        try Checkpoint.save(ens, to: path)
        let t = try SafeTensors.contents(path).tensors
        let d = tinyConfig.dim
        XCTAssertEqual(t["backbone.patch_embed.proj.weight"]?.shape, [d, 1, 4, 4])
        XCTAssertEqual(t["backbone.cls_token"]?.shape, [1, 1, d])
        XCTAssertEqual(t["backbone.pos_embed"]?.shape, [1, 5, d])
        XCTAssertEqual(t["backbone.blocks.1.norm1.weight"]?.shape, [d])
        XCTAssertEqual(t["backbone.blocks.1.attn.proj.bias"]?.shape, [d])
        XCTAssertEqual(t["backbone.blocks.0.mlp.fc1.weight"]?.shape, [32, d])
        XCTAssertEqual(t["backbone.norm.weight"]?.shape, [d])
        XCTAssertEqual(t["backbone.blocks.1.attn.proj.lora_A.member2.weight"]?.shape, [2, d])
        XCTAssertEqual(t["backbone.blocks.0.attn.q.lora_B.member0.weight"]?.shape, [d, 2])
        XCTAssertEqual(t["heads.2.weight"]?.shape, [3, d])
        XCTAssertEqual(t["heads.0.bias"]?.shape, [3])
        XCTAssertEqual(try ens.network.adapters[1][.o]!.a.select(axis: 0, index: 2).data, t["backbone.blocks.1.attn.proj.lora_A.member2.weight"]?.data)
        XCTAssertFalse(t.keys.contains { $0.hasPrefix("lora.") || $0.contains(".ln1.") || $0 == "heads.weight" }, "\(t.keys.sorted())")

        let bert = try BertFiles.load(tinyBertFolder, classes: 2, maxTokens: 16)
        let bens = try LoRAEnsemble(backbone: bert, options: LoRAOptions(members: 2, rank: 2))
        let bpath = dir.appendingPathComponent("bert-names.safetensors").path
        try Checkpoint.save(bens, to: bpath)
        let bt = try SafeTensors.contents(bpath).tensors
        XCTAssertEqual(bt["backbone.encoder.layer.1.attention.self.query.lora_A.member1.weight"]?.shape, [2, 16])
        XCTAssertEqual(bt["backbone.encoder.layer.0.attention.output.dense.lora_B.member0.weight"]?.shape, [16, 2])
        XCTAssertEqual(bt["backbone.embeddings.word_embeddings.weight"]?.shape, [34, 16])
    }

    /// Files of the first format (no history, no seeds; init as text) still load.
    func testFirstFormatStillLoads() throws {
        let base = try ViT(tinyConfig, seed: 8)
        let m = try LoRAEnsemble(backbone: base, options: LoRAOptions(members: 2, rank: 2, initA: .xavierUniform(gain: 2)))
        let md = ["format": "lora-checkpoint-1", "backbone": "vit", "config": Checkpoint.json(tinyConfig), "kind": "LoRA-Ensemble",
                  "members": "2", "rank": "2", "targets": "q,k,v,o", "alpha": "none", "copyHead": "false", "init": "xavier_uniform(gain: 2.0)"]
        let path = dir.appendingPathComponent("v1.safetensors").path
        try SafeTensors.write(m.namedParameters(), metadata: md, to: path)
        guard case .ensemble(let back as LoRAEnsemble) = try Checkpoint.load(path) else { return XCTFail("not a LoRA-Ensemble") }
        XCTAssertEqual(back.options, m.options)
        XCTAssertEqual(back.summary(), m.summary())
    }
}
