import Core
import Tensor
import Text

/// A lookup table: row `id` of `weight` [count, dim] is that id's vector.
public final class Embedding: Module {
    public let weight: Tensor
    public init(_ count: Int, _ dim: Int, rng: inout RNG) {
        weight = parameter(Tensor.randn([count, dim], mean: 0, std: 0.02, rng: &rng))
    }
    public var localParameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }
}

/// A BERT-family encoder (Devlin et al. 2019) as a backbone: word, position
/// and token-type embeddings with LayerNorm; post-LN blocks with q, k, v and
/// output projections (with bias) and an exact-GELU intermediate layer;
/// attention masks for padding; mean or [CLS] pooling; a linear head on the
/// pooled vector. Parameters carry the names of Hugging Face checkpoints
/// (`embeddings.word_embeddings.weight`, `encoder.layer.0.attention.self.query.weight`, ...);
/// the head, lora's own, is `head.weight` / `head.bias`.
public final class Bert: Module, Backbone {
    public let config: BertConfig
    public let tokenizer: WordPieceTokenizer
    public let wordEmbeddings: Embedding
    public let positionEmbeddings: Embedding
    public let tokenTypeEmbeddings: Embedding
    public let embeddingNorm: LayerNorm
    public let blocks: [TransformerBlock]
    public let head: Linear

    /// A freshly initialised BERT (BERT's N(0, 0.02) embeddings, torch Linear
    /// layers); `loadStateDict` or `BertFiles.load` fills in pre-trained values.
    public init(_ config: BertConfig, tokenizer: WordPieceTokenizer, seed: UInt64) throws {
        try config.validate()
        guard tokenizer.vocabularySize == config.vocabularySize else {
            throw NNError.invalidConfiguration("the vocabulary has \(tokenizer.vocabularySize) word pieces but the model's vocab_size is \(config.vocabularySize); use the vocab.txt the model was trained with")
        }
        self.config = config
        self.tokenizer = tokenizer
        var rng = RNG(seed: seed)
        let d = config.hidden
        wordEmbeddings = Embedding(config.vocabularySize, d, rng: &rng)
        positionEmbeddings = Embedding(config.maxPositions, d, rng: &rng)
        tokenTypeEmbeddings = Embedding(config.typeVocabularySize, d, rng: &rng)
        embeddingNorm = LayerNorm(d, eps: config.eps)
        var bs: [TransformerBlock] = []
        for _ in 0..<config.layers {
            bs.append(try TransformerBlock(dim: d, heads: config.heads, mlpHidden: config.intermediate, eps: config.eps,
                                           norm: .post, naming: .bert, rng: &rng))
        }
        blocks = bs
        head = Linear(d, config.classes, rng: &rng)
        labelParameters()
    }

    public var children: [(name: String, module: Module)] {
        var c: [(name: String, module: Module)] = [
            ("embeddings.word_embeddings", wordEmbeddings), ("embeddings.position_embeddings", positionEmbeddings),
            ("embeddings.token_type_embeddings", tokenTypeEmbeddings), ("embeddings.LayerNorm", embeddingNorm)]
        for (i, b) in blocks.enumerated() { c.append(("encoder.layer.\(i)", b)) }
        c.append(("head", head))
        return c
    }

    /// A deep copy (same values, same trainable/frozen flags, same tokenizer).
    public func copy(config newConfig: BertConfig? = nil) throws -> Bert {
        let c = try Bert(newConfig ?? config, tokenizer: tokenizer, seed: 0)
        var state = stateDict()
        if let n = newConfig, n.classes != config.classes {
            state["head.weight"] = c.head.weight.detached()
            state["head.bias"] = c.head.bias!.detached()
        }
        try c.loadStateDict(state, source: "a copy")
        for (a, b) in zip(namedParameters(), c.namedParameters()) { b.tensor.requiresGrad = a.tensor.requiresGrad }
        return c
    }

    public var architecture: Architecture {
        Architecture(family: "BERT", width: config.hidden, depth: config.layers, heads: config.heads, classes: config.classes,
                     input: .text(maxTokens: config.maxTokens), description: config.description)
    }

    public func copyBackbone() throws -> Backbone { try copy() }

    /// Word pieces -> [B, T, d]: word + position + token type 0 embeddings, LayerNorm.
    public func embed(_ input: ModelInput) throws -> EmbeddedBatch {
        guard case .texts(let texts) = input else { throw NNError.dataMismatch(architecture.input.mismatch) }
        let batch = tokenizer.encode(batch: texts, maxLength: config.maxTokens)
        return try embed(ids: batch.ids.map { Int($0) }, lengths: batch.lengths, length: batch.length)
    }

    /// Embeds token ids [B * T] (row-major, right-padded; `lengths` real tokens per row).
    public func embed(ids: [Int], lengths: [Int], length t: Int) throws -> EmbeddedBatch {
        let b = lengths.count, d = config.hidden
        guard ids.count == b * t, t <= config.maxPositions else {
            throw NNError.dataMismatch("\(ids.count) token ids do not make \(b) rows of \(t) tokens (at most \(config.maxPositions))")
        }
        let words = try wordEmbeddings.weight.gather(rows: ids).reshape([b, t, d])
        let positions = try positionEmbeddings.weight.slice(axis: 0, range: 0..<t)            // [T, d]
        let type0 = try tokenTypeEmbeddings.weight.select(axis: 0, index: 0)                  // [d]
        let x = try embeddingNorm(words + positions + type0)
        let pieces = (0..<b).map { i in (0..<lengths[i]).map { tokenizer.token(ids[i * t + $0]) } }
        return EmbeddedBatch(tokens: x, validTokens: lengths, pieces: pieces)
    }

    /// Nothing: BERT's blocks end with their own LayerNorm.
    public func finish(_ h: Tensor) throws -> Tensor { h }

    public func pool(_ h: Tensor, validTokens: [Int]?) throws -> Tensor {
        switch config.pooling {
        case .mean: return try meanOfRealTokens(h, validTokens: validTokens)
        case .cls: return try h.select(axis: 1, index: 0)
        }
    }
}
