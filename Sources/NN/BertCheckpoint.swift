import Foundation
import Text

/// What a checkpoint records to rebuild a BERT: its sizes, its vocabulary and
/// its tokenizer settings (so the file alone is enough).
enum BertCheckpoint {
    static func recipe(_ t: Bert) -> [String: String] {
        ["backbone": "bert", "config": Checkpoint.json(t.config),
         "vocabulary": t.tokenizer.vocabulary.joined(separator: "\n"), "tokenizer": Checkpoint.json(t.tokenizer.settings)]
    }

    static func rebuild(_ md: [String: String], path: String) throws -> Bert {
        func fail(_ s: String) -> NNError { .checkpoint(path: path, detail: s) }
        guard let cj = md["config"], let config = try? JSONDecoder().decode(BertConfig.self, from: Data(cj.utf8)) else {
            throw fail("the BERT configuration in the metadata is missing or malformed")
        }
        guard let vocabulary = md["vocabulary"], let tj = md["tokenizer"],
              let settings = try? JSONDecoder().decode(WordPieceSettings.self, from: Data(tj.utf8)) else {
            throw fail("the BERT vocabulary or tokenizer settings are missing from the metadata")
        }
        let tokenizer: WordPieceTokenizer
        do {
            tokenizer = try WordPieceTokenizer(vocabulary: vocabulary.components(separatedBy: "\n"), settings: settings)
        } catch let e as TextError { throw fail("its vocabulary: \(e)") }
        return try Bert(config, tokenizer: tokenizer, seed: 0)
    }
}
