import Foundation
import XCTest
@testable import Lang

/// `tokenize` on texts at the edges: empty, white space only, over the length limit.
final class TokenizeInputTests: XCTestCase {
    /// The tiny BERT of the NN tests (a real config.json, vocab.txt and safetensors).
    var tinyBert: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("NNTests/Fixtures/tiny-bert").path
    }

    func testEmptyTextTokenizesToClsAndSepWithANote() throws {
        let out = try runREPL(["let bert = load_model(\"\(tinyBert)\", max_tokens: 16)", "tokenize(bert, \"\")", "tokenize(bert, \" \\t\\n\").pieces"])
        XCTAssertTrue(out.contains("[CLS]") && out.contains("[SEP]"), out)
        XCTAssertTrue(out.contains("the text has nothing to read (empty, white space or characters BERT drops): only [CLS] and [SEP]"), out)
        XCTAssertTrue(out.hasSuffix("[\"[CLS]\", \"[SEP]\"]\n"), out)
    }

    func testTextOverTheLimitIsRefused() {
        let e = scriptError("let bert = load_model(\"\(tinyBert)\", max_tokens: 16)\ntokenize(bert, \"ab \" * 400000)")
        XCTAssertEqual(e?.message, "the text is 1,200,000 bytes long, over the limit of 1,000,000")
        XCTAssertEqual(e?.remedy, "shorten or split the text; the model reads at most max_tokens word pieces of it")
    }
}
