import Foundation
import XCTest
@testable import Lang

/// What the tutorials needed from the language: `write_text` (files made in a
/// notebook), `normalize(like:)` (training statistics applied to other
/// sets) and `compare(..., ood:, costs:)` (one table of every method).
final class DomainTutorialToolsTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "lora-tutorial-tools-\(getpid())-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func read(_ name: String) throws -> String { try String(contentsOfFile: dir + "/" + name, encoding: .utf8) }

    func testWriteTextWritesStringsAndListsOfLines() throws {
        let out = try runScript("""
        print(write_text("\(dir)/a.txt", "x,y\\n1,2"))
        write_text("\(dir)/b.csv", ["review,verdict", "\\"Good, really\\",good", "Bad.,bad", "é \\u{1F600},good"])
        write_text("\(dir)/empty.txt", [])
        let d = load_csv("\(dir)/b.csv", text: "review", label: "verdict")
        print(d.count, d.class_names, d[0].text)
        """)
        XCTAssertEqual(try read("a.txt"), "x,y\n1,2")
        XCTAssertEqual(try read("b.csv"), "review,verdict\n\"Good, really\",good\nBad.,bad\né \u{1F600},good\n")
        XCTAssertEqual(try read("empty.txt"), "")
        XCTAssertEqual(out, "\(dir)/a.txt\n3 [\"bad\", \"good\"] Good, really\n")
        // Replaces an existing file, leaving no temporary behind.
        _ = try runScript("write_text(\"\(dir)/a.txt\", \"new\")")
        XCTAssertEqual(try read("a.txt"), "new")
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir).contains { $0.hasPrefix(".lora-") })
    }

    func testWriteTextErrors() throws {
        var e = scriptError("write_text(\"\(dir)/x.txt\", [\"a\", 3])")
        XCTAssertEqual(e?.message, "write_text writes strings, but item 1 of the list is an int")
        XCTAssertEqual(e?.remedy, "turn it into text first, e.g. str(x)")
        e = scriptError("write_text(\"\(dir)/x.txt\", 3.5)")
        XCTAssertEqual(e?.message, "write_text needs a string or a list of strings, not a float")
        e = scriptError("write_text(\"\", \"a\")")
        XCTAssertEqual(e?.message, "the path is empty")
        e = scriptError("write_text(\"\(dir)\", \"a\")")
        XCTAssertTrue(e?.message.contains("cannot write \(dir)") ?? false, e?.message ?? "")
        e = scriptError("write_text(\"\(dir)/missing/x.txt\", \"a\")")
        XCTAssertTrue(e?.message.contains("does not exist") ?? false, e?.message ?? "")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.txt"))
    }

    /// Pixels as numbers, from a list the language printed.
    func numbers(_ text: String) -> [Double] {
        text.replacingOccurrences(of: "[", with: " ").replacingOccurrences(of: "]", with: " ")
            .replacingOccurrences(of: "(", with: " ").replacingOccurrences(of: ")", with: " ")
            .split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" }).compactMap { Double($0) }
    }

    func testNormalizeLikeAppliesTheTrainingStatistics() throws {
        let (s, _) = try tinySession("""
        let tr = train.normalize()
        let te = test.normalize(like: tr)
        """)
        // The statistics are the training pixels' own mean and (population) standard deviation.
        var pixels: [Double] = []
        for i in 0..<160 { pixels += numbers(try runREPL(["train[\(i)].pixels"], session: s)) }
        let m = pixels.reduce(0, +) / Double(pixels.count)
        let sd = (pixels.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(pixels.count)).squareRoot()
        let stats = numbers(try runREPL(["tr.normalization"], session: s))
        XCTAssertEqual(stats.count, 2)
        XCTAssertEqual(stats[0], m, accuracy: 1e-5)
        XCTAssertEqual(stats[1], sd, accuracy: 1e-5)
        // The test set is mapped with them, not with its own.
        let raw = numbers(try runREPL(["test[5].pixels"], session: s))
        let mapped = numbers(try runREPL(["te[5].pixels"], session: s))
        XCTAssertEqual(raw.count, 64)
        for (x, y) in zip(raw, mapped) { XCTAssertEqual(y, (x - m) / sd, accuracy: 1e-4) }
        XCTAssertEqual(numbers(try runREPL(["te.normalization"], session: s)), stats)
        XCTAssertNotEqual(numbers(try runREPL(["test.normalize().normalization"], session: s)), stats)
        XCTAssertEqual(try runREPL(["print(test.normalization)"], session: s), "nil\n")
        // Applying the same statistics again changes nothing.
        XCTAssertEqual(try runREPL(["te.normalize(like: tr)[5].pixels == te[5].pixels"], session: s), "true\n")
    }

    func testNormalizeLikeErrors() throws {
        var e = scriptError(tinySetup + "\ntest.normalize(like: train)")
        XCTAssertEqual(e?.message, "'digits' is not normalized, so it has no statistics to apply")
        XCTAssertEqual(e?.remedy, "normalize the training set first: let tr = train.normalize(), then normalize(like: tr)")
        e = scriptError(tinySetup + "\ntest.normalize().normalize(like: train.normalize())")
        XCTAssertEqual(e?.message, "'digits' is already normalized with other statistics")
        e = scriptError(tinySetup + "\ntest.normalize(like: 3)")
        XCTAssertNotNil(e)
        e = scriptError("dataset(\"fortunes\").normalize(like: dataset(\"digits\").normalize())")
        XCTAssertNotNil(e)
    }

    func testCompareAddsOODAndCosts() throws {
        let (s, _) = try tinySession("""
        base.fit(train, epochs: 2, lr: 3e-3, seed: 1)
        let ens = lora_ensemble(base, members: 3, rank: 2, gain: 2, seed: 2)
        ens.fit(train, epochs: 1, lr: 1e-2, seed: 1)
        let other = dataset("digits").classes([8, 9])[0..<60]
        let c = compare([base, ens], on: test, ood: other, costs: true)
        """)
        let table = try runREPL(["c.table"], session: s)
        for w in ["OOD AUROC", "memory", "predict time", "OOD AUROC of entropy against digits", "memory = parameters + AdamW state"] {
            XCTAssertTrue(table.contains(w), "\(w) missing in\n\(table)")
        }
        // The column is each model's ood() AUROC of the same score.
        let aurocs = numbers(try runREPL(["c.ood_auroc"], session: s))
        XCTAssertEqual(aurocs.count, 2)
        XCTAssertEqual(aurocs[0], numbers(try runREPL(["ood(base, in: test, out: other).auroc"], session: s))[0], accuracy: 1e-12)
        XCTAssertEqual(aurocs[1], numbers(try runREPL(["ood(ens, in: test, out: other).auroc"], session: s))[0], accuracy: 1e-12)
        // By mutual information a single network cannot tell anything apart: every score is 0.
        let mi = numbers(try runREPL(["compare([base, ens], on: test, ood: other, score: \"mutual_info\").ood_auroc"], session: s))
        XCTAssertEqual(mi[0], 0.5, accuracy: 1e-12)
        XCTAssertEqual(mi[1], numbers(try runREPL(["ood(ens, in: test, out: other, score: \"mutual_info\").auroc"], session: s))[0], accuracy: 1e-12)
        // Memory is what the model's summary reports.
        let echo = try runREPL(["ens"], session: s)
        let memory = echo.components(separatedBy: "\n").first { $0.hasPrefix("memory: ") }!.components(separatedBy: " = ").last!
        XCTAssertTrue(table.contains(memory), "\(memory) not in\n\(table)")
        let times = numbers(try runREPL(["c.predict_time"], session: s))
        XCTAssertEqual(times.count, 2)
        XCTAssertTrue(times.allSatisfy { $0 > 0 && $0 < 60 })
        // Without the options the table is as before.
        let plain = try runREPL(["compare([base, ens], on: test).table"], session: s)
        XCTAssertFalse(plain.contains("OOD") || plain.contains("memory") || plain.contains("predict time"), plain)
        XCTAssertEqual(try runREPL(["print(compare([base], on: test).ood_auroc)"], session: s), "nil\n")
        // The chart gains the AUROC bars.
        XCTAssertTrue(try runREPL(["c"], session: s).contains("OOD AUROC  "))
    }

    func testCompareOptionErrors() throws {
        var e = scriptError(tinySetup + "\ncompare([base], on: test, score: \"mutual_info\")")
        XCTAssertEqual(e?.message, "score: chooses the OOD score, but no ood: data was given")
        e = scriptError(tinySetup + "\ncompare([base], on: test, ood: test, score: \"entropie\")")
        XCTAssertEqual(e?.remedy, "did you mean 'entropy'?")
        e = scriptError(tinySetup + "\ncompare([base], on: test, ood: test.resize(to: 4))")
        XCTAssertTrue(e?.message.contains("is not of the kind of") ?? false, e?.message ?? "")
        XCTAssertEqual(e?.remedy, "resize them first, e.g. other.resize(to: 8)")
        e = scriptError(tinySetup + "\ncompare([base], on: test, ood: dataset(\"fortunes\"))")
        XCTAssertNotNil(e)
    }
}
