import Core
import Foundation
@testable import NN
import Tensor
import XCTest

/// Checkpoints, PEFT folders and adapter files are written and read in
/// pieces reported to the thread's `WorkWatch`; a watch that throws (Ctrl-C)
/// stops the work there, and every file on disk is whole: the old one, or a
/// complete new one, never a temporary or half a file.
final class FileWorkInterruptionTests: XCTestCase {
    var tinyBertFolder: String { Bundle.module.bundleURL.appendingPathComponent("Fixtures/tiny-bert").path }
    var dir = ""
    struct Stop: Error {}

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nn-interrupt-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// Every file under `dir`, relative.
    private func files() -> [String] {
        (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).filter { p in
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: dir + "/" + p, isDirectory: &isDir) && !isDir.boolValue
        }.sorted()
    }

    /// Runs `body` under a watch that records the parts reported and throws at report `stopAt` (0: never).
    private func watched<T>(stopAt: Int = 0, _ body: () throws -> T) throws -> (T?, [String]) {
        var parts: [String] = []
        do {
            let v = try WorkWatch.run(WorkWatch { part, _, _ in
                parts.append(part)
                if parts.count == stopAt { throw Stop() }
            }, body)
            return (v, parts)
        } catch is Stop {
            return (nil, parts)
        }
    }

    /// A 12 MB tensor: written in 4 MB pieces; stopped at each piece and before the rename, the old file stays.
    func testASafetensorsWriteStopsAnywhereAndLeavesTheOldFile() throws {
        let path = dir + "/big.safetensors"
        var rng = RNG(seed: 1)
        let big = Tensor.randn([3 << 20], mean: 0, std: 1, rng: &rng)
        let small = Tensor.randn([5], mean: 0, std: 1, rng: &rng)
        let (_, parts) = try watched { try SafeTensors.write([("a", big), ("b", small)], metadata: ["k": "v"], to: path) }
        XCTAssertEqual(parts, Array(repeating: "writing big.safetensors", count: 4), "three pieces and the last look before the rename")
        let back = try SafeTensors.read(path)
        XCTAssertEqual(back.tensors["a"]?.data, big.data)
        XCTAssertEqual(back.tensors["b"]?.data, small.data)
        XCTAssertEqual(back.metadata, ["k": "v"])
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        for stop in 1...4 {
            let (done, _) = try watched(stopAt: stop) { () -> Bool in
                try SafeTensors.write([("a", small)], metadata: [:], to: path)   // small: one look, before the rename
                return true
            }
            XCTAssertEqual(done == nil, stop == 1)
            try written.write(to: URL(fileURLWithPath: path))
            let (stopped, seen) = try watched(stopAt: stop) { () -> Bool in
                try SafeTensors.write([("a", big), ("b", big)], metadata: [:], to: path)
                return true
            }
            XCTAssertNil(stopped)
            XCTAssertEqual(seen.count, stop)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), written, "stopped at report \(stop): the old file changed")
            XCTAssertEqual(files(), ["big.safetensors"], "stopped at report \(stop)")
        }
        // Reading reports too, and stops.
        let (read, readParts) = try watched { try SafeTensors.read(path) }
        XCTAssertEqual(read?.tensors["a"]?.data, big.data)
        XCTAssertEqual(readParts, Array(repeating: "reading big.safetensors", count: 5),
                       "four pieces read (12 MB and the header), then the big tensor converted")
        XCTAssertNil(try watched(stopAt: 1) { try SafeTensors.read(path) }.0)
    }

    /// peft_export writes many files; stopped at any of them, those on disk
    /// are whole (each one reads back) and no temporary stays; import stops too.
    func testAPeftExportStoppedAnywhereLeavesOnlyWholeFiles() throws {
        let bert = try BertFiles.load(tinyBertFolder, classes: 3, maxTokens: 16, seed: 4)
        let ens = try LoRAEnsemble(backbone: bert, options: LoRAOptions(members: 2, rank: 2, seed: 1))
        let (full, parts) = try watched { try PeftAdapters.export(ens, to: dir + "/all") }
        let writes = parts.count
        XCTAssertGreaterThanOrEqual(writes, 4, "\(parts)")
        XCTAssertTrue(parts.allSatisfy { $0.hasPrefix("writing ") }, "\(parts)")
        for stop in [1, writes / 2, writes] {
            let out = dir + "/stopped-\(stop)"
            XCTAssertNil(try watched(stopAt: stop) { try PeftAdapters.export(ens, to: out) }.0)
            let here = files().filter { $0.hasPrefix("stopped-\(stop)/") }
            XCTAssertFalse(here.contains { ($0 as NSString).lastPathComponent.hasPrefix(".lora-") }, "a temporary stayed: \(here)")
            XCTAssertLessThan(here.count, files().filter { $0.hasPrefix("all/") }.count)
            for f in here where f.hasSuffix(".safetensors") { XCTAssertNoThrow(try SafeTensors.read(dir + "/" + f), f) }
        }
        let members = try XCTUnwrap(full).members
        let base = try BertFiles.load(tinyBertFolder, classes: 2, maxTokens: 16, seed: 1)
        let (_, importParts) = try watched { try PeftAdapters.load(members, base: base) }
        XCTAssertTrue(importParts.isEmpty, "tiny files are read in one piece: \(importParts)")
    }

    /// The adapters file records its backbone's SHA-256, hashed in pieces reported as "hashing NAME".
    func testTheBackboneHashIsReported() throws {
        let bert = try BertFiles.load(tinyBertFolder, classes: 3, maxTokens: 16, seed: 4)
        let ens = try LoRAEnsemble(backbone: bert, options: LoRAOptions(members: 2, rank: 2, seed: 1))
        let (_, parts) = try watched { try Checkpoint.saveAdapters(ens, to: dir + "/ens.safetensors", backbone: dir + "/base.safetensors") }
        XCTAssertEqual(parts, ["writing base.safetensors", "writing ens.safetensors"], "tiny: one look before each rename")
        // The backbone file exists (read and compared, in one piece): the adapters' write is the one report.
        XCTAssertNil(try watched(stopAt: 1) {
            try Checkpoint.saveAdapters(ens, to: dir + "/other.safetensors", backbone: dir + "/base.safetensors")
        }.0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/other.safetensors"))
        XCTAssertEqual(try Checkpoint.fileHash(dir + "/base.safetensors").count, 64)
    }
}
