/// BERT's WordPiece tokenizer, token for token what Hugging Face `tokenizers`
/// (BertNormalizer + BertPreTokenizer + WordPiece, the "fast" BertTokenizer)
/// produces from the same vocab.txt and tokenizer_config.json.
///
/// A text is cleaned (control and format characters removed, whitespace made
/// spaces), CJK ideographs are split apart, accents are stripped and letters
/// lowercased when configured, words are split at whitespace and punctuation,
/// and each word becomes its greedy longest-match-first pieces ("##" marks a
/// piece that continues a word); a word without a full match, or longer than
/// 100 Unicode scalars, becomes [UNK]. Special tokens written in a text
/// ("[MASK]") are kept whole, as the library does. See TokenizationPass.
public struct WordPieceTokenizer: Sendable {
    /// The longest input when the configuration gives none (BERT's 512).
    public static let defaultMaxLength = 512
    /// model_max_length values from here up mean "no limit" (Hugging Face writes 1e30).
    static let unlimitedMaxLength = 1_000_000

    /// The tokens; a token's id is its index.
    public let vocabulary: [String]
    /// The options the tokenizer was built with (from tokenizer_config.json).
    public let settings: WordPieceSettings
    private let rules: TokenizationRules
    public let padID: Int
    public let unkID: Int
    public let clsID: Int
    public let sepID: Int
    /// The longest input the model takes ([CLS] and [SEP] included): the
    /// configuration's model_max_length, or 512 when it gives none or "no limit".
    public let maxLength: Int

    /// The tokenizer of a model directory: its vocab.txt, plus its
    /// tokenizer_config.json when there is one (nil: BERT's defaults, which
    /// lowercase, strip accents and split CJK characters).
    ///
    /// Throws a `TextError` naming the file for a file that is missing,
    /// empty, not UTF-8 or not JSON, a token listed twice, and a vocabulary
    /// without the unknown, [CLS], [SEP] or [PAD] token.
    public init(vocabularyFile: String, configFile: String?) throws {
        let config = try configFile.map(TokenizerFiles.config) ?? TokenizerFiles.Config()
        let tokens = try TokenizerFiles.vocabulary(vocabularyFile)
        try self.init(tokens: tokens, config: config, file: vocabularyFile)
    }

    /// A tokenizer over `vocabulary` (the id of a token is its index) with
    /// the special tokens [PAD], [UNK], [CLS], [SEP] (and [MASK], when present).
    /// `stripAccents` nil strips accents exactly when lowercasing.
    public init(vocabulary: [String], lowercase: Bool = true, stripAccents: Bool? = nil, splitCJK: Bool = true) throws {
        var config = TokenizerFiles.Config()
        config.lowercase = lowercase
        config.stripAccents = stripAccents
        config.splitCJK = splitCJK
        try self.init(tokens: vocabulary, config: config, file: nil)
    }

    /// A tokenizer over `vocabulary` with every option given (what a
    /// checkpoint stores).
    public init(vocabulary: [String], settings: WordPieceSettings) throws {
        try self.init(tokens: vocabulary, config: settings, file: nil)
    }

