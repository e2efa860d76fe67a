import Foundation
import XCTest
@testable import Lang

/// Text data sets in the language: load_csv(text:), load_arff, the built-in
/// text sets, fields, echo, and errors.
final class DomainTextDataTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "lora-text-data-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func write(_ name: String, _ text: String) throws -> String {
        let p = dir + "/" + name
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func testLoadCSVWithTextColumn() throws {
        let csv = try write("reviews.csv", "id,review,stars\n1,\"Great, really \"\"great\"\"\",good\n2,\"Two\nlines\",bad\n3,Meh,good\n")
        let tsv = try write("reviews.tsv", "review\tstars\nfine\t5\nawful\t1\n")
        let semi = try write("reviews.txt", "review;stars\nok;a\nno;b\n")
        let out = try runScript("""
        let d = load_csv("\(csv)", text: "review", label: "stars")
        print(d.kind, d.count, d.shape, d.class_names, d.labels, d.channels)
        print(d.texts)
        print(d[1].text, d[1].label, d[1].class_name)
        let t = load_csv("\(tsv)", text: 0, label: -1)
        print(t.texts, t.labels, t.class_names)
        let s = load_csv("\(semi)", text: "review", label: "stars", delimiter: ";")
        print(s.texts, s.class_names)
        let (a, b) = d.split(0.5, seed: 1)
        print(a.count + b.count, d.classes(["good"]).texts, d[0..<2].texts, d.shuffle(seed: 2).count)
        print(dataset("digits").kind, dataset("digits").texts)
        """)
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[0], "texts 3 [3] [\"bad\", \"good\"] [1, 0, 1] 0")
        XCTAssertEqual(lines[1], "[\"Great, really \\\"great\\\"\", \"Two\\nlines\", \"Meh\"]")
        XCTAssertEqual(lines[2], "Two")                          // print writes the text as it is
        XCTAssertEqual(lines[3], "lines 0 bad")
        XCTAssertEqual(lines[4], "[\"fine\", \"awful\"] [5, 1] [\"0\", \"1\", \"2\", \"3\", \"4\", \"5\"]")
        XCTAssertEqual(lines[5], "[\"ok\", \"no\"] [\"a\", \"b\"]")
        XCTAssertEqual(lines[6], "3 [\"Great, really \\\"great\\\"\", \"Meh\"] [\"Great, really \\\"great\\\"\", \"Two\\nlines\"] 3")
        XCTAssertEqual(lines[7], "images nil")
    }

    func testLoadARFF() throws {
        let arff = try write("mood.arff", """
        % moods
        @RELATION mood
        @attribute id numeric
        @attribute sentence string
        @attribute mood {happy, 'so so', sad}
        @data
        1, 'I\\'m glad', happy
        2, "meh\\tok", 'so so'
        3, 'it rains', sad
        """)
        let out = try runScript("""
        let d = load_arff("\(arff)")
        print(d.name, d.texts, d.labels, d.class_names)
        print(load_arff("\(arff)", text: "sentence", label: "mood").count)
        """)
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "mood [\"I'm glad\", \"meh\\tok\", \"it rains\"] [0, 1, 2] [\"happy\", \"so so\", \"sad\"]")
        XCTAssertEqual(lines[1], "3")
        var e = scriptError("load_arff(\"\(arff)\", label: \"moood\")")
        XCTAssertTrue(e?.message.contains("no label attribute named 'moood' (closest: 'mood')") ?? false, e?.message ?? "")
        XCTAssertTrue(e?.message.contains("mood.arff") ?? false, e?.message ?? "")
        let bad = try write("bad.arff", "@relation r\n@attribute t string\n@attribute c {a,b}\n@data\n'x',c\n")
        e = scriptError("load_arff(\"\(bad)\")")
        XCTAssertTrue(e?.message.contains("bad.arff at line 5, column 2: label 'c' is not one of the values of 'c'") ?? false, e?.message ?? "")
        XCTAssertEqual(e?.location?.line, 1)
    }

    func testEchoOfTextSetsAndSamplesFitsTheTerminal() throws {
        let long = (0..<200).map { "word\($0)" }.joined(separator: " ")
        let csv = try write("t.csv", "text,label\n\"\(long)\",b\nshort one,a\n")
        let out = try runREPL(["let d = load_csv(\"\(csv)\", text: \"text\")", "d", "d[0]", "d[1]", "d.show(1)"])
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "t: 2 texts, 2 classes (a 1, b 1), characters per text: mean \((long.count + 9 + 1) / 2), max \(long.count)")
        XCTAssertTrue(lines[1].hasPrefix("#0 b: word0 word1 word2"), lines[1])
        XCTAssertEqual(lines[2], "#1 a: short one")
        XCTAssertEqual(lines[3], "sample #0 of t: label 1 (b), text of \(long.count) characters")
        XCTAssertTrue(lines[4].hasPrefix("word0 word1"), lines[4])
        let sample = Array(lines[4..<16])                        // at most 12 lines of text
        XCTAssertTrue(sample.last!.hasSuffix("more characters)"), sample.last!)
        XCTAssertEqual(lines[16], "sample #1 of t: label 0 (a), text of 9 characters")
        XCTAssertEqual(lines[17], "short one")
        XCTAssertTrue(lines[18].hasPrefix("#0 b: word0"), lines[18])
        XCTAssertTrue(lines.allSatisfy { $0.count <= 80 }, out)
        XCTAssertEqual(lines.count, 19, out)
    }

    func testTextErrorsNamePlaceAndRemedy() throws {
        let csv = try write("c.csv", "Text,Label\nhello,a\n")
        var e = scriptError("load_csv(\"\(csv)\", text: \"txt\")")
        XCTAssertTrue(e?.message.contains("c.csv at line 1: no text column named 'txt' (closest: 'Text')") ?? false, e?.message ?? "")
        e = scriptError("load_csv(\"\(csv)\", text: \"Text\", shape: [2, 2])")
        XCTAssertTrue(e?.message.contains("shape: is for images") ?? false, e?.message ?? "")
        e = scriptError("load_csv(\"\(csv)\", delimiter: \";\")")
        XCTAssertTrue(e?.message.contains("delimiter: is for text files") ?? false, e?.message ?? "")
        e = scriptError("load_csv(\"\(csv)\", text: \"Text\", delimiter: \"ab\")")
        XCTAssertTrue(e?.message.contains("one ASCII character") ?? false, e?.message ?? "")
        e = scriptError("load_csv(\"\(csv)\", text: 1.5)")
        XCTAssertTrue(e?.message.contains("text must be a column name or index") ?? false, e?.message ?? "")
        let d = "load_csv(\"\(csv)\", text: \"Text\")"
        e = scriptError(d + ".normalize()")
        XCTAssertTrue(e?.message.contains("'c' holds texts, not images") ?? false, e?.message ?? "")
        e = scriptError(d + ".resize(to: 8)")
        XCTAssertTrue(e?.message.contains("holds texts, not images, so resize does not apply") ?? false, e?.message ?? "")
        e = scriptError(d + "[0].pixels")
        XCTAssertEqual(e?.kind, .type)
        XCTAssertEqual(e?.remedy, "use .text")
        // An image model's ood() given texts says so, not "resize".
        e = scriptError("let m = vit(image: 8, patch: 4, dim: 8, depth: 1, heads: 1, classes: 10)\nood(m, in: dataset(\"digits\")[0..<20], out: \(d))")
        XCTAssertTrue(e?.message.contains("out-of-distribution data 'c' holds texts but in-distribution data 'digits' holds images") ?? false, e?.message ?? "")
        e = scriptError("load_arff(\"\(dir)/none.arff\")")
        XCTAssertTrue(e?.message.contains("no such file") ?? false, e?.message ?? "")
        e = scriptError("dataset(\"reuters-grian\")")
        XCTAssertEqual(e?.remedy, "did you mean 'reuters-grain'?")
    }

    func testBuiltinTextSets() throws {
        let out: String
        do {
            out = try runREPL(["let r = dataset(\"reuters-grain\")", "r", "r[1]", "dataset(\"fortunes\")", "len(dataset(\"reuters-corn-train\"))"])
        } catch let e as LangError where e.message.contains("is not installed") {
            print("NOTICE: text data not installed (./scripts/test installs it): \(e.message)")
            throw XCTSkip("Reuters or fortunes not installed")
        }
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasPrefix("reuters-grain: 2158 texts, 2 classes (other 1998, grain 160), characters per text: mean "), lines[0])
        XCTAssertTrue(lines[0].hasSuffix("official split 1554 train + 604 test"), lines[0])
        XCTAssertEqual(lines[1], "#0 other: BAHIA COCOA REVIEW Showers continued throughout the week in the Bahia…")
        XCTAssertTrue(out.contains("sample #1 of reuters-grain: label 1 (grain), text of "), out)
        XCTAssertTrue(out.contains("\nNATIONAL AVERAGE PRICES FOR FARMER-OWNED RESERVE"), out)
        XCTAssertTrue(out.contains("fortunes: 431 texts, 1 class (fortune 431)"), out)
        XCTAssertTrue(out.hasSuffix("1554\n"), out)
    }

    func testTextBuiltinsHaveHelp() throws {
        let table = BuiltinTable.standard()
        for n in ["load_arff", "load_csv", "dataset"] {
            guard let b = table.lookup(n) else { XCTFail("missing builtin \(n)"); continue }
            XCTAssertNotNil(b.help.example, n)
            XCTAssertNotNil(b.help.returns, n)
        }
        XCTAssertTrue(table.lookup("load_csv")!.help.render().contains("text:"))
        XCTAssertTrue(table.lookup("dataset")!.help.render().contains("reuters-grain"))
        XCTAssertTrue(table.lookup("load_arff")!.help.render().hasPrefix("load_arff(path, text:, label:)"))
    }
}
