import Core
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

    /// The factors of members `range` only (slices), for prediction in member groups.
    private init(slicing r: Tensor, _ s: Tensor) {
        self.r = r; self.s = s
    }

    func members(_ range: Range<Int>) throws -> BatchEnsembleAdapter {
        if range == 0..<members { return self }
        return BatchEnsembleAdapter(slicing: try r.slice(axis: 0, range: range), try s.slice(axis: 0, range: range))
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

/// BatchEnsemble on a backbone: rank-1 multiplicative factors per member on
/// the attention projections, per-member heads, members folded into the batch
/// (the same `MemberPass` as LoRA-Ensemble).
public final class BatchEnsembleNetwork: AdaptedMemberNetwork {
    public let backbone: Backbone
    public let options: BatchEnsembleOptions
    public let adapters: [[Projection: BatchEnsembleAdapter]]
    public let heads: MemberHeads

    public init(backbone source: Backbone, options: BatchEnsembleOptions) throws {
        guard options.members >= 1 else { throw NNError.invalidConfiguration("members must be at least 1, got \(options.members)") }
        let a = source.architecture
        backbone = try source.copyBackbone()
        if options.trainShared { backbone.unfreeze() } else { backbone.freeze() }
        backbone.head.freeze()   // replaced by the per-member heads
        self.options = options
        var initial = AdapterInitialization(seed: options.seed, depth: a.depth, layers: 0..<a.depth, targets: options.targets) { r in
            BatchEnsembleAdapter(members: options.members, inFeatures: a.width, outFeatures: a.width, std: options.factorStd, rng: &r)
        }
        adapters = initial.adapters
        heads = MemberHeads(members: options.members, dim: a.width, classes: a.classes, rng: &initial.headStream)
        labelParameters()
    }

    public var members: Int { options.members }
    public static var adapterPrefix: String { "batch" }

    public func memberLogits(_ input: ModelInput, context: ForwardContext) throws -> Tensor {
        // The shared weights may train: no prefix cache.
        let pass = MemberPass(backbone: backbone, members: members, adapters: projectionAdapters, cache: nil)
        return try heads(pass.features(input, context: context))
    }
}

/// Prediction in member groups (memory bounded like LoRA-Ensemble's): the
/// embedding once per batch, then a few members at a time with their slices
/// of r, s and the heads. Every row sees the same operations as in one pass
/// of all members, so the numbers are the same. Training stays one pass: the
/// shared weights learn from every member's rows.
extension BatchEnsembleNetwork: MemberGroupPrediction {
    public func sharedPart(_ input: ModelInput, context: ForwardContext) throws -> EmbeddedBatch {
        try MemberPass(backbone: backbone, members: members, adapters: projectionAdapters, cache: nil).shared(input, context: context)
    }

    public func memberLogits(shared: EmbeddedBatch, members range: Range<Int>, context: ForwardContext) throws -> Tensor {
        let ad = try adapters.map { layer in try layer.mapValues { try $0.members(range) as ProjectionAdapter } }
        let group = MemberPass(backbone: backbone, members: range.count, adapters: ad, cache: nil)
        return try heads(group.features(shared: shared, context: context), members: range)
    }
}
