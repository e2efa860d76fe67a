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

    public init(members: Int = 16, rank: Int = 4, targets: Set<Projection> = Set(Projection.allCases),
                initA: LoRAInit = .paper, alpha: Float? = nil, copyHead: Bool = false, seed: UInt64 = 0) {
        self.members = members; self.rank = rank; self.targets = targets; self.initA = initA
        self.alpha = alpha; self.copyHead = copyHead; self.seed = seed
    }

    public var scale: Float { alpha.map { $0 / Float(rank) } ?? 1 }

    func validate(dim: Int) throws {
        guard members >= 1 else { throw NNError.invalidConfiguration("members must be at least 1, got \(members)") }
        guard rank >= 1 else { throw NNError.invalidConfiguration("rank must be at least 1, got \(rank)") }
        guard rank <= dim else { throw NNError.invalidConfiguration("rank \(rank) exceeds the model width \(dim); choose a rank between 1 and \(dim) (the paper uses 4 to 16)") }
        guard !targets.isEmpty else { throw NNError.invalidConfiguration("targets is empty; choose a subset of q, k, v, o (default all four)") }
    }
}

/// M LoRA members on one frozen, shared ViT backbone, computed in ONE batched
/// pass: the member axis is folded into the batch ([M*B, T, d]); every frozen
/// product W0 x runs as one gemm over all M*B rows; the rank-r terms and the
/// heads run batched per member.
public final class LoRAEnsembleNetwork: MemberNetwork {
    public let backbone: ViT
    public let options: LoRAOptions
    /// adapters[layer][projection]
    public let adapters: [[Projection: LoRAAdapter]]
    public let heads: MemberHeads

    /// Builds adapters on a private frozen copy of `backbone`.
    public init(backbone source: ViT, options: LoRAOptions) throws {
        let c = source.config
        try options.validate(dim: c.dim)
        backbone = try source.copy()
        backbone.freeze()
        self.options = options
        var rng = RNG(seed: options.seed)
        var ad: [[Projection: LoRAAdapter]] = []
        for _ in 0..<c.depth {
            var layer: [Projection: LoRAAdapter] = [:]
            for p in Projection.allCases where options.targets.contains(p) {
                var r = rng.fork()
                layer[p] = LoRAAdapter(members: options.members, rank: options.rank, inFeatures: c.dim,
                                       outFeatures: c.dim, initA: options.initA, scale: options.scale, rng: &r)
            }
            ad.append(layer)
        }
        adapters = ad
        var hr = rng.fork()
        heads = options.copyHead ? MemberHeads(members: options.members, copying: source.head)
                                 : MemberHeads(members: options.members, dim: c.dim, classes: c.classes, rng: &hr)
        labelParameters()
    }

    public var members: Int { options.members }
    public var vitConfig: ViTConfig { backbone.config }

    public var children: [(name: String, module: Module)] {
        var c: [(name: String, module: Module)] = [("backbone", backbone)]
        for (i, layer) in adapters.enumerated() {
            for p in Projection.allCases { if let a = layer[p] { c.append(("lora.\(i).\(p.rawValue)", a)) } }
        }
        c.append(("heads", heads))
        return c
    }

    func install(_ context: ForwardContext) {
        let ad = adapters
        context.adapter = { layer, p in ad[layer][p] }
    }

    /// Per-member class-token features [M*B, d] (member-major): what each head sees.
    public func memberFeatures(_ images: [Float], count n: Int, context: ForwardContext) throws -> Tensor {
        let m = members, c = backbone.config
        // The embedding is frozen and identical for all members: compute it once, repeat it M times.
        let tokens = try backbone.embed(images, count: n)                          // [B, T, d]
        let folded = try tokens.reshape([1, n, c.tokens, c.dim]).expand(to: [m, n, c.tokens, c.dim])
            .reshape([m * n, c.tokens, c.dim])
        install(context)
        defer { context.adapter = nil }
        let h = try backbone.encode(folded, context: context)
        return try h.select(axis: 1, index: 0)
    }

    public func memberLogits(_ images: [Float], count n: Int, context: ForwardContext) throws -> Tensor {
        try heads(memberFeatures(images, count: n, context: context))
    }

    /// The trainable parameters per member: adapters + head.
    public var trainableParametersPerMember: Int {
        let ad = adapters.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.a.count / members + $1.b.count / members } }
        return ad + heads.weight.count / members + heads.bias.count / members
    }
}
