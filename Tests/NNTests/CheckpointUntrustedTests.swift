import Data
import Foundation
@testable import NN
import Tensor
import XCTest

/// A checkpoint is input from strangers: metadata that disagrees with the
/// tensors, absurd sizes and damaged layouts are errors that name the file,
/// never a crash, a hang or an allocation without bound.
final class CheckpointUntrustedTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nn-untrusted-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// A saved model of `kind` and its file's tensors and metadata.
    func saved(_ model: EnsembleModel, _ name: String) throws -> (path: String, contents: SafeTensors.Contents) {
        let p = path(name)
        try Checkpoint.save(model, to: p)
        return (p, try SafeTensors.contents(p))
    }

    /// Rewrites `contents` with metadata changed by `change`, loads it and expects an error naming `fragments`.
    func expectRefused(_ contents: SafeTensors.Contents, _ change: (inout [String: String]) -> Void, _ fragments: [String],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        var md = contents.metadata
        change(&md)
        let p = path("tampered.safetensors")
        try SafeTensors.write(contents.order.map { ($0, contents.tensors[$0]!) }, metadata: md, to: p)
        XCTAssertThrowsError(try Checkpoint.load(p), file: file, line: line) { e in
            for f in fragments { XCTAssertTrue("\(e)".contains(f), "'\(f)' not in: \(e)", file: file, line: line) }
            XCTAssertTrue("\(e)".contains(p), "the message names the file: \(e)", file: file, line: line)
        }
    }

    func testMetadataThatDisagreesWithTheTensorsIsRefused() throws {
        let base = try ViT(tinyConfig, seed: 1)
        let lora = try saved(LoRAEnsemble(backbone: base, options: LoRAOptions(members: 3, rank: 2, alpha: 4)), "lora.safetensors").contents
        try expectRefused(lora, { $0["members"] = "1000000000" }, ["members 1000000000", "holds 3"])
        try expectRefused(lora, { $0["members"] = "4" }, ["members 4", "disagrees"])
        try expectRefused(lora, { $0["members"] = "-2" }, ["members", "outside"])
        try expectRefused(lora, { $0["rank"] = "3" }, ["rank 3", "disagrees"])
        try expectRefused(lora, { $0["alpha"] = "0" }, ["alpha", "outside"])
        try expectRefused(lora, { $0["alpha"] = "-4" }, ["alpha"])
        try expectRefused(lora, { $0["alpha"] = "nan" }, ["alpha", "not a finite number"])
        try expectRefused(lora, { $0["targets"] = "q,x" }, ["targets"])
        try expectRefused(lora, { $0["layers"] = "0..<99" }, ["layers"])
        try expectRefused(lora, { $0["seed"] = "-1" }, ["seed"])
        try expectRefused(lora, { $0["init"] = #"{"xavierUniform":{"gain":"nan"}}"# }, ["init"])
        try expectRefused(lora, { $0["kind"] = "single + LoRA" }, ["single + LoRA"])
        try expectRefused(lora, { $0["kind"] = "tree" }, ["unknown model kind 'tree'"])
        try expectRefused(lora, { $0["history"] = "[{\"epoch\": -1}]" }, ["history"])
        try expectRefused(lora, { $0["format"] = nil }, ["no lora checkpoint metadata"])

        func config(_ change: (inout ViTConfig) -> Void) -> String { var c = tinyConfig; change(&c); return Checkpoint.json(c) }
        try expectRefused(lora, { $0["config"] = config { $0.eps = 0 } }, ["epsilon"])
        try expectRefused(lora, { $0["config"] = config { $0.eps = 10 } }, ["epsilon"])
        try expectRefused(lora, { $0["config"] = config { $0.dim = 100_000; $0.heads = 1 } }, ["describes a model of", "holds only"])
        try expectRefused(lora, { $0["config"] = config { $0.height = 1 << 40; $0.width = 1 << 40 } }, ["height"])
        try expectRefused(lora, { $0["config"] = config { $0.depth = 1_000_000 } }, ["describes a model of"])

        let explicit = try saved(ExplicitEnsemble(backbone: base, members: 2), "explicit.safetensors").contents
        try expectRefused(explicit, { $0["members"] = "1000000000" }, ["members 1000000000", "hold 2 members"])
        try expectRefused(explicit, { $0["members"] = "3" }, ["members 3", "disagrees"])

        let snapshots = try SnapshotEnsemble(backbone: base, cycles: 2)
        try snapshots.fit(syntheticData(count: 6), config: TrainConfig(epochs: 1, batchSize: 3, learningRate: 1e-3))
        let snap = try saved(snapshots, "snapshot.safetensors").contents
        try expectRefused(snap, { $0["snapshots"] = "1" }, ["snapshots 1", "hold 2"])
        try expectRefused(snap, { $0["snapshots"] = "2000000000" }, ["snapshots"])
        try expectRefused(snap, { $0["cycles"] = "1" }, ["snapshots"])

        let mc = try saved(MCDropout(backbone: base, p: 0.2, samples: 4), "mc.safetensors").contents
        try expectRefused(mc, { $0["samples"] = "1000000000" }, ["samples"])
        try expectRefused(mc, { $0["p"] = "1" }, ["'p'"])

        let batch = try saved(BatchEnsemble(backbone: base, options: BatchEnsembleOptions(members: 2)), "batch.safetensors").contents
        try expectRefused(batch, { $0["members"] = "1000000000" }, ["members 1000000000"])
        try expectRefused(batch, { $0["factorStd"] = "-1" }, ["factorStd"])
    }

    /// Writes a file from a raw header and data bytes.
    func raw(_ header: String, data: [UInt8]) -> String {
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        var bytes = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { bytes[i] = UInt8((h.count >> (8 * i)) & 0xFF) }
        let p = path("raw.safetensors")
        XCTAssertTrue(FileManager.default.createFile(atPath: p, contents: Data(bytes + h + data)))
        return p
    }

    func expectRawRefused(_ header: String, data: [UInt8], _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        let p = raw(header, data: data)
        XCTAssertThrowsError(try SafeTensors.contents(p), file: file, line: line) { e in
            XCTAssertTrue("\(e)".contains(fragment), "'\(fragment)' not in: \(e)", file: file, line: line)
        }
    }

    func testLayoutsThatDoNotAddUpAreRefused() throws {
        let four = [UInt8](repeating: 0, count: 4)
        // Sizes beyond 2^63 (and beyond exact integers) are refused, not wrapped around.
        expectRawRefused(#"{"w":{"dtype":"F32","shape":[18446744073709551616,0],"data_offsets":[0,0]}}"#, data: [], "whole numbers")
        expectRawRefused(#"{"w":{"dtype":"F32","shape":[9223372036854775807,2],"data_offsets":[0,4]}}"#, data: four, "whole numbers")
        expectRawRefused(#"{"w":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, data: four, "whole numbers")
        expectRawRefused(#"{"w":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,4]}}"#, data: four, "more than the file's data section")
        expectRawRefused(#"{"w":{"dtype":"F32","shape":[0,9007199254740992],"data_offsets":[0,0]}}"#, data: [], "more than")
        expectRawRefused(#"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: four, "whole numbers")
        expectRawRefused(#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: four, "whole numbers")
        expectRawRefused(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,-4]}}"#, data: four, "whole numbers")
        // Bytes that belong to no tensor: after the data, or between tensors.
        expectRawRefused(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: four + [1, 2], "trailing bytes")
        expectRawRefused(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
                         data: four + four + four, "belong to no tensor")
        expectRawRefused(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                         data: four + four, "overlap")
        // Deep nesting is an error, not a stack overflow.
        expectRawRefused(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000), data: [], "not a JSON object")
        // A valid layout still reads.
        let ok = raw(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F16","shape":[0],"data_offsets":[4,4]}}"#, data: [0, 0, 0x80, 0x3f])
        XCTAssertEqual(try SafeTensors.contents(ok).tensors["a"]?.data, [1])
    }

    func testOnlyRegularFilesAreRead() throws {
        let fifo = path("pipe.safetensors")
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        XCTAssertThrowsError(try Checkpoint.load(fifo)) { e in XCTAssertTrue("\(e)".contains("not a regular file"), "\(e)") }
        XCTAssertThrowsError(try Checkpoint.load(dir.path)) { e in XCTAssertTrue("\(e)".contains("not a regular file"), "\(e)") }
    }

    func testLoadingBeyondTheMachinesMemoryIsRefused() throws {
        let p = try saved(LoRAEnsemble(backbone: ViT(tinyConfig, seed: 1), options: LoRAOptions(members: 2, rank: 2)), "m.safetensors").path
        setenv("LORA_MEMORY_LIMIT", "2K", 1)
        defer { unsetenv("LORA_MEMORY_LIMIT") }
        XCTAssertThrowsError(try Checkpoint.load(p)) { e in
            XCTAssertTrue("\(e)".contains("free memory"), "\(e)")
            XCTAssertTrue("\(e)".contains(p), "\(e)")
        }
        unsetenv("LORA_MEMORY_LIMIT")
        XCTAssertNoThrow(try Checkpoint.load(p))
    }
}
