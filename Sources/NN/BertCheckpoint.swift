import Foundation
import Text

/// What a checkpoint records to rebuild a BERT: its sizes, its vocabulary and
/// its tokenizer settings (so the file alone is enough).
extension Bert: BackboneCheckpoint {
    static var family: String { "bert" }

    var checkpointRecipe: [String: String] {
        ["config": Checkpoint.json(config),
         "vocabulary": tokenizer.vocabulary.joined(separator: "\n"), "tokenizer": Checkpoint.json(tokenizer.settings)]
    }

    static func plannedParameters(_ md: CheckpointMetadata) throws -> Double {
        let c = try md.json("config", as: BertConfig.self, what: "BERT configuration")
        try checkSizes([("vocabulary size", c.vocabularySize), ("hidden size", c.hidden), ("layers", c.layers), ("heads", c.heads),
                        ("intermediate size", c.intermediate), ("positions", c.maxPositions), ("token types", c.typeVocabularySize),
                        ("classes", c.classes), ("max tokens", c.maxTokens)], md)
        try checkEpsilon(c.eps, md)
        do { try c.validate() } catch { throw md.fail("its BERT configuration: \(error)") }
        let d = Double(c.hidden), i = Double(c.intermediate)
        let attention: Double = 4 * linearParameters(d, d) + 2 * d
        let block: Double = attention + linearParameters(d, i) + linearParameters(i, d) + 2 * d
        let rows: Double = Double(c.vocabularySize) + Double(c.maxPositions) + Double(c.typeVocabularySize)
        let embeddings: Double = rows * d + 2 * d
        return embeddings + Double(c.layers) * block + linearParameters(d, Double(c.classes))
    }

    static func rebuild(_ md: CheckpointMetadata) throws -> Backbone {
        let config = try md.json("config", as: BertConfig.self, what: "BERT configuration")
        let settings = try md.json("tokenizer", as: WordPieceSettings.self, what: "tokenizer settings")
        let vocabulary = try md.string("vocabulary")
        let tokenizer: WordPieceTokenizer
        do {
            tokenizer = try WordPieceTokenizer(vocabulary: vocabulary.components(separatedBy: "\n"), settings: settings)
        } catch let e as TextError { throw md.fail("its vocabulary: \(e)") }
        return try Bert(config, tokenizer: tokenizer, seed: 0)
    }
}
