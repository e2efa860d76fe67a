import Foundation
import XCTest
import Text

/// The tokenizer's rules on small vocabularies whose answers can be worked
/// out by hand, its limits, and the MiniLM tokenizer's special ids.
final class WordPieceTokenizerTests: XCTestCase {
    let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "runn", "##ing",
                      "run", "##n", ",", "!", "a", "##a", "中", "文", "cafe", "é"]

    func testGreedyLongestMatchFirst() throws {
        let tok = try WordPieceTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tok.pieces("unaffable"), ["un", "##aff", "##able"])
        // "runn" is longer than "run", so it wins even though "run ##n ##ing" would also spell it.
        XCTAssertEqual(tok.pieces("running"), ["runn", "##ing"])
        // No full match: the whole word is one [UNK], not "un ##aff [UNK]".
        XCTAssertEqual(tok.pieces("unaffablex"), ["[UNK]"])
        XCTAssertEqual(tok.pieces("UnAffable, RUNNING!"), ["un", "##aff", "##able", ",", "runn", "##ing", "!"])
        XCTAssertEqual(tok.pieces("中文"), ["中", "文"])
        XCTAssertEqual(tok.pieces("Café"), ["cafe"])
    }

    func testWordLengthLimitCountsScalarsAfterNormalization() throws {
        let tok = try WordPieceTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tok.pieces(String(repeating: "a", count: 100)), ["a"] + Array(repeating: "##a", count: 99))
        XCTAssertEqual(tok.pieces(String(repeating: "a", count: 101)), ["[UNK]"])
        // 100 accented letters are 200 scalars in NFD but 100 after accent stripping.
        XCTAssertEqual(tok.pieces(String(repeating: "\u{E1}", count: 100)).count, 100)
        let keep = try WordPieceTokenizer(vocabulary: vocabulary, lowercase: false)
        XCTAssertEqual(keep.pieces(String(repeating: "\u{E9}", count: 101)), ["[UNK]"])
    }

    func testSpecialTokensWrittenInTheTextStayWhole() throws {
        let tok = try WordPieceTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tok.pieces("a[MASK]a [mask]"), ["a", "[MASK]", "a", "[UNK]", "[UNK]", "[UNK]"])
        XCTAssertEqual(tok.encode("[CLS]", maxLength: 8).ids, [2, 2, 3])
    }

    func testTruncationKeepsSepAndEdgeLengths() throws {
        let tok = try WordPieceTokenizer(vocabulary: vocabulary)
        let text = "unaffable running"
        XCTAssertEqual(tok.encode(text, maxLength: 100).tokens, ["[CLS]", "un", "##aff", "##able", "runn", "##ing", "[SEP]"])
        XCTAssertEqual(tok.encode(text, maxLength: 4).tokens, ["[CLS]", "un", "##aff", "[SEP]"])
        XCTAssertEqual(tok.encode(text, maxLength: 3).tokens, ["[CLS]", "un", "[SEP]"])
        XCTAssertEqual(tok.encode(text, maxLength: 2).tokens, ["[CLS]", "[SEP]"])
        for tooShort in [1, 0, -5, Int.min] {
            XCTAssertEqual(tok.encode(text, maxLength: tooShort).ids, [2, 3], "\(tooShort)")
        }
        XCTAssertEqual(tok.encode("", maxLength: 512).ids, [2, 3])
        XCTAssertEqual(tok.encode(" \t\n\u{0}\u{FFFD}", maxLength: 512).ids, [2, 3])
    }

    func testBatchPadsToTheLongest() throws {
        let tok = try WordPieceTokenizer(vocabulary: vocabulary)
        let b = tok.encode(batch: ["running", "", "unaffable, a"], maxLength: 6)
        XCTAssertEqual(b.count, 3)
        XCTAssertEqual(b.length, 6)
        XCTAssertEqual(b.lengths, [4, 2, 6])
        XCTAssertEqual(b.ids, [2, 8, 9, 3, 0, 0,
                               2, 3, 0, 0, 0, 0,
                               2, 5, 6, 7, 12, 3])
        XCTAssertEqual(b.mask, [1, 1, 1, 1, 0, 0,
                                1, 1, 0, 0, 0, 0,
                                1, 1, 1, 1, 1, 1])
        let empty = tok.encode(batch: [], maxLength: 6)
        XCTAssertEqual(empty.count, 0)
        XCTAssertEqual(empty.length, 0)
        XCTAssertTrue(empty.ids.isEmpty && empty.mask.isEmpty)
    }

    func testMiniLMSpecialsAndLookups() throws {
        let tok = try HuggingFaceFixtureTests.miniLM()
        XCTAssertEqual(tok.vocabularySize, 30522)
        XCTAssertEqual([tok.padID, tok.unkID, tok.clsID, tok.sepID], [0, 100, 101, 102])
        XCTAssertEqual(tok.maxLength, 512)
        XCTAssertEqual(tok.token(101), "[CLS]")
        XCTAssertEqual(tok.token(-1), "[UNK]")
        XCTAssertEqual(tok.token(30522), "[UNK]")
        XCTAssertEqual(tok.id(of: "##ing"), 2075)
        XCTAssertNil(tok.id(of: "no-such-token"))
    }

    /// A megabyte of text (one Reuters article repeated, with accents, CJK and
    /// emoji mixed in, and one 300 kB "word") tokenizes without trouble, in
    /// well under a second, and truncation only pays for the part it keeps.
    func testMegabyteTextIsFast() throws {
        let tok = try HuggingFaceFixtureTests.miniLM()
        let fixture = try HuggingFaceFixtureTests.fixture()
        let article = fixture.cases.first { $0.name.hasPrefix("reuters-") }!.text
        var big = ""
        while big.utf8.count < 700_000 { big += article + " Zürich café 中文 👍🏽 naïve\u{301} " }
        big += String(repeating: "x", count: 300_000)
        XCTAssertGreaterThan(big.utf8.count, 1_000_000)

        var start = Date()
        let pieces = tok.pieces(big)
        let full = Date().timeIntervalSince(start)
        XCTAssertGreaterThan(pieces.count, 100_000)
        XCTAssertEqual(pieces.last, "[UNK]")   // the 300 kB word
        start = Date()
        let truncated = tok.encode(big, maxLength: 512)
        let cut = Date().timeIntervalSince(start)
        XCTAssertEqual(truncated.ids.count, 512)
        XCTAssertEqual(Array(truncated.tokens.dropFirst().dropLast()), Array(pieces.prefix(510)))
        print("megabyte text: \(pieces.count) pieces in \(String(format: "%.3f", full)) s; truncated to 512 in \(String(format: "%.5f", cut)) s")
        XCTAssertLessThan(full, 1.0)
        XCTAssertLessThan(cut, 0.05)
    }

    func testDeterministicAndBatchEqualsSingles() throws {
        let tok = try HuggingFaceFixtureTests.miniLM()
        let fixture = try HuggingFaceFixtureTests.fixture()
        let texts = fixture.cases.map(\.text)
        let once = texts.map { tok.encode($0, maxLength: 128) }
        let twice = texts.map { tok.encode($0, maxLength: 128) }
        XCTAssertEqual(once, twice)
        let other = try HuggingFaceFixtureTests.miniLM()
        XCTAssertEqual(texts.map { other.encode($0, maxLength: 128) }, once)
        let batch = tok.encode(batch: texts, maxLength: 128)
        XCTAssertEqual(batch.length, once.map(\.ids.count).max())
        for (r, single) in once.enumerated() {
            XCTAssertEqual(Array(batch.row(r).prefix(single.ids.count)), single.ids)
            XCTAssertTrue(batch.row(r).dropFirst(single.ids.count).allSatisfy { $0 == Int32(tok.padID) })
            XCTAssertEqual(batch.lengths[r], single.ids.count)
        }
    }
}
