import Data
import Tensor

/// BatchEnsemble (Wen et al. 2020) on a backbone: shared weights, rank-1
/// multiplicative factors per member on the attention projections,
/// per-member heads, all members in one batched pass.
public final class BatchEnsemble: OneNetworkModel {
    public let network: BatchEnsembleNetwork
    public var memberNetwork: MemberNetwork { network }
    public var baseBackbone: Backbone { network.backbone }
    public var history: [EpochRecord] = []
    public var kind: EnsembleKind { .batchEnsemble }
    public var memberCount: Int { network.members }
    public var architecture: Architecture { network.architecture }

    public init(backbone: Backbone, options: BatchEnsembleOptions = BatchEnsembleOptions()) throws {
        network = try BatchEnsembleNetwork(backbone: backbone, options: options)
    }

    public func summary() -> ModelSummary {
        let parts = ModelSummary.parts(of: network) { n in
            if n.hasPrefix("backbone.head.") { return "backbone head (unused)" }
            if n.hasPrefix("backbone.") { return "backbone" }
            if n.hasPrefix("batch.") { return "fast weights" }
            return "heads"
        }
        return ModelSummary(kind: kind.rawValue, members: memberCount, architecture: architecture, parts: parts,
                            details: ["rank-1 factors N(1, \(network.options.factorStd)^2); shared weights \(network.options.trainShared ? "trained" : "frozen")"])
    }

    public func namedParameters() -> [(name: String, tensor: Tensor)] { network.namedParameters() }
}
