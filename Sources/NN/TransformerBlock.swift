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

/// Pre-LN encoder block: x + attn(ln1(x)), then x + mlp(ln2(x)).
public final class TransformerBlock: Module {
    public let ln1: LayerNorm, attn: MultiHeadAttention, ln2: LayerNorm, mlp: MLP

    public init(dim: Int, heads: Int, mlpHidden: Int, eps: Float, rng: inout RNG) throws {
        ln1 = LayerNorm(dim, eps: eps)
        attn = try MultiHeadAttention(dim: dim, heads: heads, rng: &rng)
        ln2 = LayerNorm(dim, eps: eps)
        mlp = MLP(dim: dim, hidden: mlpHidden, rng: &rng)
    }

    public var children: [(name: String, module: Module)] {
        [("ln1", ln1), ("attn", attn), ("ln2", ln2), ("mlp", mlp)]
    }

    public func callAsFunction(_ x: Tensor, context: ForwardContext) throws -> Tensor {
        let h = try x + attn(ln1(x), context: context)
        return try h + mlp(ln2(h))
    }
}
