import Data
import Files
import Foundation
@testable import NN
import Tensor
import XCTest

/// `save_adapters`: a small file of adapters and heads naming its backbone
/// file and that file's SHA-256; loading finds the backbone and refuses
/// another one.
final class AdapterCheckpointTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nn-adapters-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func testAdaptersLoadOnTheirBackboneOnly() throws {
        let data = try syntheticData(count: 6)
        let base = try ViT(tinyConfig, seed: 2)
        let ens = try LoRAEnsemble(backbone: base, options: LoRAOptions(members: 3, rank: 2, alpha: 4, seed: 3))
        try ens.fit(data, config: TrainConfig(epochs: 2, batchSize: 3, learningRate: 1e-2))
        let adapters = dir.appendingPathComponent("ens.adapters.safetensors").path
        let backbone = dir.appendingPathComponent("base.safetensors").path
        try Checkpoint.saveAdapters(ens, to: adapters, backbone: backbone)
        let whole = dir.appendingPathComponent("whole.safetensors").path
        try Checkpoint.save(ens, to: whole)

        let contents = try SafeTensors.contents(adapters)
        XCTAssertFalse(contents.tensors.keys.contains { $0.hasPrefix("backbone.") && !$0.contains(".lora_") }, "backbone tensors in the adapters file")
        XCTAssertEqual(contents.metadata["backbone_file"], "base.safetensors")
        XCTAssertEqual(contents.metadata["backbone_sha256"], SHA256.hex([UInt8](try Data(contentsOf: URL(fileURLWithPath: backbone)))))
        let size = { (p: String) in (try FileManager.default.attributesOfItem(atPath: p)[.size] as? Int) ?? 0 }
        XCTAssertLessThan(try size(adapters), try size(whole) / 2)

        guard case .ensemble(let back) = try Checkpoint.load(adapters) else { return XCTFail("not an ensemble") }
        XCTAssertEqual(try back.predict(data), try ens.predict(data))
        XCTAssertEqual(back.summary(), ens.summary())
        XCTAssertEqual(back.history, ens.history)

        // Saving again onto the same backbone file is fine; onto another model's file is refused.
        try Checkpoint.saveAdapters(ens, to: adapters, backbone: backbone)
        let other = dir.appendingPathComponent("other.safetensors").path
        try Checkpoint.save(ViT(tinyConfig, seed: 9), to: other)
        XCTAssertThrowsError(try Checkpoint.saveAdapters(ens, to: dir.appendingPathComponent("x.safetensors").path, backbone: other)) { e in
            XCTAssertTrue("\(e)".contains("another model"), "\(e)")
        }

        // Another backbone given, or the named one changed: refused by its hash.
        XCTAssertThrowsError(try Checkpoint.open(adapters, backbone: other)) { e in
            XCTAssertTrue("\(e)".contains("SHA-256"), "\(e)")
        }
        let moved = dir.appendingPathComponent("moved.safetensors").path
        try FileManager.default.moveItem(atPath: backbone, toPath: moved)
        XCTAssertThrowsError(try Checkpoint.load(adapters)) { e in
            XCTAssertTrue("\(e)".contains("missing") && "\(e)".contains("backbone:"), "\(e)")
        }
        guard case .ensemble(let found) = try Checkpoint.open(adapters, backbone: moved).model else { return XCTFail("not an ensemble") }
        XCTAssertEqual(try found.predict(data), try ens.predict(data))
        try Checkpoint.save(ViT(tinyConfig, seed: 9), to: backbone)
        XCTAssertThrowsError(try Checkpoint.load(adapters)) { e in XCTAssertTrue("\(e)".contains("SHA-256"), "\(e)") }
        XCTAssertThrowsError(try Checkpoint.open(whole, backbone: moved)) { e in XCTAssertTrue("\(e)".contains("only for files written by save_adapters"), "\(e)") }
    }
}
