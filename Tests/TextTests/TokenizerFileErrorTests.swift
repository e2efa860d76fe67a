import Foundation
import XCTest
import Text

/// Bad vocab.txt and tokenizer_config.json files: each gives a TextError that
/// names the file (and line), says what is wrong and what to do.
final class TokenizerFileErrorTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "text-errors-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    func error(_ body: () throws -> WordPieceTokenizer) -> TextError? {
        do {
            _ = try body()
            XCTFail("no error")
            return nil
        } catch let e as TextError {
            return e
        } catch {
            XCTFail("not a TextError: \(error)")
            return nil
        }
    }

    let specials = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n"

    func testMissingVocabulary() throws {
        let path = dir + "/nothing/vocab.txt"
        let e = try XCTUnwrap(error { try WordPieceTokenizer(vocabularyFile: path, configFile: nil) })
        XCTAssertEqual(e.file, path)
        XCTAssertEqual(e.description, "\(path): no such file; give the path of the model's vocab.txt (it sits beside config.json and the weights)")
    }

    func testDirectoryInsteadOfVocabulary() throws {
        let e = try XCTUnwrap(error { try WordPieceTokenizer(vocabularyFile: self.dir, configFile: nil) })
        XCTAssertTrue(e.description.hasPrefix("\(dir!): is a directory, not a file; give the path of the vocab.txt inside it"), e.description)
    }

    func testEmptyVocabulary() throws {
        let path = try write("vocab.txt", "")
        let e = try XCTUnwrap(error { try WordPieceTokenizer(vocabularyFile: path, configFile: nil) })
        XCTAssertEqual(e.file, path)
        XCTAssertEqual(e.problem, "is empty")
        XCTAssertTrue(e.remedy.contains("one UTF-8 token per line"))
        XCTAssertNotNil(error { try WordPieceTokenizer(vocabulary: []) })
    }

    func testVocabularyThatIsNotUTF8() throws {
        // Line 6 holds Latin-1 "caf\xE9".
        let path = try write("vocab.txt", Array((specials + "hello\n").utf8) + [0x63, 0x61, 0x66, 0xE9, 0x0A] + Array("world\n".utf8))
        let e = try XCTUnwrap(error { try WordPieceTokenizer(vocabularyFile: path, configFile: nil) })
        XCTAssertEqual(e.line, 6)
        XCTAssertEqual(e.description, "\(path), line 6: is not valid UTF-8 (byte offset 33); a BERT vocab.txt holds one UTF-8 token per line ([PAD], [UNK], [CLS], [SEP], ...); use the model's own file")
    }

    func testDuplicateToken() throws {
        let path = try write("vocab.txt", specials + "grain\nwheat\ngrain\n")
        let e = try XCTUnwrap(error { try WordPieceTokenizer(vocabularyFile: path, configFile: nil) })
        XCTAssertEqual(e.line, 7)
        XCTAssertEqual(e.problem, "lists \"grain\" again (first at line 5)")
        // Canonically equivalent spellings are different tokens, as in Hugging Face.
        XCTAssertNoThrow(try WordPieceTokenizer(vocabulary: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "\u{E9}", "e\u{301}"]))
        let inMemory = try XCTUnwrap(error { try WordPieceTokenizer(vocabulary: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[UNK]"]) })
        XCTAssertEqual(inMemory.description, "the vocabulary: lists \"[UNK]\" again (first at index 1); every token must appear once; give a vocabulary with one entry per token")
    }

    func testMissingSpecialTokens() throws {
        let path = try write("vocab.txt", "[PAD]\n[CLS]\nhello\n")
        let e = try XCTUnwrap(error { try WordPieceTokenizer(vocabularyFile: path, configFile: nil) })
        XCTAssertEqual(e.file, path)
        XCTAssertEqual(e.problem, "has no [UNK] (the unknown token), [SEP] (the [SEP] token)")
        // The names come from the configuration.
        let config = try write("tokenizer_config.json", #"{"unk_token": "<unk>", "pad_token": {"content": "<pad>", "lstrip": false}}"#)
        let vocab = try write("vocab2.txt", specials)
        let e2 = try XCTUnwrap(error { try WordPieceTokenizer(vocabularyFile: vocab, configFile: config) })
        XCTAssertEqual(e2.problem, "has no <unk> (the unknown token), <pad> (the padding token)")
    }

    func testCRLFVocabularyAndDefaults() throws {
        let path = try write("vocab.txt", "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhello\r\n##s")
        let tok = try WordPieceTokenizer(vocabularyFile: path, configFile: nil)
        XCTAssertEqual(tok.vocabularySize, 6)
        XCTAssertEqual(tok.token(4), "hello")
        XCTAssertEqual(tok.encode("HELLOS hello!", maxLength: 16).tokens, ["[CLS]", "hello", "##s", "hello", "[UNK]", "[SEP]"])
        XCTAssertEqual(tok.maxLength, 512)
    }

    func testBadConfigurations() throws {
        let vocab = try write("vocab.txt", specials)
        let cases: [(String, String)] = [
            ("{\"do_lower_case\": ", "is not valid JSON"),
            ("[1, 2]", "is not a JSON object"),
            (#"{"do_lower_case": "yes"}"#, "\"do_lower_case\" is not true, false or null"),
            (#"{"model_max_length": "long"}"#, "\"model_max_length\" is not a number"),
            (#"{"model_max_length": 1}"#, "\"model_max_length\" is 1.0; it must be at least 2 ([CLS] and [SEP])"),
            (#"{"unk_token": 7}"#, "\"unk_token\""),
            (#"{"do_basic_tokenize": false}"#, "sets do_basic_tokenize to false, which this tokenizer does not support"),
        ]
        for (json, problem) in cases {
            let config = try write("tokenizer_config.json", json)
            let e = try XCTUnwrap(error { try WordPieceTokenizer(vocabularyFile: vocab, configFile: config) }, json)
            XCTAssertEqual(e.file, config, json)
            XCTAssertTrue(e.problem.hasPrefix(problem), "\(json): \(e.problem)")
            XCTAssertFalse(e.remedy.isEmpty)
        }
        let missing = dir + "/tokenizer_config.json.gone"
        let e = try XCTUnwrap(error { try WordPieceTokenizer(vocabularyFile: vocab, configFile: missing) })
        XCTAssertEqual(e.file, missing)
        XCTAssertEqual(e.problem, "no such file")
    }

    func testConfigurationOptions() throws {
        let vocab = try write("vocab.txt", specials + "hello\nhé\nhe\n##llo\n")
        func tokens(_ json: String, _ text: String) throws -> [String] {
            let config = try write("tokenizer_config.json", json)
            return try WordPieceTokenizer(vocabularyFile: vocab, configFile: config).pieces(text)
        }
        XCTAssertEqual(try tokens("{}", "Héllo"), ["hello"])
        XCTAssertEqual(try tokens(#"{"do_lower_case": false}"#, "Héllo hello"), ["[UNK]", "hello"])
        XCTAssertEqual(try tokens(#"{"do_lower_case": true, "strip_accents": false}"#, "HÉllo"), ["hé", "##llo"])
        XCTAssertEqual(try tokens(#"{"do_lower_case": true, "strip_accents": null}"#, "HÉllo"), ["hello"])
        let huge = try write("tokenizer_config.json", #"{"model_max_length": 1000000000000000019884624838656}"#)
        XCTAssertEqual(try WordPieceTokenizer(vocabularyFile: vocab, configFile: huge).maxLength, 512)
        let small = try write("tokenizer_config.json", #"{"model_max_length": 128}"#)
        XCTAssertEqual(try WordPieceTokenizer(vocabularyFile: vocab, configFile: small).maxLength, 128)
    }
}
