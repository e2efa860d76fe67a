import Core
import Tensor

/// Two-layer GELU MLP: dim -> hidden -> dim.
public final class MLP: Module {
    public let fc1: Linear, fc2: Linear
    public init(dim: Int, hidden: Int, rng: inout RNG) {
        fc1 = Linear(dim, hidden, rng: &rng)
        fc2 = Linear(hidden, dim, rng: &rng)
    }
    public var children: [(name: String, module: Module)] { [("fc1", fc1), ("fc2", fc2)] }
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try fc2(fc1(x).gelu()) }
}

/// Where an encoder block normalises: before each sub-layer (pre-LN, ViT) or
/// after each residual sum (post-LN, the original Transformer and BERT).
public enum NormPlacement: String, Codable, Sendable {
    case pre, post
}

/// The parameter names of a block's parts: lora's own (ViT) or those of
/// Hugging Face BERT checkpoints, so a BERT's parameters carry the names of
/// the file it was loaded from.
public enum BlockNaming: Sendable {
    case lora, bert
}

/// Encoder block. Pre-LN: h = x + attn(ln1(x)), out = h + mlp(ln2(h)).
/// Post-LN: h = ln1(x + attn(x)), out = ln2(h + mlp(h)).
public final class TransformerBlock: Module {
    public let ln1: LayerNorm, attn: MultiHeadAttention, ln2: LayerNorm, mlp: MLP
    public let norm: NormPlacement
    public let naming: BlockNaming

    public init(dim: Int, heads: Int, mlpHidden: Int, eps: Float, norm: NormPlacement = .pre,
                naming: BlockNaming = .lora, rng: inout RNG) throws {
        self.norm = norm
        self.naming = naming
        ln1 = LayerNorm(dim, eps: eps)
        attn = try MultiHeadAttention(dim: dim, heads: heads, rng: &rng)
        ln2 = LayerNorm(dim, eps: eps)
        mlp = MLP(dim: dim, hidden: mlpHidden, rng: &rng)
    }

    public var children: [(name: String, module: Module)] {
        switch naming {
        case .lora:
            return [("ln1", ln1), ("attn", attn), ("ln2", ln2), ("mlp", mlp)]
        case .bert:
            return [("attention.self.query", attn.q), ("attention.self.key", attn.k), ("attention.self.value", attn.v),
                    ("attention.output.dense", attn.o), ("attention.output.LayerNorm", ln1),
                    ("intermediate.dense", mlp.fc1), ("output.dense", mlp.fc2), ("output.LayerNorm", ln2)]
        }
    }

    public func callAsFunction(_ x: Tensor, context: ForwardContext) throws -> Tensor {
        switch norm {
        case .pre:
            let h = try x + attn(ln1(x), context: context)
            return try h + mlp(ln2(h))
        case .post:
            let h = try ln1(x + attn(x, context: context))
            return try ln2(h + mlp(h))
        }
    }
}
