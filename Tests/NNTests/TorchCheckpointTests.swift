import Data
import Foundation
@testable import NN
import Tensor
import XCTest

/// A saved LoRA-Ensemble loads in PyTorch from the file alone
/// (scripts/torch_lora_ensemble.py) and gives every member's logits within
/// 1e-4. Runs when Debian's python3 has torch.
final class TorchCheckpointTests: XCTestCase {
    static let python = "/usr/bin/python3"

    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TorchCheckpointTests.python)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testPyTorchReproducesEveryMembersLogitsFromTheFileAlone() throws {
        guard FileManager.default.isExecutableFile(atPath: TorchCheckpointTests.python),
              (try? run(["-c", "import torch"]))?.status == 0 else {
            throw XCTSkip("Debian's python3 with torch (python3-torch) is not installed")
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/torch_lora_ensemble.py").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nn-torch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        let config = ViTConfig(channels: 2, height: 8, width: 4, patch: 2, dim: 16, depth: 3, heads: 2, mlp: 24, classes: 4)
        let cases: [(String, LoRAOptions)] = [
            ("paper", LoRAOptions(members: 3, rank: 2, seed: 1)),
            ("alpha-layers-targets", LoRAOptions(members: 4, rank: 3, targets: [.q, .v, .o], alpha: 6, copyHead: true, seed: 2, layers: 1..<3)),
        ]
        for (name, options) in cases {
            let base = try ViT(config, seed: 5)
            let ens = try LoRAEnsemble(backbone: base, options: options)
            randomizeB(ens.network, seed: 3)
            let images: [Float] = (0..<192).map { (i: Int) -> Float in Float((i * 37) % 101) / 101 }
            let logits = try ens.network.memberLogits(.images(images, count: 3), context: ForwardContext())
            XCTAssertEqual(logits.shape, [options.members, 3, 4])
            let file = dir.appendingPathComponent("\(name).safetensors").path
            try Checkpoint.save(ens, to: file)
            let reference = dir.appendingPathComponent("\(name).json").path
            let imageValues: [Double] = images.map { Double($0) }
            let logitValues: [Double] = logits.data.map { Double($0) }
            var json: [String: Any] = [:]
            json["images"] = imageValues
            json["count"] = 3
            json["logits"] = logitValues
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: reference))
            let r = try run([script, file, "--check", reference])
            XCTAssertEqual(r.status, 0, "\(name): \(r.output)")
            XCTAssertTrue(r.output.contains("max |lora - torch|"), r.output)
            print("torch check (\(name)): \(r.output)")
        }
    }

    /// The same for a LoRA-Ensemble on a BERT (the tiny fixture model, whose
    /// layout is MiniLM's): Hugging Face names, padded texts, mean pooling.
    func testPyTorchReproducesABertEnsemblesLogitsFromTheFileAlone() throws {
        guard FileManager.default.isExecutableFile(atPath: TorchCheckpointTests.python),
              (try? run(["-c", "import torch"]))?.status == 0 else {
            throw XCTSkip("Debian's python3 with torch (python3-torch) is not installed")
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/torch_lora_ensemble.py").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nn-torch-bert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = Bundle.module.bundleURL.appendingPathComponent("Fixtures/tiny-bert").path
        let texts = ["wheat and corn prices rose", "the committee met on tuesday", "a short one",
                     "Grain exports fell sharply last week, the ministry said."]
        var cases: [(String, String, LoRAOptions)] = [
            ("paper", folder, LoRAOptions(members: 3, rank: 2, seed: 1)),
            ("alpha-layers-targets", folder, LoRAOptions(members: 2, rank: 3, targets: [.k, .o], alpha: 6, copyHead: true, seed: 2, layers: 1..<2)),
        ]
        if let m = PeftInteropTests.miniLMFolder {
            cases.append(("minilm", m, LoRAOptions(members: 4, rank: 4, seed: 3, layers: 4..<6)))
        } else {
            print("torch check: all-MiniLM-L6-v2 is not installed (scripts/get-model minilm); checked on the tiny BERT only")
        }
        for (name, model, options) in cases {
            let bert = try BertFiles.load(model, classes: 3, maxTokens: 32, seed: 4)
            let ens = try LoRAEnsemble(backbone: bert, options: options)
            randomizeB(ens.network, seed: 3, std: name == "minilm" ? 0.05 : 0.3)
            let logits = try ens.network.memberLogits(.texts(texts), context: ForwardContext())
            let file = dir.appendingPathComponent("\(name).safetensors").path
            try Checkpoint.save(ens, to: file)
            let batch = bert.tokenizer.encode(batch: texts, maxLength: bert.config.maxTokens)
            let ids: [[Int]] = (0..<texts.count).map { i in (0..<batch.lengths[i]).map { Int(batch.ids[i * batch.length + $0]) } }
            let logitValues: [Double] = logits.data.map { Double($0) }
            let json: [String: Any] = ["ids": ids, "logits": logitValues]
            let reference = dir.appendingPathComponent("\(name).json").path
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: reference))
            let r = try run([script, file, "--check", reference])
            XCTAssertEqual(r.status, 0, "\(name): \(r.output)")
            XCTAssertTrue(r.output.contains("bert: \(options.members) members"), r.output)
            print("torch check, BERT (\(name)): \(r.output)")
        }
    }
}
