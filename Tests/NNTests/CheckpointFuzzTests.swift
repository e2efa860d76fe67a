import Core
import Data
import Foundation
@testable import NN
import Tensor
import XCTest

/// Loads thousands of mutations of valid checkpoints (seeded, a few seconds):
/// every one loads or throws an NNError naming the file; none crashes, hangs
/// or grows memory without bound.
final class CheckpointFuzzTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nn-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// Valid files of several kinds, on a ViT and on the tiny BERT.
    func seeds() throws -> [[UInt8]] {
        let vit = try ViT(ViTConfig(image: 4, channels: 1, patch: 2, dim: 8, depth: 2, heads: 2, mlp: 8, classes: 2), seed: 3)
        let bert = try BertFiles.load(Bundle.module.bundleURL.appendingPathComponent("Fixtures/tiny-bert").path, classes: 2, maxTokens: 8)
        let data = try syntheticData(count: 4, classes: 2, size: 4)
        let snapshot = try SnapshotEnsemble(backbone: vit, cycles: 2)
        try snapshot.fit(data, config: TrainConfig(epochs: 1, batchSize: 2, learningRate: 1e-3))
        let lora = try LoRAEnsemble(backbone: vit, options: LoRAOptions(members: 2, rank: 1, alpha: 2, layers: 1..<2))
        try lora.fit(data, config: TrainConfig(epochs: 1, batchSize: 2, learningRate: 1e-3))
        let models: [EnsembleModel] = [
            lora, snapshot,
            try ExplicitEnsemble(backbone: vit, members: 2),
            try BatchEnsemble(backbone: vit, options: BatchEnsembleOptions(members: 2)),
            try MCDropout(backbone: vit, samples: 2),
            try LoRAEnsemble(backbone: bert, options: LoRAOptions(members: 2, rank: 1)),
        ]
        var files: [[UInt8]] = []
        for (i, m) in models.enumerated() {
            let p = dir.appendingPathComponent("seed\(i).safetensors").path
            try Checkpoint.save(m, to: p)
            files.append([UInt8](try Data(contentsOf: URL(fileURLWithPath: p))))
        }
        let p = dir.appendingPathComponent("vit.safetensors").path
        try Checkpoint.save(vit, to: p)
        files.append([UInt8](try Data(contentsOf: URL(fileURLWithPath: p))))
        return files
    }

    /// One random change, aimed mostly at the header (where sizes and metadata live).
    func mutate(_ file: [UInt8], rng: inout RNG) -> [UInt8] {
        var b = file
        for _ in 0..<(1 + Int(rng.uniform() * 3)) {
            guard b.count > 9 else { break }
            let headerEnd = max(9, min(b.count, 8 + (Int(b[0]) | Int(b[1]) << 8 | Int(b[2]) << 16)))
            let anywhere = Int(rng.uniform() * Float(b.count)) % b.count
            let inHeader = 8 + Int(rng.uniform() * Float(headerEnd - 8)) % (headerEnd - 8)
            let digits = (8..<headerEnd).filter { b[$0] >= 0x30 && b[$0] <= 0x39 }
            // Digit changes (sizes, counts, offsets) twice as often as the rest.
            switch [0, 1, 1, 2, 2, 3, 4, 5, 6, 7][Int(rng.uniform() * 10) % 10] {
            case 0: b[anywhere] ^= UInt8(1 << Int(rng.uniform() * 8) & 0xFF)
            case 1: if let d = pick(digits, &rng) { b[d] = 0x30 + UInt8(Int(rng.uniform() * 10) % 10) }
            case 2: if let d = pick(digits, &rng) {
                        let big = pick(["9", "99999999", "1000000000", "18446744073709551615", "-1", "0", "1e30", "4294967297"], &rng)!
                        b.insert(contentsOf: Array(big.utf8), at: d)
                        // Mostly keep the header length right, so the JSON still parses and the values are read.
                        if rng.uniform() < 0.8 { setHeaderLength(&b, headerEnd - 8 + big.utf8.count) }
                    }
            case 3: b = Array(b.prefix(anywhere))
            case 4: b[inHeader] = pick([0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0x30, 0x2D] as [UInt8], &rng)!
            case 5: b.insert(UInt8(Int(rng.uniform() * 256) & 0xFF), at: anywhere)
            case 6:
                b.remove(at: inHeader)
                if rng.uniform() < 0.5 { setHeaderLength(&b, headerEnd - 9) }
            default: b.append(contentsOf: [UInt8](repeating: 0, count: 1 + Int(rng.uniform() * 8)))
            }
        }
        return b
    }

    func testMutatedCheckpointsNeverCrashHangOrBalloon() throws {
        let files = try seeds()
        var rng = RNG(seed: 20261203)
        let path = dir.appendingPathComponent("mutant.safetensors").path
        let start = Date()
        var loaded = 0, refused = 0, slowest = 0.0
        var reasons: [String: Int] = [:]
        var iteration = 0
        while iteration < 3000 && Date().timeIntervalSince(start) < 15 {
            let mutant = mutate(files[iteration % files.count], rng: &rng)
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(mutant)))
            let t0 = Date()
            do {
                _ = try Checkpoint.load(path)
                loaded += 1
            } catch let e as NNError {
                refused += 1
                let text = "\(e)"
                XCTAssertFalse(text.isEmpty)
                reasons[String(text.dropFirst("checkpoint '\(path)': ".count).prefix(30)), default: 0] += 1
            } catch {
                XCTFail("iteration \(iteration): not an NNError: \(type(of: error)) \(error)")
            }
            slowest = max(slowest, Date().timeIntervalSince(t0))
            iteration += 1
        }
        XCTAssertGreaterThanOrEqual(iteration, 1000, "too few mutations in the time")
        XCTAssertGreaterThan(refused, iteration / 4)
        XCTAssertLessThan(slowest, 2, "one load took \(slowest) s")
        XCTAssertLessThan(peakResidentBytes(), 2_000_000_000, "peak memory")
        print("checkpoint fuzz: \(iteration) mutations, \(loaded) loaded, \(refused) refused, slowest \(Int(slowest * 1000)) ms, peak \(peakResidentBytes() >> 20) MiB")
        for (r, n) in reasons.sorted(by: { $0.value > $1.value }).prefix(12) { print("  \(n)  \(r)") }
    }

    func setHeaderLength(_ b: inout [UInt8], _ n: Int) {
        for i in 0..<8 { b[i] = UInt8((n >> (8 * i)) & 0xFF) }
    }

    func pick<T>(_ a: [T], _ rng: inout RNG) -> T? {
        a.isEmpty ? nil : a[Int(rng.uniform() * Float(a.count)) % a.count]
    }

    /// VmHWM of /proc/self/status (0 off Linux).
    func peakResidentBytes() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
        }
        return 0
    }
}
