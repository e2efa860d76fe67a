import Data
import Tensor

/// LoRA-Ensemble (Halbheer et al. 2024): M members sharing one frozen
/// backbone, each with its own low-rank adapters on the attention projections
/// and its own head, trained together in one batched pass. With M = 1 it is
/// the "single + LoRA" baseline.
public final class LoRAEnsemble: OneNetworkModel {
    public let network: LoRAEnsembleNetwork
    public var memberNetwork: MemberNetwork { network }
    public var baseBackbone: Backbone { network.backbone }
    public var history: [EpochRecord] = []
    public var kind: EnsembleKind { network.members == 1 ? .singleLoRA : .loraEnsemble }
    public var memberCount: Int { network.members }
    public var architecture: Architecture { network.architecture }
    public var options: LoRAOptions { network.options }

    public init(backbone: Backbone, options: LoRAOptions = LoRAOptions()) throws {
        network = try LoRAEnsembleNetwork(backbone: backbone, options: options)
    }

    public func summary() -> ModelSummary {
        let o = options
        let parts = ModelSummary.parts(of: network) { n in
            if n.hasPrefix("backbone.head.") { return "backbone head (unused)" }
            if n.hasPrefix("backbone.") { return "backbone" }
            if n.hasPrefix("lora.") { return "adapters" }
            return "heads"
        }
        var t = Projection.allCases.filter { o.targets.contains($0) }.map { $0.rawValue }.joined(separator: ",")
        if let l = o.layers { t += " of layers \(l.lowerBound)..<\(l.upperBound)" }
        return ModelSummary(kind: kind.rawValue, members: o.members, architecture: architecture, parts: parts,
                            details: ["rank \(o.rank) on \(t); A init \(o.initA); scale \(o.scale); heads \(o.copyHead ? "copied from the backbone" : "fresh")",
                                      "trainable per member: \(network.trainableParametersPerMember)"])
    }

    public func namedParameters() -> [(name: String, tensor: Tensor)] { network.namedParameters() }
}
