import Data
import Tensor

/// BatchEnsemble (Wen et al. 2020) on a ViT: shared weights, rank-1
/// multiplicative factors per member on the attention projections,
/// per-member heads, all members in one batched pass.
public final class BatchEnsemble: EnsembleModel {
    public let network: BatchEnsembleNetwork
    public private(set) var history: [EpochRecord] = []
    public var kind: EnsembleKind { .batchEnsemble }
    public var memberCount: Int { network.members }
    public var config: ViTConfig { network.vitConfig }

    public init(backbone: ViT, options: BatchEnsembleOptions = BatchEnsembleOptions()) throws {
        network = try BatchEnsembleNetwork(backbone: backbone, options: options)
    }

    @discardableResult
    public func fit(_ data: Dataset, config: TrainConfig, progress: ProgressHandler?, cancel: CancellationFlag?) throws -> FitOutcome {
        let out = try Trainer.fit(network: network, data: data, config: config, progress: progress, cancel: cancel)
        history += out.history
        return out
    }

    public func predict(_ data: Dataset, batchSize: Int) throws -> MemberPredictions {
        try Evaluation.predict(network, data: data, batchSize: batchSize)
    }

    public func attention(image: [Float]) throws -> AttentionMaps {
        try Evaluation.attention(network, image: image)
    }

    public func summary() -> ModelSummary {
        let parts = ModelSummary.parts(of: network) { n in
            if n.hasPrefix("backbone.head.") { return "backbone head (unused)" }
            if n.hasPrefix("backbone.") { return "backbone" }
            if n.hasPrefix("batch.") { return "fast weights" }
            return "heads"
        }
        return ModelSummary(kind: kind.rawValue, members: memberCount, config: config, parts: parts,
                            details: ["rank-1 factors N(1, \(network.options.factorStd)^2); shared weights \(network.options.trainShared ? "trained" : "frozen")"])
    }

    public func namedParameters() -> [(name: String, tensor: Tensor)] { network.namedParameters() }
}
