import Data
import Foundation
@testable import NN
import Tensor
import XCTest

/// BERT against the independent PyTorch reference of scripts/gen_bert_fixtures.py:
/// hidden states of every layer on a padded batch, both poolings, a
/// LoRA-Ensemble's member logits and two of its training steps; the real
/// all-MiniLM-L6-v2 when it is installed (the test command installs it).
final class BertTests: XCTestCase {
    func fixture(_ name: String, _ ext: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"))
    }
    func reference() throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Foundation.Data(contentsOf: fixture("tiny_bert", "json"))) as? [String: Any])
    }
    func floats(_ a: Any?) -> [Float] { (a as! [NSNumber]).map { $0.floatValue } }
    func ints(_ a: Any?) -> [Int] { (a as! [NSNumber]).map { $0.intValue } }
    var tinyFolder: String { Bundle.module.bundleURL.appendingPathComponent("Fixtures/tiny-bert").path }

    func testHalfAndBrainFloatTensorsAreConvertedOnLoad() throws {
        let c = try SafeTensors.contents(fixture("dtypes", "safetensors").path)
        XCTAssertEqual(c.tensors["half"]?.data, c.tensors["half_as_f32"]?.data)
        XCTAssertEqual(c.tensors["brain"]?.data, c.tensors["brain_as_f32"]?.data)
        XCTAssertEqual(c.tensors["brain"]?.shape, [3, 3])
        XCTAssertNil(c.tensors["ids"])
        XCTAssertEqual(c.skipped.map { $0.name }, ["ids"])
    }

    func testLoadsAModelFolderAndSkipsThePoolerAndPositionIDs() throws {
        let bert = try BertFiles.load(tinyFolder, classes: 3)
        XCTAssertEqual(bert.config.layers, 2)
        XCTAssertEqual(bert.config.hidden, 16)
        let names = Set(bert.namedParameters().map { $0.name })
        XCTAssertTrue(names.contains("embeddings.word_embeddings.weight"))
        XCTAssertTrue(names.contains("encoder.layer.1.attention.self.query.weight"))
        XCTAssertTrue(names.contains("encoder.layer.0.output.LayerNorm.bias"))
        XCTAssertFalse(names.contains { $0.hasPrefix("pooler.") })
    }

    func testHiddenStatesOfEveryLayerMatchPyTorchOnAPaddedBatch() throws {
        let ref = try reference()
        let bert = try BertFiles.load(tinyFolder, classes: 3)
        let ids = ints(ref["ids"]), lengths = ints(ref["lengths"]), t = ref["length"] as! Int
        // The tokenizer gives the ids the reference used.
        let batch = bert.tokenizer.encode(batch: ref["texts"] as! [String], maxLength: 128)
        XCTAssertEqual(batch.ids.map { Int($0) }, ids)
        XCTAssertEqual(batch.lengths, lengths)
        let hidden = ref["hidden"] as! [[NSNumber]]
        try Tensor.noGrad {
            let e = try bert.embed(ids: ids, lengths: lengths, length: t)
            XCTAssertLessThan(maxAbsDiff(e.tokens.data, floats(hidden[0])), 1e-4, "embeddings")
            let ctx = ForwardContext()
            ctx.validTokens = lengths
            var h = e.tokens
            for i in 0..<bert.blocks.count {
                h = try bert.encode(h, layers: i..<(i + 1), context: ctx)
                XCTAssertLessThan(maxAbsDiff(h.data, floats(hidden[i + 1])), 1e-4, "layer \(i)")
            }
            XCTAssertLessThan(maxAbsDiff(try bert.pool(h, validTokens: lengths).data, floats(ref["mean"])), 1e-4)
            let whole = try bert.features(.texts(ref["texts"] as! [String]), context: ForwardContext())
            XCTAssertLessThan(maxAbsDiff(whole.data, floats(ref["mean"])), 1e-4, "mean pooling")
        }
        var cls = bert.config
        cls.pooling = .cls
        let b2 = try bert.copy(config: cls)
        let f = try Tensor.noGrad { try b2.features(.texts(ref["texts"] as! [String]), context: ForwardContext()) }
        XCTAssertLessThan(maxAbsDiff(f.data, floats(ref["cls"])), 1e-4, "[CLS] pooling")
    }

    func testPaddingDoesNotChangeARealTokensVector() throws {
        let bert = try BertFiles.load(tinyFolder, classes: 3)
        let alone = try Tensor.noGrad { try bert.features(.texts(["grain"]), context: ForwardContext()) }
        let padded = try Tensor.noGrad { try bert.features(.texts(["grain", "farmers said the corn crop was good"]), context: ForwardContext()) }
        XCTAssertLessThan(maxAbsDiff(alone.data, Array(padded.data[0..<16])), 1e-5)
    }

    func loraEnsemble(_ ref: [String: Any]) throws -> LoRAEnsembleNetwork {
        let lora = ref["lora"] as! [String: Any]
        let bert = try BertFiles.load(tinyFolder, classes: lora["classes"] as! Int)
        let net = try LoRAEnsembleNetwork(backbone: bert, options: LoRAOptions(members: lora["members"] as! Int, rank: lora["rank"] as! Int))
        var state = net.stateDict()
        for (k, v) in lora["params"] as! [String: [String: Any]] {
            state[k] = try Tensor(shape: ints(v["shape"]), data: floats(v["data"]))
        }
        try net.loadStateDict(state, source: "the PyTorch fixture")
        return net
    }

    func testLoRAEnsembleMemberLogitsMatchMergedWeightsInPyTorch() throws {
        let ref = try reference()
        let net = try loraEnsemble(ref)
        let z = try Tensor.noGrad { try net.memberLogits(.texts(ref["texts"] as! [String]), context: ForwardContext()) }
        XCTAssertEqual(z.shape, [2, 4, 3])
        XCTAssertLessThan(maxAbsDiff(z.data, floats((ref["lora"] as! [String: Any])["logits"])), 1e-4)
        // Adapters only on the top layer: the shared layer below runs once and is cached.
        let top = try LoRAEnsembleNetwork(backbone: net.backbone, options: LoRAOptions(members: 2, rank: 2, layers: 1..<2))
        let texts = ref["texts"] as! [String]
        let first = try Tensor.noGrad { try top.memberLogits(.texts(texts), context: ForwardContext()) }
        XCTAssertEqual(top.prefixCache.count, 4)
        let again = try Tensor.noGrad { try top.memberLogits(.texts(Array(texts.reversed())), context: ForwardContext()) }
        XCTAssertEqual(top.prefixCache.hits, 4)
        for b in 0..<4 {
            for m in 0..<2 {
                let a = Array(first.data[((m * 4 + b) * 3)..<((m * 4 + b) * 3 + 3)])
                let c = Array(again.data[((m * 4 + 3 - b) * 3)..<((m * 4 + 3 - b) * 3 + 3)])
                XCTAssertLessThan(maxAbsDiff(a, c), 1e-5)
            }
        }
    }

    func testTwoLoRAEnsembleTrainingStepsMatchPyTorch() throws {
        let ref = try reference()
        let net = try loraEnsemble(ref)
        let train = ref["train"] as! [String: Any]
        let data = try Dataset(name: "fixture", texts: ref["texts"] as! [String], labels: ints(train["labels"]),
                               classNames: ["a", "b", "c"])
        var losses: [Float] = []
        let frozen = net.backbone.parameters().map { $0.data }
        _ = try Trainer.fit(network: net, data: data,
                            config: TrainConfig(epochs: 1, batchSize: 2, learningRate: 1e-3, weightDecay: 0.01, shuffle: false),
                            schedule: { _, _ in 1e-3 }, progress: { losses.append(Float($0.loss!)) }, cancel: nil)
        let expected = floats(train["losses"])
        XCTAssertEqual(losses.count, 2)
        for (a, b) in zip(losses, expected) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        let named = Dictionary(uniqueKeysWithValues: net.namedParameters().map { ($0.name, $0.tensor) })
        for (k, v) in train["after"] as! [String: [String: Any]] {
            let t = try XCTUnwrap(named[k])
            XCTAssertLessThan(maxAbsDiff(t.data, floats(v["data"])), 1e-4, k)
        }
        XCTAssertEqual(net.backbone.parameters().map { $0.data }, frozen)
    }

    func testBertModelsRoundTripThroughCheckpoints() throws {
        let ref = try reference()
        let bert = try BertFiles.load(tinyFolder, classes: 3)
        let texts = ref["texts"] as! [String]
        let data = try Dataset(name: "fixture", texts: texts, labels: [0, 2, 1, 2], classNames: ["a", "b", "c"])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bert-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let models: [EnsembleModel] = [
            try SingleNetwork(backbone: bert),
            try LoRAEnsemble(backbone: bert, options: LoRAOptions(members: 2, rank: 2, layers: 1..<2)),
            try MCDropout(backbone: bert, p: 0.1, samples: 2, seed: 3),
        ]
        for (i, m) in models.enumerated() {
            try m.fit(data, config: TrainConfig(epochs: 1, batchSize: 2, learningRate: 1e-3))
            let path = dir.appendingPathComponent("m\(i).safetensors").path
            try Checkpoint.save(m, to: path)
            guard case .ensemble(let back) = try Checkpoint.load(path) else { return XCTFail("\(m.kind) loaded as a backbone") }
            XCTAssertEqual(back.kind, m.kind)
            XCTAssertEqual(back.architecture, m.architecture)
            XCTAssertEqual(try back.predict(data), try m.predict(data), "\(m.kind)")
        }
        // A bare BERT keeps its vocabulary and tokenizer settings: the file alone rebuilds it.
        let path = dir.appendingPathComponent("bert.safetensors").path
        try Checkpoint.save(bert, to: path)
        guard case .backbone(let b) = try Checkpoint.load(path), let back = b as? Bert else { return XCTFail("not a BERT") }
        XCTAssertEqual(back.tokenizer.vocabulary, bert.tokenizer.vocabulary)
        XCTAssertEqual(back.tokenizer.settings, bert.tokenizer.settings)
        XCTAssertEqual(back.config, bert.config)
        let f0 = try Tensor.noGrad { try bert.features(.texts(texts), context: ForwardContext()) }.data
        let f1 = try Tensor.noGrad { try back.features(.texts(texts), context: ForwardContext()) }.data
        XCTAssertEqual(f0, f1)
    }

    func testMaskedBertOpsPassFiniteDifferences() throws {
        // Full fine-tuning gradients (embeddings, post-LN blocks, mean pooling over a padded batch).
        let bert = try BertFiles.load(tinyFolder, classes: 3)
        bert.unfreeze()
        let texts = ["the wheat price rose", "grain"]
        let labels = [2, 0]
        func loss() throws -> Tensor { try Tensor.crossEntropy(logits: bert.logits(.texts(texts)), labels: labels) }
        for p in bert.parameters() { p.zeroGrad() }
        try loss().backward()
        let checks: [(String, Int)] = [("encoder.layer.0.attention.self.query.weight", 5), ("encoder.layer.1.output.dense.bias", 3),
                                       ("embeddings.LayerNorm.weight", 7), ("embeddings.word_embeddings.weight", 5 * 16 + 2),
                                       ("head.weight", 4)]
        let named = Dictionary(uniqueKeysWithValues: bert.namedParameters().map { ($0.name, $0.tensor) })
        for (name, i) in checks {
            let p = try XCTUnwrap(named[name])
            let analytic = try XCTUnwrap(p.grad).data[i]
            let h: Float = 1e-2
            let x0 = p.data[i]
            p.data[i] = x0 + h; let up = try Tensor.noGrad { try loss().item() }
            p.data[i] = x0 - h; let down = try Tensor.noGrad { try loss().item() }
            p.data[i] = x0
            let numeric = (up - down) / (2 * h)
            XCTAssertEqual(analytic, numeric, accuracy: 2e-3 + 2e-2 * abs(numeric), name)
        }
    }

    func testBadModelFoldersGiveClearErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bert-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func expect(_ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try BertFiles.load(dir.path), file: file, line: line) { e in
                XCTAssertTrue("\(e)".contains(fragment), "\(e)", file: file, line: line)
            }
        }
        expect("config.json")
        let fm = FileManager.default
        for f in ["config.json", "model.safetensors", "vocab.txt"] {
            try fm.copyItem(atPath: tinyFolder + "/" + f, toPath: dir.path + "/" + f)
        }
        XCTAssertNoThrow(try BertFiles.load(dir.path))
        // An unsupported model type.
        var config = try String(contentsOfFile: dir.path + "/config.json", encoding: .utf8)
        try config.replacingOccurrences(of: "\"bert\"", with: "\"gpt2\"").write(toFile: dir.path + "/config.json", atomically: true, encoding: .utf8)
        expect("model_type is gpt2")
        // Sizes that disagree with the tensors.
        config = config.replacingOccurrences(of: "\"intermediate_size\": 24", with: "\"intermediate_size\": 32")
        try config.write(toFile: dir.path + "/config.json", atomically: true, encoding: .utf8)
        expect("intermediate.dense.weight")
        try fm.removeItem(atPath: dir.path + "/config.json")
        try fm.copyItem(atPath: tinyFolder + "/config.json", toPath: dir.path + "/config.json")
        // A vocabulary of the wrong size, then an empty one.
        try "[PAD]\n[UNK]\n[CLS]\n[SEP]\n".write(toFile: dir.path + "/vocab.txt", atomically: true, encoding: .utf8)
        expect("vocab_size")
        try "".write(toFile: dir.path + "/vocab.txt", atomically: true, encoding: .utf8)
        expect("vocab.txt")
        try fm.removeItem(atPath: dir.path + "/vocab.txt")
        try fm.copyItem(atPath: tinyFolder + "/vocab.txt", toPath: dir.path + "/vocab.txt")
        // Weights that are not safetensors.
        try Foundation.Data([1, 2, 3]).write(to: dir.appendingPathComponent("model.safetensors"))
        expect("too short")
    }

    /// The same with the portable loops (OpenBLAS's products in attention) instead of the AVX-512 kernels.
    func testMiniLMMatchesPyTorchLayerByLayerPortable() throws {
        Engine.vectorKernels = false
        defer { Engine.vectorKernels = true }
        try testMiniLMMatchesPyTorchLayerByLayer()
    }

    func testMiniLMMatchesPyTorchLayerByLayer() throws {
        let folder = (ProcessInfo.processInfo.environment["LORA_MODELS"] ?? NSHomeDirectory() + "/.cache/lora/models") + "/minilm"
        guard FileManager.default.fileExists(atPath: folder + "/model.safetensors") else {
            throw XCTSkip("all-MiniLM-L6-v2 is not installed (scripts/get-model minilm)")
        }
        let ref = try SafeTensors.contents(fixture("minilm_reference", "safetensors").path)
        let bert = try BertFiles.load(folder, classes: 2, maxTokens: 256)
        let texts = try JSONDecoder().decode([String].self, from: Foundation.Data(ref.metadata["texts"]!.utf8))
        let lengths = ref.tensors["lengths"]!.data.map { Int($0) }
        let ids = ref.tensors["ids"]!.data.map { Int($0) }
        let t = ids.count / lengths.count
        let batch = bert.tokenizer.encode(batch: texts, maxLength: 256)
        XCTAssertEqual(batch.ids.map { Int($0) }, ids)
        try Tensor.noGrad {
            let ctx = ForwardContext()
            ctx.validTokens = lengths
            var h = try bert.embed(ids: ids, lengths: lengths, length: t).tokens
            XCTAssertLessThan(maxAbsDiff(h.data, ref.tensors["hidden.0"]!.data), 1e-4)
            for i in 0..<6 {
                h = try bert.encode(h, layers: i..<(i + 1), context: ctx)
                // Float rounding through attention and LayerNorm, relative to the layer's largest value
                // (about 10): OpenBLAS's and the attention kernel's summation orders both stay near 1e-5.
                let want = ref.tensors["hidden.\(i + 1)"]!.data
                let size = want.reduce(Float(0)) { Swift.max($0, abs($1)) }
                XCTAssertLessThan(maxAbsDiff(h.data, want), 2e-5 * size, "layer \(i)")
            }
            let pooled = try bert.features(.texts(texts), context: ForwardContext())
            XCTAssertLessThan(maxAbsDiff(pooled.data, ref.tensors["mean"]!.data), 1e-4)
        }
    }
}
