import Data
import Foundation
@testable import NN
import Tensor
import XCTest

final class CheckpointTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nn-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func testReadsAFileWrittenFromTheSpecification() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "tiny", withExtension: "safetensors", subdirectory: "Fixtures"))
        let (t, order, md) = try SafeTensors.read(url.path)
        XCTAssertEqual(order, ["a", "b"])
        XCTAssertEqual(t["a"]?.shape, [2]); XCTAssertEqual(t["a"]?.data, [0.5, 0.25])
        XCTAssertEqual(t["b"]?.shape, [1, 3]); XCTAssertEqual(t["b"]?.data, [1.5, -2.0, 3.25])
        XCTAssertEqual(md["origin"], "gen_nn_fixtures.py")
    }

    func testWrittenLayoutFollowsTheSpecification() throws {
        let path = dir.appendingPathComponent("x.safetensors").path
        try SafeTensors.write([("w", try Tensor(shape: [2], data: [1, -1]))], metadata: ["k": "v"], to: path)
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        let n = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
        XCTAssertEqual(n % 8, 0)
        XCTAssertEqual(bytes.count, 8 + n + 8)
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + n))) as? [String: Any])
        let w = try XCTUnwrap(header["w"] as? [String: Any])
        XCTAssertEqual(w["dtype"] as? String, "F32")
        XCTAssertEqual(w["data_offsets"] as? [Int], [0, 8])
        XCTAssertEqual(Array(bytes.suffix(8)), [0, 0, 0x80, 0x3f, 0, 0, 0x80, 0xbf])   // 1.0, -1.0 little-endian
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("tmp") }
        XCTAssertEqual(leftovers, [], "temporary file left behind")
    }

    func testEveryKindRoundTrips() throws {
        let data = try syntheticData(count: 12)
        let base = try ViT(tinyConfig, seed: 8)
        let models: [EnsembleModel] = [
            try SingleNetwork(backbone: base),
            try LoRAEnsemble(backbone: base, options: LoRAOptions(members: 3, rank: 2, targets: [.q, .o], alpha: 4)),
            try ExplicitEnsemble(backbone: base, members: 2),
            try MCDropout(backbone: base, p: 0.3, samples: 2, seed: 5),
            try SnapshotEnsemble(backbone: base, cycles: 2),
            try BatchEnsemble(backbone: base, options: BatchEnsembleOptions(members: 2)),
        ]
        for (i, m) in models.enumerated() {
            try m.fit(data, config: TrainConfig(epochs: 2, batchSize: 6, learningRate: 1e-3))
            let path = dir.appendingPathComponent("m\(i).safetensors").path
            try Checkpoint.save(m, to: path)
            guard case .ensemble(let back) = try Checkpoint.load(path) else { return XCTFail("\(m.kind) loaded as a ViT") }
            XCTAssertEqual(back.kind, m.kind)
            XCTAssertEqual(back.memberCount, m.memberCount)
            XCTAssertEqual(try back.predict(data), try m.predict(data), "\(m.kind)")
            XCTAssertEqual(back.summary().trainable, m.summary().trainable, "\(m.kind)")
        }
        let vpath = dir.appendingPathComponent("vit.safetensors").path
        try Checkpoint.save(base, to: vpath)
        guard case .backbone(let b) = try Checkpoint.load(vpath), let v = b as? ViT else { return XCTFail("ViT loaded as an ensemble") }
        XCTAssertEqual(v.config, base.config)
        XCTAssertEqual(v.parameters().map { $0.data }, base.parameters().map { $0.data })
    }

    func testBadFilesGiveClearErrors() throws {
        func expect(_ bytes: [UInt8], _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
            let p = dir.appendingPathComponent("bad.safetensors").path
            XCTAssertTrue(FileManager.default.createFile(atPath: p, contents: Data(bytes)))
            XCTAssertThrowsError(try Checkpoint.load(p), file: file, line: line) { e in
                XCTAssertTrue("\(e)".contains(fragment), "\(e)", file: file, line: line)
            }
        }
        expect([1, 2, 3], "too short")
        expect([255, 255, 0, 0, 0, 0, 0, 0] + Array("{}".utf8), "does not fit")
        expect([2, 0, 0, 0, 0, 0, 0, 0] + Array("[]".utf8), "not a JSON object")
        let h = Array(#"{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,2]}}"#.utf8)
        expect([UInt8(h.count), 0, 0, 0, 0, 0, 0, 0] + h + [0, 0], "Q4")
        let h2 = Array(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#.utf8)
        expect([UInt8(h2.count), 0, 0, 0, 0, 0, 0, 0] + h2 + [0, 0, 0, 0], "truncated")
        let h3 = Array(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#.utf8)
        expect([UInt8(h3.count), 0, 0, 0, 0, 0, 0, 0] + h3 + [0, 0, 0, 0], "no lora checkpoint metadata")
        XCTAssertThrowsError(try Checkpoint.load(dir.appendingPathComponent("missing.safetensors").path)) { e in
            XCTAssertTrue("\(e)".contains("cannot read"), "\(e)")
        }
        // A checkpoint of another architecture names the mismatch.
        let other = try ViT(ViTConfig(image: 8, channels: 1, patch: 4, dim: 16, depth: 1, heads: 2, mlp: 32, classes: 3), seed: 0)
        let p = dir.appendingPathComponent("other.safetensors").path
        try SafeTensors.write(other.namedParameters(), metadata: ["format": Checkpoint.format, "kind": "vit", "config": Checkpoint.json(tinyConfig)], to: p)
        XCTAssertThrowsError(try Checkpoint.load(p)) { e in XCTAssertTrue("\(e)".contains("blocks.1"), "\(e)") }
    }
}
