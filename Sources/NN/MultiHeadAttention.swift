import Core
import Synchronization
import Tensor

/// Multi-head self-attention with separate q, k, v and output projections,
/// each with bias (as the paper's ViT). Adapters from the context can replace
/// any projection; the attention weights are handed to the context's recorder.
public final class MultiHeadAttention: Module {
    public let q: Linear, k: Linear, v: Linear, o: Linear
    public let heads: Int
    public let dim: Int

    /// Compute q, k, v with one gemm on the concatenated weights and run
    /// attention on the packed result (default). Off = three projections and
    /// permutes (same numbers up to rounding; kept for benchmarks).
    public static var fuseQKV: Bool {
        get { _fuseQKV.load(ordering: .relaxed) }
        set { _fuseQKV.store(newValue, ordering: .relaxed) }
    }
    private static let _fuseQKV = Atomic<Bool>(true)

    public init(dim: Int, heads: Int, rng: inout RNG) throws {
        guard heads > 0, dim > 0, dim % heads == 0 else {
            throw NNError.invalidConfiguration("attention dim \(dim) must be a positive multiple of heads \(heads); choose dim divisible by heads")
        }
        self.dim = dim
        self.heads = heads
        q = Linear(dim, dim, rng: &rng)
        k = Linear(dim, dim, rng: &rng)
        v = Linear(dim, dim, rng: &rng)
        o = Linear(dim, dim, rng: &rng)
    }

    public var children: [(name: String, module: Module)] { [("q", q), ("k", k), ("v", v), ("o", o)] }

    public func linear(_ p: Projection) -> Linear {
        switch p { case .q: return q; case .k: return k; case .v: return v; case .o: return o }
    }

    private func project(_ x: Tensor, _ p: Projection, _ ctx: ForwardContext) throws -> Tensor {
        let base = linear(p)
        if let a = ctx.adapter?(ctx.layer, p) { return try a.project(x, through: base) }
        return try base(x)
    }

    /// x [N, T, dim] -> [N, T, dim].
    public func callAsFunction(_ x: Tensor, context ctx: ForwardContext) throws -> Tensor {
        if MultiHeadAttention.fuseQKV, let qkv = try packedQKV(x, ctx) {
            // One gemm for q, k, v and attention straight on the packed result: no permute copies.
            let r = try Tensor.attention(qkv: qkv, heads: heads, dropKey: ctx.dropKey, rng: &ctx.rng,
                                         validKeys: ctx.validTokens, keepWeights: ctx.recorder != nil)
            if let w = r.weights { ctx.recorder?.record(w) }
            return try project(r.output, .o, ctx)
        }
        let n = x.shape[0], t = x.shape[1], dh = dim / heads
        func split(_ y: Tensor) throws -> Tensor {
            try y.reshape([n, t, heads, dh]).permute([0, 2, 1, 3])
        }
        let qh = try split(project(x, .q, ctx))
        let kh = try split(project(x, .k, ctx))
        let vh = try split(project(x, .v, ctx))
        let r = try Tensor.attention(q: qh, k: kh, v: vh, dropKey: ctx.dropKey, rng: &ctx.rng,
                                     validKeys: ctx.validTokens, keepWeights: ctx.recorder != nil)
        if let w = r.weights { ctx.recorder?.record(w) }
        let merged = try r.output.permute([0, 2, 1, 3]).reshape([n, t, dim])
        return try project(merged, .o, ctx)
    }

    /// [N, T, 3*dim] = x [Wq; Wk; Wv]^T + [bq; bk; bv] (+ the adapters' low-rank
    /// terms, added in place per block), or nil when an adapter on q, k or v is
    /// not low-rank (BatchEnsemble) or a projection has no bias.
    private func packedQKV(_ x: Tensor, _ ctx: ForwardContext) throws -> Tensor? {
        guard let bq = q.bias, let bk = k.bias, let bv = v.bias else { return nil }
        var updates: [LowRankUpdate] = []
        for (i, p) in [Projection.q, .k, .v].enumerated() {
            guard let adapter = ctx.adapter?(ctx.layer, p) else { continue }
            guard let u = adapter.lowRankUpdate(offset: i * dim) else { return nil }
            updates.append(u)
        }
        let w = try Tensor.concat([q.weight, k.weight, v.weight], axis: 0)
        let b = try Tensor.concat([bq, bk, bv], axis: 0)
        return try Tensor.linear(x, weight: w, bias: b, lowRank: updates)
    }
}
