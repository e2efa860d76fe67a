import Foundation
import XCTest

/// Domain scripts through the built `lora` binary: output, progress, files, errors.
final class DomainScriptTests: XCTestCase {
    let setup = """
    let digits = dataset("digits")
    let train = digits[0..<160]
    let test = digits[1600..<1700]
    let base = vit(image: 8, patch: 4, dim: 16, depth: 1, heads: 2, classes: 10, seed: 1)

    """

    func testTrainingScriptPrintsReportAndPlainProgress() throws {
        let dir = try ScratchDirectory()
        try dir.write("train.lora", setup + """
        base.fit(train, epochs: 2, lr: 3e-3, batch: 16, seed: 1)
        let ens = lora_ensemble(base, members: 2, rank: 2, seed: 1)
        ens.fit(train, epochs: 2, lr: 1e-2, seed: 1)
        print(compare([base, ens], on: test))
        ens.save("ens.safetensors")
        print(load_model("ens.safetensors").evaluate(test).nll == ens.evaluate(test).nll)
        reliability(ens, test).save("rel.svg")
        """)
        let r = try lora(["train.lora"], directory: dir.path, environment: ["NO_COLOR": "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("trained ViT for 2 epochs (20 steps)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Comparison on digits"), r.stdout)
        XCTAssertTrue(r.stdout.contains("LoRA-Ensemble"), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("true\n"), r.stdout)
        XCTAssertFalse(r.stdout.contains("\u{1B}"), "no escapes when not a terminal")
        // Progress: one plain line per epoch on stderr, no carriage returns.
        let progress = r.stderr.split(separator: "\n")
        XCTAssertEqual(progress.filter { $0.hasPrefix("ViT  epoch") }.count, 2, r.stderr)
        XCTAssertEqual(progress.filter { $0.hasPrefix("LoRA-Ensemble  epoch") }.count, 2, r.stderr)
        XCTAssertFalse(r.stderr.contains("\r"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path + "/rel.svg"))
        // --quiet drops progress and the "trained" lines.
        let q = try lora(["-q", "train.lora"], directory: dir.path)
        XCTAssertEqual(q.status, 0)
        XCTAssertEqual(q.stderr, "")
        XCTAssertFalse(q.stdout.contains("trained ViT"))
    }

    func testDomainErrorsHavePlaceCaretAndRemedy() throws {
        let dir = try ScratchDirectory()
        let cases: [(String, String, [String])] = [
            ("name", "let d = dataset(\"digts\")",
             ["name.lora:1:17: error: unknown data set \"digts\"", "1 | let d = dataset(\"digts\")", "note: did you mean 'digits'?"]),
            ("member", setup + "let ens = lora_ensemble(base, members: 3)\nens.attention(test[0], member: 9)",
             ["member.lora:6:", "error: member 9 is out of range: LoRA-Ensemble has 3 members (0..<3)", "note: use a member in 0..<3"]),
            ("layer", setup + "base.attention(test[0], layer: 4)",
             ["layer.lora:5:", "error: layer 4 is out of range: the model has 1 layer (0..<1)"]),
            ("missing", "let m = load_model(\"nowhere.safetensors\")",
             ["missing.lora:1:9: error: checkpoint '", "nowhere.safetensors': no such file; check the path"]),
            ("csv", "load_csv(\"absent.csv\")", ["csv.lora:1:1: error: absent.csv: no such file"]),
            ("type", setup + "base.fit(\"train\")", ["type.lora:5:", "error: argument 'data' of Model.fit must be a Dataset"]),
            ("size", setup + "base.fit(digits.resize(to: 16), epochs: 1)", ["size.lora:5:", "1x16x16 but the model expects 1x8x8"]),
        ]
        for (name, source, expected) in cases {
            try dir.write("\(name).lora", source)
            let r = try lora(["\(name).lora"], directory: dir.path)
            XCTAssertEqual(r.status, 1, name)
            for e in expected { XCTAssertTrue(r.stderr.contains(e), "\(name): expected \(e) in\n\(r.stderr)") }
            XCTAssertTrue(r.stderr.contains("^"), "\(name) has no caret:\n\(r.stderr)")
        }
    }

    func testPipedREPLEchoesDomainValues() throws {
        let r = try lora([], stdin: setup + "base\ntest[0..<2]\nbase.attention(test[0])\n:help lora_ensemble\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("not trained yet"), r.stdout)
        XCTAssertTrue(r.stdout.contains("digits: 2 images 1x8x8"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Class-token attention of ViT on sample #0"), r.stdout)
        XCTAssertTrue(r.stdout.contains("lora_ensemble(base, members: 16, rank: 4"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Example:"), r.stdout)
    }

    func testColourFollowsLORA_COLOR() throws {
        let r = try lora(["-e", setup + "print(base.attention(test[0]))"], environment: ["LORA_COLOR": "truecolor"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\u{1B}[38;2;"), r.stdout)
        let plain = try lora(["-e", setup + "print(base.attention(test[0]))"])
        XCTAssertFalse(plain.stdout.contains("\u{1B}"))
    }
}
