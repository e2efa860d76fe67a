import Tensor

/// BatchEnsemble fast weights of one projection for M members (Wen et al. 2020):
/// W_m = W ∘ (r_m s_m^T), so y = r_m ∘ (W (s_m ∘ x)) + b. r [M, out], s [M, in].
public final class BatchEnsembleAdapter: Module, ProjectionAdapter {
    public let r: Tensor
    public let s: Tensor
    public var members: Int { r.shape[0] }

    /// Factors drawn from N(1, std^2) (std 0 = all ones).
    public init(members: Int, inFeatures: Int, outFeatures: Int, std: Float, rng: inout RNG) {
        r = parameter(Tensor.randn([members, outFeatures], mean: 1, std: std, rng: &rng))
        s = parameter(Tensor.randn([members, inFeatures], mean: 1, std: std, rng: &rng))
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [("r", r), ("s", s)] }

    public func project(_ x: Tensor, through base: Linear) throws -> Tensor {
        let m = members, inF = base.inFeatures, outF = base.outFeatures
        let rows = x.count / inF / m
        let xs = try x.reshape([m, rows, inF]) * s.reshape([m, 1, inF])
        var y = try Tensor.linear(xs, weight: base.weight, bias: nil) * r.reshape([m, 1, outF])
        if let b = base.bias { y = try y + b }
        var shape = x.shape
        shape[shape.count - 1] = outF
        return try y.reshape(shape)
    }
}

/// Options of a BatchEnsemble.
public struct BatchEnsembleOptions: Equatable {
    public var members: Int
    public var targets: Set<Projection>
    /// Standard deviation of the N(1, std^2) initialisation of r and s.
    public var factorStd: Float
    /// Train the shared weights too (Wen et al.: yes).
    public var trainShared: Bool
    public var seed: UInt64
    public init(members: Int = 16, targets: Set<Projection> = Set(Projection.allCases), factorStd: Float = 0.1,
                trainShared: Bool = true, seed: UInt64 = 0) {
        self.members = members; self.targets = targets; self.factorStd = factorStd
        self.trainShared = trainShared; self.seed = seed
    }
}

/// BatchEnsemble on a ViT: rank-1 multiplicative factors per member on the
/// attention projections, per-member heads, members folded into the batch.
public final class BatchEnsembleNetwork: MemberNetwork {
    public let backbone: ViT
    public let options: BatchEnsembleOptions
    public let adapters: [[Projection: BatchEnsembleAdapter]]
    public let heads: MemberHeads

    public init(backbone source: ViT, options: BatchEnsembleOptions) throws {
        guard options.members >= 1 else { throw NNError.invalidConfiguration("members must be at least 1, got \(options.members)") }
        let c = source.config
        backbone = try source.copy()
        if options.trainShared { backbone.unfreeze() } else { backbone.freeze() }
        backbone.head.freeze()   // replaced by the per-member heads
        self.options = options
        var rng = RNG(seed: options.seed)
        var ad: [[Projection: BatchEnsembleAdapter]] = []
        for _ in 0..<c.depth {
            var layer: [Projection: BatchEnsembleAdapter] = [:]
            for p in Projection.allCases where options.targets.contains(p) {
                var r = rng.fork()
                layer[p] = BatchEnsembleAdapter(members: options.members, inFeatures: c.dim, outFeatures: c.dim,
                                                std: options.factorStd, rng: &r)
            }
            ad.append(layer)
        }
        adapters = ad
        var hr = rng.fork()
        heads = MemberHeads(members: options.members, dim: c.dim, classes: c.classes, rng: &hr)
        labelParameters()
    }

    public var members: Int { options.members }
    public var vitConfig: ViTConfig { backbone.config }

    public var children: [(name: String, module: Module)] {
        var c: [(name: String, module: Module)] = [("backbone", backbone)]
        for (i, layer) in adapters.enumerated() {
            for p in Projection.allCases { if let a = layer[p] { c.append(("batch.\(i).\(p.rawValue)", a)) } }
        }
        c.append(("heads", heads))
        return c
    }

    public func memberLogits(_ images: [Float], count n: Int, context: ForwardContext) throws -> Tensor {
        let m = members, c = backbone.config
        let tokens = try backbone.embed(images, count: n)
        let folded = try tokens.reshape([1, n, c.tokens, c.dim]).expand(to: [m, n, c.tokens, c.dim])
            .reshape([m * n, c.tokens, c.dim])
        let ad = adapters
        context.adapter = { layer, p in ad[layer][p] }
        defer { context.adapter = nil }
        let h = try backbone.encode(folded, context: context)
        return try heads(h.select(axis: 1, index: 0))
    }
}