    private init(tokens: [String], config: TokenizerFiles.Config, file: String?) throws {
        let remedy = file == nil
            ? "give a vocabulary with one entry per token"
            : "use the model's own vocab.txt (one token per line; the line number from 0 is the id)"
        guard !tokens.isEmpty else {
            throw TextError(file: file, problem: "holds no tokens", remedy: remedy)
        }
        guard tokens.count < Int(Int32.max) else {
            throw TextError(file: file, problem: "holds \(tokens.count) tokens, more than ids can number", remedy: remedy)
        }
        let index: VocabularyIndex
        switch VocabularyIndex.build(tokens) {
        case .index(let built):
            index = built
        case .duplicate(let first, let repeated):
            let shown = tokens[first].isEmpty ? "an empty line" : "\"\(tokens[first])\""
            throw TextError(file: file, line: file == nil ? nil : repeated + 1,
                            problem: "lists \(shown) again (first at \(file == nil ? "index \(first)" : "line \(first + 1)"))",
                            remedy: "every token must appear once; " + remedy)
        }
        let required = [("unknown", config.unk), ("[CLS]", config.cls), ("[SEP]", config.sep), ("padding", config.pad)]
        let missing = required.filter { index.id(of: $0.1) == nil }
        if !missing.isEmpty {
            let names = missing.map { "\($0.1) (the \($0.0) token)" }.joined(separator: ", ")
            throw TextError(file: file, problem: "has no \(names)",
                            remedy: "a BERT vocabulary lists its special tokens, usually on its first lines; " + remedy)
        }
        func id(_ t: String) -> Int32 { index.id(of: t)! }
        var specials: [(String, Int32)] = []
        for t in [config.pad, config.unk, config.cls, config.sep, config.mask] + config.additionalSpecials {
            if let i = index.id(of: t) { specials.append((t, i)) }
        }
        self.vocabulary = tokens
        self.settings = config
        self.rules = TokenizationRules(lowercase: config.lowercase, stripAccents: config.stripAccents ?? config.lowercase,
                                       splitCJK: config.splitCJK, index: index, unkID: id(config.unk), specials: specials)
        self.padID = Int(id(config.pad))
        self.unkID = Int(id(config.unk))
        self.clsID = Int(id(config.cls))
        self.sepID = Int(id(config.sep))
        self.maxLength = config.maxLength
    }

    /// The number of tokens in the vocabulary.
    public var vocabularySize: Int { vocabulary.count }

    /// The spelling of token `id`; the unknown token's for an id outside the vocabulary.
    public func token(_ id: Int) -> String {
        id >= 0 && id < vocabulary.count ? vocabulary[id] : vocabulary[unkID]
    }

    /// The id of a token spelled exactly so, or nil.
    public func id(of token: String) -> Int? {
        rules.index.id(of: token).map(Int.init)
    }

    /// The word pieces of `text`, without [CLS] and [SEP].
    public func pieces(_ text: String) -> [String] {
        pieceIDs(text, limit: Int.max).map { vocabulary[Int($0)] }
    }

    /// The ids of the first `limit` word pieces of `text`.
    func pieceIDs(_ text: String, limit: Int) -> [Int32] {
        var pass = TokenizationPass(rules: rules, limit: limit)
        pass.run(text)
        return pass.ids
    }

    /// The scalars of `text` after cleaning and normalization, in order, with
    /// the whitespace inside non-ASCII runs as spaces (for tests).
    func normalizedScalars(_ text: String) -> [UInt32] {
        var pass = TokenizationPass(rules: rules, limit: Int.max)
        pass.trace = []
        pass.run(text)
        return pass.trace!
    }

    /// [CLS], the word pieces of `text`, [SEP]: at most `maxLength` tokens,
    /// the pieces cut to fit and [SEP] kept at the end (as Hugging Face's
    /// truncation does). A `maxLength` below 2 is taken as 2.
    public func encode(_ text: String, maxLength: Int) -> TokenizedText {
        let ids = encodedIDs(text, maxLength: maxLength)
        return TokenizedText(ids: ids, tokens: ids.map { vocabulary[Int($0)] })
    }

    private func encodedIDs(_ text: String, maxLength: Int) -> [Int32] {
        let pieces = pieceIDs(text, limit: max(2, maxLength) - 2)
        var ids = [Int32]()
        ids.reserveCapacity(pieces.count + 2)
        ids.append(Int32(clsID))
        ids.append(contentsOf: pieces)
        ids.append(Int32(sepID))
        return ids
    }

    /// Each text encoded as by `encode(_:maxLength:)`, padded with [PAD] to
    /// the longest in the batch; the mask is 1 on real tokens, 0 on padding.
    public func encode(batch texts: [String], maxLength: Int) -> TokenBatch {
        let rows = texts.map { encodedIDs($0, maxLength: maxLength) }
        let length = rows.map(\.count).max() ?? 0
        var ids = [Int32](repeating: Int32(padID), count: rows.count * length)
        var mask = [Float](repeating: 0, count: rows.count * length)
        for (r, row) in rows.enumerated() {
            for (t, id) in row.enumerated() {
                ids[r * length + t] = id
                mask[r * length + t] = 1
            }
        }
        return TokenBatch(ids: ids, mask: mask, lengths: rows.map(\.count), count: rows.count, length: length)
    }
}
