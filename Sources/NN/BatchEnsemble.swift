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

extension BatchEnsemble: CheckpointOptions {
    static var checkpointKinds: [EnsembleKind] { [.batchEnsemble] }

    var checkpointOptions: [String: String] {
        let o = network.options
        return ["members": "\(o.members)", "factorStd": "\(o.factorStd)", "trainShared": "\(o.trainShared)", "seed": "\(o.seed)",
                "targets": Projection.allCases.filter { o.targets.contains($0) }.map { $0.rawValue }.joined(separator: ",")]
    }

    static func options(_ md: CheckpointMetadata, tensors: [String: Tensor]) throws -> BatchEnsembleOptions {
        let members = try md.int("members", in: 1...Int(Int32.max))
        let held = try md.leadingExtent("heads.weight", in: tensors)
        guard members == held else {
            throw md.fail("metadata says members \(members) but the file holds \(held) member heads (heads.0 ...); the metadata disagrees with the tensors")
        }
        return BatchEnsembleOptions(members: members, targets: try md.targets(), factorStd: try md.float("factorStd", in: 0...1e6),
                                    trainShared: try md.bool("trainShared", default: true), seed: try md.seed("seed"))
    }

    static func plannedParameters(_ md: CheckpointMetadata, tensors: [String: Tensor], backbone: Double) throws -> Double {
        let o = try options(md, tensors: tensors)
        let (depth, width, classes) = try backboneSizes(md, tensors: tensors)
        let m = Double(o.members), d = Double(width)
        let factors: Double = Double(depth) * Double(o.targets.count) * m * 2 * d
        return backbone + factors + m * linearParameters(d, Double(classes))
    }

    static func restore(_ md: CheckpointMetadata, tensors: [String: Tensor], backbone: Backbone) throws -> BatchEnsemble {
        let m = try BatchEnsemble(backbone: backbone, options: options(md, tensors: tensors))
        try m.network.loadStateDict(tensors, source: "'\(md.path)'")
        return m
    }
}
