import Foundation
@testable import NN
import Tensor
import XCTest

/// The real Hugging Face `peft` and `transformers` (scripts/peft_interop.py)
/// load lora's exported members and reproduce their logits within 1e-4, and
/// adapters trained with peft import into lora with peft's logits. Runs with
/// the python of $LORA_PEFT_PYTHON (scripts/test sets it from scripts/peft-env),
/// else of ~/.cache/lora/peft-venv when it has peft; skipped otherwise.
final class PeftInteropTests: XCTestCase {
    static let tolerance: Float = 1e-4
    var tinyBertFolder: String { Bundle.module.bundleURL.appendingPathComponent("Fixtures/tiny-bert").path }
    var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/peft_interop.py").path
    }
    var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nn-peft-interop-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    static func run(_ python: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A python with peft and transformers, or a skip saying how to get one.
    func peftPython() throws -> String {
        let env = ProcessInfo.processInfo.environment["LORA_PEFT_PYTHON"]
        if let e = env, e.isEmpty { throw XCTSkip("LORA_PEFT_PYTHON is empty: no python with peft and transformers; set it to the path scripts/peft-env prints") }
        let python = env ?? NSHomeDirectory() + "/.cache/lora/peft-venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python),
              (try? Self.run(python, ["-c", "import peft, transformers"]))?.status == 0 else {
            throw XCTSkip("\(python) has no peft and transformers; run scripts/peft-env once (a small venv on Debian's python3-torch with pinned peft and transformers)")
        }
        return python
    }

    /// all-MiniLM-L6-v2 when scripts/get-model minilm installed it.
    static var miniLMFolder: String? {
        let models = ProcessInfo.processInfo.environment["LORA_MODELS"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory() + "/.cache/lora/models"
        let f = models + "/minilm"
        return FileManager.default.fileExists(atPath: f + "/model.safetensors") ? f : nil
    }

    func testPeftLoadsEveryExportedMemberWithLorasLogits() throws {
        let python = try peftPython()
        let texts = ["wheat and corn prices rose", "the committee met on tuesday", "a short one",
                     "Grain exports fell sharply last week, the ministry said."]
        var cases: [(String, String, LoRAOptions)] = [
            ("paper", tinyBertFolder, LoRAOptions(members: 3, rank: 2, seed: 1)),
            ("alpha-layers-targets", tinyBertFolder, LoRAOptions(members: 2, rank: 3, targets: [.q, .v, .o], alpha: 6, seed: 2, layers: 1..<2)),
        ]
        if let m = Self.miniLMFolder {
            cases.append(("minilm", m, LoRAOptions(members: 4, rank: 4, alpha: 8, seed: 3, layers: 4..<6)))
        } else {
            print("peft check: all-MiniLM-L6-v2 is not installed (scripts/get-model minilm); checked on the tiny BERT only")
        }
        var arguments = [script, "check-export"]
        for (name, model, options) in cases {
            let bert = try BertFiles.load(model, classes: 3, maxTokens: 32, seed: 4)
            let ens = try LoRAEnsemble(backbone: bert, options: options)
            randomizeB(ens.network, seed: 9, std: name == "minilm" ? 0.05 : 0.3)
            let logits = try ens.network.memberLogits(.texts(texts), context: ForwardContext())
            let folder = dir + "/" + name
            try PeftAdapters.export(ens, to: folder)
            let reference = dir + "/\(name).json"
            let values: [Double] = logits.data.map { Double($0) }
            let json: [String: Any] = ["texts": texts, "logits": values, "max_tokens": 32]
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: reference))
            arguments += [folder, reference]
        }
        // One python for every case (importing transformers takes most of the time).
        let r = try Self.run(python, arguments)
        XCTAssertEqual(r.status, 0, r.output)
        let lines = r.output.split(separator: "\n").filter { $0.contains("max |lora - peft|") }
        XCTAssertEqual(lines.count, cases.count, r.output)
        for l in lines { print("peft check: \(l)") }
    }

    func testAdaptersTrainedWithPeftImportWithPeftsLogits() throws {
        let python = try peftPython()
        let r = try Self.run(python, [script, "make-adapters", tinyBertFolder, dir, "--members", "3", "--classes", "3"])
        XCTAssertEqual(r.status, 0, r.output)
        let ref = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/reference.json"))) as! [String: Any]
        let texts = ref["texts"] as! [String]
        let expected = (ref["logits"] as! [NSNumber]).map { $0.floatValue }
        let base = try BertFiles.load(tinyBertFolder, classes: 2, maxTokens: ref["max_tokens"] as! Int, seed: 1)
        let ens = try PeftAdapters.load((0..<3).map { dir + "/member\($0)" }, base: base)
        XCTAssertEqual(ens.options.rank, 2)
        XCTAssertEqual(ens.options.targets, [.q, .v])
        XCTAssertEqual(ens.options.scale, 1.5)
        let logits = try ens.network.memberLogits(.texts(texts), context: ForwardContext())
        XCTAssertEqual(logits.shape, [3, texts.count, 3])
        let worst = maxAbsDiff(logits.data, expected)
        // The adapters were trained: lora's logits differ from the base's head alone.
        XCTAssertGreaterThan(maxAbsDiff(Array(logits.data[0..<(texts.count * 3)]), Array(logits.data[(texts.count * 3)..<(2 * texts.count * 3)])), 1e-3)
        print("peft -> lora: 3 members, \(texts.count) texts: max |lora - peft| = \(worst), tolerance \(Self.tolerance)")
        XCTAssertLessThanOrEqual(worst, Self.tolerance)
    }
}
