import Core
import Tensor

/// What one batch of samples gives a model: images or texts.
public enum ModelInput {
    /// `count` images, (N, C, H, W) row-major floats.
    case images([Float], count: Int)
    /// Raw texts; the backbone tokenizes them.
    case texts([String])

    public var count: Int {
        switch self {
        case .images(_, let n): return n
        case .texts(let t): return t.count
        }
    }
}

/// The kind of input a backbone reads.
public enum InputKind: Equatable, Sendable {
    /// Images cut into patch x patch patches.
    case images(channels: Int, height: Int, width: Int, patch: Int)
    /// Texts, truncated to `maxTokens` word pieces including [CLS] and [SEP].
    case text(maxTokens: Int)

    /// What is wrong when data of the other kind is given, and the remedy.
    var mismatch: String {
        switch self {
        case .images: return "this model reads images, but the data holds texts; use a text model (load_model(\"minilm\")) for text"
        case .text: return "this model reads texts, but the data holds images; use a ViT for images"
        }
    }
}

/// The sizes every backbone has, whatever its input: what summaries show and
/// what adapters and heads are built for.
public struct Architecture: Equatable, CustomStringConvertible, Sendable {
    /// "ViT", "BERT", ...
    public var family: String
    /// Token width d.
    public var width: Int
    /// Encoder layers.
    public var depth: Int
    public var heads: Int
    public var classes: Int
    public var input: InputKind
    /// The family's own sizes, as text ("ViT(image: 1x8x8, patch: 2, ...)").
    public var description: String
}

/// Token embeddings of a batch and, for padded text batches, the real tokens per row.
public struct EmbeddedBatch {
    /// [B, T, d]
    public var tokens: Tensor
    /// Real tokens per row (padding follows); nil = every token is real.
    public var validTokens: [Int]?
    /// Word pieces per row (for attention maps over text); nil for images.
    public var pieces: [[String]]?
}

/// A pre-trainable self-attention encoder shared by ensemble members: an
/// embedding of the input into tokens, encoder blocks (where adapters attach),
/// a pooling of the tokens into one feature vector, and a linear head.
/// ViT and BERT are backbones; every ensemble kind is built on one.
public protocol Backbone: MemberNetwork {
    var architecture: Architecture { get }
    var blocks: [TransformerBlock] { get }
    var head: Linear { get }

    /// A deep copy (same values, same trainable/frozen flags).
    func copyBackbone() throws -> Backbone

    /// The input as tokens [B, T, d] (embeddings, positions, ...).
    func embed(_ input: ModelInput) throws -> EmbeddedBatch

    /// What follows the blocks before pooling (ViT: the final LayerNorm; BERT: nothing).
    func finish(_ h: Tensor) throws -> Tensor

    /// Features [B, d] the head sees, from the encoder output [B, T, d].
    func pool(_ h: Tensor, validTokens: [Int]?) throws -> Tensor

    /// Whether the parameters whose names start with `prefix` belong to the
    /// part every member shares (everything but the head), for summaries.
    func isHead(_ parameterName: String) -> Bool
}

extension Backbone {
    /// A bare backbone is a one-member network.
    public var members: Int { 1 }
    public var sharedBackbone: Backbone { self }

    public func memberLogits(_ input: ModelInput, context: ForwardContext) throws -> Tensor {
        try logits(input, context: context).reshape([1, input.count, architecture.classes])
    }

    public func isHead(_ parameterName: String) -> Bool { parameterName.hasPrefix("head.") }

    /// Runs blocks `layers` on tokens [N, T, d]; the context's adapters apply.
    public func encode(_ tokens: Tensor, layers: Range<Int>, context: ForwardContext) throws -> Tensor {
        var h = tokens
        for i in layers {
            context.layer = i
            h = try blocks[i](h, context: context)
        }
        return h
    }

    /// Pooled features [B, d] of one pass through every block.
    public func features(_ input: ModelInput, context: ForwardContext) throws -> Tensor {
        let e = try embed(input)
        context.validTokens = e.validTokens
        defer { context.validTokens = nil }
        let h = try finish(encode(e.tokens, layers: 0..<blocks.count, context: context))
        return try pool(h, validTokens: e.validTokens)
    }

    /// Logits [B, classes].
    public func logits(_ input: ModelInput, context: ForwardContext = ForwardContext()) throws -> Tensor {
        try head(features(input, context: context))
    }

    /// Every parameter but the head's (the part members share).
    public var backboneParameters: [Tensor] {
        namedParameters().filter { !isHead($0.name) }.map { $0.tensor }
    }

    /// Gives the backbone a fresh head drawn from `seed` (torch.nn.Linear init).
    func resetHead(seed: UInt64) {
        var rng = RNG(seed: seed)
        let fresh = Linear(head.inFeatures, head.outFeatures, rng: &rng)
        head.weight.data = fresh.weight.data
        head.bias?.data = fresh.bias!.data
    }
}

/// Mean of the real tokens' vectors: h [B, T, d] -> [B, d] (sentence-transformers'
/// mean pooling; padding excluded).
func meanOfRealTokens(_ h: Tensor, validTokens: [Int]?) throws -> Tensor {
    let b = h.shape[0], t = h.shape[1]
    guard let valid = validTokens else { return try h.mean(axis: 1) }
    var w = [Float](repeating: 0, count: b * t)
    for i in 0..<b {
        let n = valid[i]
        for j in 0..<n { w[i * t + j] = 1 / Float(n) }
    }
    let weights = try Tensor(shape: [b, t, 1], data: w)
    return try (h * weights).sum(axis: 1)
}
