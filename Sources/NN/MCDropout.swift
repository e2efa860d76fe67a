import Core
import Data
import Machine
import Tensor

/// MC dropout: one fully fine-tuned ViT with DropKey (dropout on the attention
/// logits, p = 0.2 in the reference) kept on at test time; `samples`
/// stochastic passes are the members.
public final class MCDropout: EnsembleModel {
    public let network: Backbone
    public let p: Float
    public let samples: Int
    public let seed: UInt64
    public var baseBackbone: Backbone { network }
    public internal(set) var history: [EpochRecord] = []
    public var kind: EnsembleKind { .mcDropout }
    public var memberCount: Int { samples }
    public var architecture: Architecture { network.architecture }

    public init(backbone: Backbone, p: Float = 0.2, samples: Int = 16, seed: UInt64 = 0) throws {
        guard p >= 0, p < 1 else { throw NNError.invalidConfiguration("dropout p must be in [0, 1), got \(p)") }
        guard samples >= 1 else { throw NNError.invalidConfiguration("samples must be at least 1, got \(samples)") }
        network = try backbone.copyBackbone()
        network.unfreeze()
        network.resetHead(seed: seed)
        self.p = p; self.samples = samples; self.seed = seed
    }

    @discardableResult
    public func fit(_ data: Dataset, config: TrainConfig, progress: ProgressHandler?, cancel: CancellationFlag?) throws -> FitOutcome {
        // Validation uses the MC passes, as predictions do.
        let out = try Trainer.fit(network: network, data: data, config: config, dropKey: p, progress: progress, cancel: cancel,
                                  validationPredict: { [self] v in try predict(v, batchSize: 256) },
                                  validationPasses: samples)
        history += out.history
        return out
    }

    /// Stream of sample s: the same for every call, so predictions are reproducible.
    private func context(sample s: Int) -> ForwardContext {
        ForwardContext(training: false, dropKey: p, rng: RNG(seed: seed, stream: .monteCarloPass(s)))
    }

    public func memberOutputs(_ data: Dataset, batchSize: Int, logits: Bool) throws -> MemberPredictions {
        try MemberPredictions(joining: (0..<samples).map { s in
            let ctx = context(sample: s)
            return try Evaluation.predict(network, data: data, batchSize: batchSize, logits: logits, makeContext: { ctx })
        })
    }

    /// The maps of every pass. After the first pass the memory all of them
    /// need is known, and more than is available is refused before the rest run.
    public func attention(_ input: ModelInput) throws -> AttentionMaps {
        let first = try Evaluation.attention(network, input: input, context: context(sample: 0))
        let perPass = 4 * Double(first.layers) * Double(first.heads) * Double(first.tokens) * Double(first.tokens)
        try AvailableMemory.check(2 * perPass * Double(samples), for: "the attention maps of \(samples) MC-dropout passes",
                                  remedy: "use fewer passes: mc_dropout(base, samples: 16)")
        var maps = [first]
        for s in 1..<max(1, samples) { maps.append(try Evaluation.attention(network, input: input, context: context(sample: s))) }
        return try AttentionMaps(joining: maps)
    }

    public func summary() -> ModelSummary {
        ModelSummary(kind: kind.rawValue, members: samples, architecture: architecture,
                     parts: ModelSummary.parts(of: network, group: backbonePart),
                     details: ["DropKey p = \(p) on the attention logits, \(samples) passes at test time"])
    }

    public func namedParameters() -> [(name: String, tensor: Tensor)] { network.namedParameters() }
}

extension MCDropout: CheckpointOptions {
    static var checkpointKinds: [EnsembleKind] { [.mcDropout] }

    /// More passes than this at test time is not a model anyone trained.
    static let maxSamples = 100_000

    var checkpointOptions: [String: String] { ["p": "\(p)", "samples": "\(samples)", "seed": "\(seed)"] }

    static func plannedParameters(_ md: CheckpointMetadata, tensors: [String: Tensor], backbone: Double) throws -> Double {
        _ = try md.float("p", in: 0...0.999_999)
        _ = try md.int("samples", in: 1...maxSamples)
        _ = try md.seed("seed")
        return backbone
    }

    static func restore(_ md: CheckpointMetadata, tensors: [String: Tensor], backbone: Backbone) throws -> MCDropout {
        let m = try MCDropout(backbone: backbone, p: md.float("p", in: 0...0.999_999), samples: md.int("samples", in: 1...maxSamples),
                              seed: md.seed("seed"))
        try m.network.loadStateDict(tensors, source: "'\(md.path)'")
        return m
    }
}
