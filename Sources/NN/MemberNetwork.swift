import Tensor

/// A network that computes the logits of all its members in one pass:
/// a batch of B inputs -> logits [members, B, classes]. The trainer and the
/// ensemble models drive every kind of network through this.
public protocol MemberNetwork: Module {
    var members: Int { get }
    var architecture: Architecture { get }
    /// The backbone the members share (itself for a bare backbone).
    var sharedBackbone: Backbone { get }
    func memberLogits(_ input: ModelInput, context: ForwardContext) throws -> Tensor
}

extension MemberNetwork {
    /// Images [B, C, H, W] -> logits [members, B, classes].
    public func memberLogits(_ images: [Float], count n: Int, context: ForwardContext) throws -> Tensor {
        try memberLogits(.images(images, count: n), context: context)
    }
}

/// M members on one shared backbone, computed in ONE batched pass: the layers
/// below the first adapted one are the same for every member, so they run once
/// on the B inputs; then the member axis is folded into the batch ([M*B, T, d])
/// and the remaining layers run with each member's adapters, every frozen
/// product W0 x as one gemm over all M*B rows. LoRA-Ensemble and BatchEnsemble
/// are this pass with different adapters.
struct MemberPass {
    let backbone: Backbone
    let members: Int
    /// adapters[layer][projection]; layers without adapters have none.
    let adapters: [[Projection: ProjectionAdapter]]
    /// Keeps the shared layers' output of texts across calls. Only for networks
    /// whose shared layers are frozen (LoRA-Ensemble), where it is exact.
    let cache: PrefixCache?

    /// The first layer with an adapter (the depth when there is none).
    var firstAdapted: Int { adapters.firstIndex { !$0.isEmpty } ?? backbone.blocks.count }

    /// Pooled per-member features [M*B, d] (member-major): what each member's head sees.
    func features(_ input: ModelInput, context: ForwardContext) throws -> Tensor {
        try features(shared: shared(input, context: context), context: context)
    }

    /// The embedding and the layers below the first adapted one, which every
    /// member shares: computed once per batch (or taken from the cache).
    func shared(_ input: ModelInput, context: ForwardContext) throws -> EmbeddedBatch {
        let split = firstAdapted
        // Attention maps need every layer to run (and be recorded): no cache then.
        if let cache = cache, case .texts(let texts) = input, context.recorder == nil {
            return try cache.output(of: texts) { missing in try sharedLayers(.texts(missing), upTo: split, context: context) }
        }
        return try sharedLayers(input, upTo: split, context: context)
    }

    /// Pooled features [M*B, d] of this pass's members from the shared
    /// layers' output: the members folded into the batch, the adapted layers.
    func features(shared: EmbeddedBatch, context: ForwardContext) throws -> Tensor {
        let m = members, split = firstAdapted
        let x = shared.tokens
        let n = x.shape[0], t = x.shape[1], d = x.shape[2]
        let folded = m == 1 ? x : try x.reshape([1, n, t, d]).expand(to: [m, n, t, d]).reshape([m * n, t, d])
        let valid = shared.validTokens.map { v in (0..<m).flatMap { _ in v } }
        let ad = adapters
        context.adapter = { layer, p in ad[layer][p] }
        context.validTokens = valid
        defer { context.adapter = nil; context.validTokens = nil }
        let h = try backbone.finish(backbone.encode(folded, layers: split..<backbone.blocks.count, context: context))
        return try backbone.pool(h, validTokens: valid)
    }

    /// Embedding and layers 0..<split, once for all members (no adapters there).
    func sharedLayers(_ input: ModelInput, upTo split: Int, context: ForwardContext) throws -> EmbeddedBatch {
        var e = try backbone.embed(input)
        context.validTokens = e.validTokens
        defer { context.validTokens = nil }
        e.tokens = try backbone.encode(e.tokens, layers: 0..<split, context: context)
        return e
    }
}
