import Foundation

/// Every size of a BERT-family encoder, as in a Hugging Face `config.json`
/// (model_type "bert"), plus what lora adds: the pooling and the classes of
/// the classification head.
public struct BertConfig: Codable, Equatable, Sendable, CustomStringConvertible {
    public enum Pooling: String, Codable, Sendable {
        /// Mean over the real tokens (sentence-transformers' pooling for MiniLM).
        case mean
        /// The [CLS] token's vector.
        case cls
    }

    public var vocabularySize: Int
    public var hidden: Int
    public var layers: Int
    public var heads: Int
    public var intermediate: Int
    public var maxPositions: Int
    public var typeVocabularySize: Int
    public var eps: Float
    public var pooling: Pooling
    public var classes: Int
    /// Longest input in word pieces, [CLS] and [SEP] included (<= maxPositions).
    public var maxTokens: Int

    public init(vocabularySize: Int, hidden: Int, layers: Int, heads: Int, intermediate: Int,
                maxPositions: Int = 512, typeVocabularySize: Int = 2, eps: Float = 1e-12,
                pooling: Pooling = .mean, classes: Int = 2, maxTokens: Int? = nil) {
        self.vocabularySize = vocabularySize; self.hidden = hidden; self.layers = layers; self.heads = heads
        self.intermediate = intermediate; self.maxPositions = maxPositions; self.typeVocabularySize = typeVocabularySize
        self.eps = eps; self.pooling = pooling; self.classes = classes
        self.maxTokens = min(maxTokens ?? 128, maxPositions)
    }

    /// Reads a Hugging Face `config.json`; sizes are checked (`validate`).
    public static func huggingFace(_ data: Data, path: String) throws -> BertConfig {
        func fail(_ s: String) -> NNError { .checkpoint(path: path, detail: s) }
        guard let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw fail("is not a JSON object; a BERT model directory needs the config.json its model was saved with")
        }
        let type = o["model_type"] as? String ?? "missing"
        guard ["bert"].contains(type) else {
            throw fail("model_type is \(type); lora loads BERT-family encoders (model_type \"bert\"), such as all-MiniLM-L6-v2")
        }
        func int(_ k: String, default d: Int? = nil) throws -> Int {
            if let n = o[k] as? NSNumber, let v = Int(exactly: n.doubleValue) { return v }
            if o[k] == nil, let d = d { return d }
            throw fail("'\(k)' is missing or not an integer")
        }
        if let act = o["hidden_act"] as? String, act != "gelu" {
            throw fail("hidden_act is \(act); lora's BERT uses the exact (erf) GELU, \"gelu\"")
        }
        if let pe = o["position_embedding_type"] as? String, pe != "absolute" {
            throw fail("position_embedding_type is \(pe); lora supports absolute position embeddings")
        }
        let eps = (o["layer_norm_eps"] as? NSNumber)?.floatValue ?? 1e-12
        let c = BertConfig(vocabularySize: try int("vocab_size"), hidden: try int("hidden_size"),
                           layers: try int("num_hidden_layers"), heads: try int("num_attention_heads"),
                           intermediate: try int("intermediate_size"), maxPositions: try int("max_position_embeddings", default: 512),
                           typeVocabularySize: try int("type_vocab_size", default: 2), eps: eps)
        do { try c.validate() } catch let e as NNError { throw fail("\(e)") }
        return c
    }

    public func validate() throws {
        func bad(_ s: String) -> NNError { .invalidConfiguration(s) }
        for (n, v) in [("vocab_size", vocabularySize), ("hidden_size", hidden), ("num_hidden_layers", layers),
                       ("num_attention_heads", heads), ("intermediate_size", intermediate),
                       ("max_position_embeddings", maxPositions), ("type_vocab_size", typeVocabularySize)] {
            guard v > 0, v <= 1 << 24 else { throw bad("\(n) must be in 1...\(1 << 24), got \(v)") }
        }
        guard hidden % heads == 0 else { throw bad("hidden_size \(hidden) is not divisible by num_attention_heads \(heads)") }
        guard layers <= 1024 else { throw bad("num_hidden_layers \(layers) is more than 1024") }
        guard eps > 0, eps < 1 else { throw bad("layer_norm_eps must be in (0, 1), got \(eps)") }
        guard classes >= 2 else { throw bad("classes must be at least 2, got \(classes)") }
        guard maxTokens >= 2, maxTokens <= maxPositions else { throw bad("max_tokens must be in 2...\(maxPositions), got \(maxTokens)") }
        let params = Double(vocabularySize + maxPositions + typeVocabularySize) * Double(hidden)
            + Double(layers) * Double(4 * hidden * hidden + 2 * hidden * intermediate)
        guard params <= 2e9 else { throw bad("a BERT of these sizes has about \(Int(params / 1e6)) million parameters; lora loads at most 2,000 million") }
    }

    public var description: String {
        "BERT(layers: \(layers), hidden: \(hidden), heads: \(heads), intermediate: \(intermediate), vocabulary: \(vocabularySize), max_tokens: \(maxTokens), pooling: \(pooling.rawValue), classes: \(classes))"
    }
}
