import Foundation
import XCTest
@testable import Text

/// The tokenizer against Hugging Face `tokenizers` on all-MiniLM-L6-v2's own
/// tokenizer.json (Tests/TextTests/Fixtures/tokenizer_cases.json, written by
/// scripts/gen_text_fixtures.py): Reuters grain articles, fortunes, accents,
/// CJK, emoji, punctuation runs, numbers, URLs, long words, control
/// characters, special tokens in the text and random mixtures. Ids, tokens
/// and masks must be equal, untruncated, truncated and in padded batches.
final class HuggingFaceFixtureTests: XCTestCase {
    struct Case: Decodable {
        var name: String
        var text: String
        var ids: [Int32]
        var tokens: [String]
        var ids512: [Int32]?
        var ids128: [Int32]?
        var ids3: [Int32]
        var ids2: [Int32]
    }
    struct Batch: Decodable {
        var indices: [Int]
        var max_length: Int
        var ids: [[Int32]]
        var mask: [[Int]]
    }
    struct Fixture: Decodable {
        var tokenizers: String
        var cases: [Case]
        var batches: [Batch]
    }

    static func fixtureURL(_ name: String, _ ext: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"),
                      "Fixtures/\(name).\(ext) is missing; run scripts/gen_text_fixtures.py")
    }

    static func miniLM() throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabularyFile: fixtureURL("vocab", "txt").path,
                               configFile: fixtureURL("tokenizer_config", "json").path)
    }

    static func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: fixtureURL("tokenizer_cases", "json")))
    }

    func testFixtureIsVaried() throws {
        let f = try Self.fixture()
        XCTAssertGreaterThanOrEqual(f.cases.count, 300)
        for prefix in ["reuters-", "fortune-", "crafted-", "random-"] {
            XCTAssertGreaterThan(f.cases.filter { $0.name.hasPrefix(prefix) }.count, 40, prefix)
        }
        // Some texts really are truncated at 128 and at 512, and some hold unknown words.
        XCTAssertGreaterThan(f.cases.filter { $0.ids128 != nil }.count, 50)
        XCTAssertGreaterThan(f.cases.filter { $0.ids512 != nil }.count, 3)
        XCTAssertGreaterThan(f.cases.filter { $0.ids.contains(100) }.count, 20)
    }

    func testIDsAndTokensEqualHuggingFace() throws {
        let tok = try Self.miniLM()
        let f = try Self.fixture()
        var failures = 0
        for c in f.cases {
            let full = tok.encode(c.text, maxLength: Int.max)
            if full.ids != c.ids || full.tokens != c.tokens {
                failures += 1
                if failures <= 10 {
                    XCTFail("\(c.name) \(c.text.debugDescription.prefix(200)):\n lora \(full.tokens.prefix(60))\n   hf \(c.tokens.prefix(60))")
                }
                continue
            }
            XCTAssertEqual(tok.pieces(c.text), Array(c.tokens.dropFirst().dropLast()), c.name)
            XCTAssertEqual(tok.encode(c.text, maxLength: 512).ids, c.ids512 ?? c.ids, "\(c.name) at 512")
            XCTAssertEqual(tok.encode(c.text, maxLength: 128).ids, c.ids128 ?? c.ids, "\(c.name) at 128")
            XCTAssertEqual(tok.encode(c.text, maxLength: 3).ids, c.ids3, "\(c.name) at 3")
            XCTAssertEqual(tok.encode(c.text, maxLength: 2).ids, c.ids2, "\(c.name) at 2")
        }
        XCTAssertEqual(failures, 0, "\(failures) of \(f.cases.count) texts differ from tokenizers \(f.tokenizers)")
    }

    func testPaddedBatchesEqualHuggingFace() throws {
        let tok = try Self.miniLM()
        let f = try Self.fixture()
        XCTAssertGreaterThanOrEqual(f.batches.count, 10)
        for (b, batch) in f.batches.enumerated() {
            let texts = batch.indices.map { f.cases[$0].text }
            let got = tok.encode(batch: texts, maxLength: batch.max_length)
            XCTAssertEqual(got.count, texts.count)
            XCTAssertEqual(got.length, batch.ids[0].count, "batch \(b)")
            XCTAssertEqual(got.lengths, batch.mask.map { $0.reduce(0, +) }, "batch \(b)")
            guard got.length == batch.ids[0].count else { continue }
            for r in 0..<texts.count {
                let span = r * got.length ..< (r + 1) * got.length
                XCTAssertEqual(Array(got.row(r)), batch.ids[r], "batch \(b), row \(r)")
                XCTAssertEqual(Array(got.ids[span]), batch.ids[r], "batch \(b), row \(r)")
                XCTAssertEqual(Array(got.mask[span]), batch.mask[r].map(Float.init), "batch \(b), row \(r)")
            }
        }
        // The batches pad: some rows are shorter than their batch.
        XCTAssertTrue(f.batches.contains { $0.mask.contains { $0.contains(0) } })
    }
}
