import Core
import Tensor

/// Options of a LoRA-Ensemble. Defaults reproduce the paper's reference code.
public struct LoRAOptions: Equatable {
    /// Number of members M (16 in the paper's headline results).
    public var members: Int
    /// Rank r of every adapter.
    public var rank: Int
    /// Projections that get adapters (default: all four, as the paper).
    public var targets: Set<Projection>
    /// Initialisation of A (B starts at 0).
    public var initA: LoRAInit
    /// PEFT-style alpha: the update is scaled by alpha / r. nil = scale 1 (the paper).
    public var alpha: Float?
    /// Heads start as copies of the backbone's head instead of fresh (paper: fresh).
    public var copyHead: Bool
    /// Seed of A's and the heads' initialisation.
    public var seed: UInt64
    /// Encoder layers that get adapters (nil = every layer, as the paper). The
    /// layers below the first one are shared by all members and run once.
    public var layers: Range<Int>?

    public init(members: Int = 16, rank: Int = 4, targets: Set<Projection> = Set(Projection.allCases),
                initA: LoRAInit = .paper, alpha: Float? = nil, copyHead: Bool = false, seed: UInt64 = 0,
                layers: Range<Int>? = nil) {
        self.members = members; self.rank = rank; self.targets = targets; self.initA = initA
        self.alpha = alpha; self.copyHead = copyHead; self.seed = seed; self.layers = layers
    }

    public var scale: Float { alpha.map { $0 / Float(rank) } ?? 1 }

    /// A rank the adapters of a model of this width can have: 1...width.
    public static func checkRank(_ rank: Int, width: Int) throws {
        guard rank <= width else { throw NNError.invalidConfiguration("rank \(rank) exceeds the model width \(width); choose a rank between 1 and \(width) (the paper uses 4 to 16)") }
    }

    func validate(dim: Int, depth: Int) throws {
        if let l = layers {
            guard !l.isEmpty, l.lowerBound >= 0, l.upperBound <= depth else {
                throw NNError.invalidConfiguration("layers \(l.lowerBound)..<\(l.upperBound) is not a non-empty range within the encoder's \(depth) layers; choose e.g. \(max(0, depth - 2))..<\(depth)")
            }
        }
        guard members >= 1 else { throw NNError.invalidConfiguration("members must be at least 1, got \(members)") }
        guard rank >= 1 else { throw NNError.invalidConfiguration("rank must be at least 1, got \(rank)") }
        try LoRAOptions.checkRank(rank, width: dim)
        guard !targets.isEmpty else { throw NNError.invalidConfiguration("targets is empty; choose a subset of q, k, v, o (default all four)") }
    }
}

/// M LoRA members on one frozen, shared backbone (ViT or BERT), computed in
/// ONE batched pass (see `MemberPass`): every frozen product W0 x runs as one
/// gemm over all M*B rows; the rank-r terms and the heads run batched per member.
public final class LoRAEnsembleNetwork: AdaptedMemberNetwork {
    public let backbone: Backbone
    public let options: LoRAOptions
    /// adapters[layer][projection]; layers outside `options.layers` have none.
    public let adapters: [[Projection: LoRAAdapter]]
    public let heads: MemberHeads
    /// Output of the frozen layers below the first adapter, per text.
    public let prefixCache = PrefixCache()

    /// Builds adapters on a private frozen copy of `backbone`.
    public init(backbone source: Backbone, options: LoRAOptions) throws {
        let a = source.architecture
        try options.validate(dim: a.width, depth: a.depth)
        backbone = try source.copyBackbone()
        backbone.freeze()
        self.options = options
        var initial = AdapterInitialization(seed: options.seed, depth: a.depth, layers: options.layers ?? 0..<a.depth,
                                            targets: options.targets) { r in
            LoRAAdapter(members: options.members, rank: options.rank, inFeatures: a.width, outFeatures: a.width,
                        initA: options.initA, scale: options.scale, rng: &r)
        }
        adapters = initial.adapters
        heads = options.copyHead ? MemberHeads(members: options.members, copying: source.head)
                                 : MemberHeads(members: options.members, dim: a.width, classes: a.classes, rng: &initial.headStream)
        labelParameters()
    }

    public var members: Int { options.members }
    public static var adapterPrefix: String { "lora" }

    var pass: MemberPass {
        MemberPass(backbone: backbone, members: members, adapters: projectionAdapters, cache: prefixCache)
    }

    /// Per-member pooled features [M*B, d] (member-major): what each head sees.
    public func memberFeatures(_ input: ModelInput, context: ForwardContext) throws -> Tensor {
        try pass.features(input, context: context)
    }

    public func memberLogits(_ input: ModelInput, context: ForwardContext) throws -> Tensor {
        try heads(memberFeatures(input, context: context))
    }

    /// The trainable parameters per member: adapters + head.
    public var trainableParametersPerMember: Int {
        let ad = adapters.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.a.count / members + $1.b.count / members } }
        return ad + heads.weight.count / members + heads.bias.count / members
    }
}

extension LoRAEnsembleNetwork: MemberGroupNetwork {
    public func sharedPart(_ input: ModelInput, context: ForwardContext) throws -> EmbeddedBatch {
        try pass.shared(input, context: context)
    }

    public func memberLogits(shared: EmbeddedBatch, members range: Range<Int>, context: ForwardContext) throws -> Tensor {
        let ad = try adapters.map { layer in try layer.mapValues { try $0.members(range) as ProjectionAdapter } }
        let group = MemberPass(backbone: backbone, members: range.count, adapters: ad, cache: nil)
        return try heads(group.features(shared: shared, context: context), members: range)
    }

    /// What the graph of one member keeps per adapted layer and token: the
    /// packed q, k, v (3d), attention output, o projection, residual sums and
    /// LayerNorm outputs (about 8d), the MLP's hidden layer before and after
    /// GELU (2 x intermediate), the attention probabilities (heads x T), plus
    /// the rank-r terms; and the pooled features. Four bytes each, times 1.25
    /// for backward's transients (one layer's activation gradients at a time).
    public func activationBytesPerMember(batch: Int) -> Double {
        let a = architecture
        let d = Double(a.width), tokens = Double(longestTokens)
        var floats = 0.0
        for layer in pass.firstAdapted..<backbone.blocks.count {
            let hidden = Double(backbone.blocks[layer].mlp.fc1.outFeatures)
            let ranks = adapters[layer].values.reduce(0) { $0 + $1.rank }
            floats += tokens * (11 * d + 2 * hidden + Double(a.heads) * tokens + 2 * Double(ranks))
        }
        floats += tokens * d + d
        return 4 * 1.25 * floats * Double(batch)
    }
}
