import Foundation
import XCTest
@testable import Text

/// Every Unicode code point against Hugging Face `tokenizers`
/// (Fixtures/bert_characters.txt, written by scripts/gen_text_fixtures.py):
/// its classes (removed, space, CJK, punctuation, non-spacing mark, changed
/// by NFD, combining) and its normalized form, with and without accent
/// stripping.
final class BertCharacterTests: XCTestCase {
    struct Reference {
        var classes = [UInt8](repeating: 0, count: 0x110000)
        var full: [UInt32: [UInt32]] = [:]
        var lower: [UInt32: [UInt32]] = [:]
    }

    static func reference() throws -> Reference {
        let url = try HuggingFaceFixtureTests.fixtureURL("bert_characters", "txt")
        let text = try String(contentsOf: url, encoding: .utf8)
        var ref = Reference()
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: " ")
            let hex = { (s: Substring) in UInt32(s, radix: 16)! }
            switch f[0] {
            case "C":
                for c in hex(f[1])...hex(f[2]) { ref.classes[Int(c)] = UInt8(f[3])! }
            case "F": ref.full[hex(f[1])] = f.dropFirst(2).map(hex)
            case "L": ref.lower[hex(f[1])] = f.dropFirst(2).map(hex)
            default: XCTFail("unexpected line \(line)")
            }
        }
        return ref
    }

    func testClassesOfEveryCodePoint() throws {
        let ref = try Self.reference()
        XCTAssertGreaterThan(ref.classes.filter { $0 & 8 != 0 }.count, 500)
        var wrong: [String] = []
        for c in UInt32(0)..<0x110000 where !(0xD800...0xDFFF).contains(c) {
            let bits = ref.classes[Int(c)]
            let mine: UInt8 = (BertCharacters.isRemoved(c) ? 1 : 0) | (BertCharacters.isWhitespace(c) && c != 0x20 ? 2 : 0)
                | (BertCharacters.isCJK(c) ? 4 : 0) | (BertCharacters.isPunctuation(c) ? 8 : 0)
                | (BertCharacters.isNonspacingMark(c) ? 16 : 0) | (BertCharacters.isDecomposable(c) ? 32 : 0)
                | (BertCharacters.combiningClass(c) != 0 ? 64 : 0)
            if mine != bits { wrong.append(String(format: "U+%04X: %d, tokenizers %d", c, mine, bits)) }
        }
        XCTAssertEqual(wrong.count, 0, wrong.prefix(20).joined(separator: "\n"))
    }

    func testNormalizationOfEveryCodePoint() throws {
        let ref = try Self.reference()
        XCTAssertGreaterThan(ref.full.count, 10_000)   // Hangul syllables, accented letters, capitals
        XCTAssertGreaterThan(ref.lower.count, 1_000)
        let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
        let stripping = try WordPieceTokenizer(vocabulary: vocabulary, lowercase: true)
        let lowering = try WordPieceTokenizer(vocabulary: vocabulary, lowercase: true, stripAccents: false)
        for (tok, map, name) in [(stripping, ref.full, "lowercase + strip accents"), (lowering, ref.lower, "lowercase")] {
            var wrong: [String] = []
            for c in UInt32(0)..<0x110000 where !(0xD800...0xDFFF).contains(c) {
                if c == 0x09 || c == 0x0A || c == 0x0D || c == 0x20 { continue }   // word separators, checked above
                let bits = ref.classes[Int(c)]
                let expected: [UInt32] = bits & 1 != 0 ? [] : bits & 2 != 0 ? [0x20]
                    : map[c] ?? (bits & 4 != 0 ? [0x20, c, 0x20] : [c])
                let got = tok.normalizedScalars(String(Unicode.Scalar(c)!))
                if got != expected {
                    wrong.append(String(format: "U+%04X: ", c) + "\(got.map { String($0, radix: 16) }) vs \(expected.map { String($0, radix: 16) })")
                }
            }
            XCTAssertEqual(wrong.count, 0, "\(name):\n" + wrong.prefix(20).joined(separator: "\n"))
        }
    }

    /// NFD reorders combining marks by combining class across a whole run,
    /// which a per-character table cannot show: "a" + U+0301 (230) + U+0316
    /// (220) becomes "a" + U+0316 + U+0301 before the marks are dropped, and
    /// U+1D165 (a spacing mark, class 216) stays after its neighbours are sorted.
    func testCanonicalOrderingSurvivesStripping() throws {
        let tok = try WordPieceTokenizer(vocabulary: ["[PAD]", "[UNK]", "[CLS]", "[SEP]"], lowercase: true)
        XCTAssertEqual(tok.normalizedScalars("A\u{301}\u{316}"), [0x61])
        XCTAssertEqual(tok.normalizedScalars("x\u{1D16D}\u{1D165}"), [0x78, 0x1D165, 0x1D16D])
        let keep = try WordPieceTokenizer(vocabulary: ["[PAD]", "[UNK]", "[CLS]", "[SEP]"], lowercase: false, stripAccents: false)
        XCTAssertEqual(keep.normalizedScalars("A\u{301}\u{316}"), [0x41, 0x301, 0x316])
    }
}
