import Data
import Tensor

/// One backbone, every parameter trained (full fine-tuning). Also what
/// `vit.fit` uses to (pre-)train a backbone in place.
public final class SingleNetwork: OneNetworkModel {
    public let network: Backbone
    public var memberNetwork: MemberNetwork { network }
    public var baseBackbone: Backbone { network }
    public var history: [EpochRecord] = []
    public var kind: EnsembleKind { .single }
    public var memberCount: Int { 1 }
    public var architecture: Architecture { network.architecture }
    /// The seed of the fresh head (nil when the head was kept or the network trains in place).
    public private(set) var seed: UInt64?

    /// Fine-tunes a copy of `backbone`; its head starts fresh from `seed` (the
    /// paper) unless `freshHead` is false.
    public init(backbone: Backbone, freshHead: Bool = true, seed: UInt64 = 0) throws {
        network = try backbone.copyBackbone()
        network.unfreeze()
        if freshHead { network.resetHead(seed: seed); self.seed = seed }
    }

    /// Trains `vit` itself (no copy): for training a backbone from scratch.
    public init(training vit: Backbone) {
        network = vit
        vit.unfreeze()
    }

    public func summary() -> ModelSummary {
        ModelSummary(kind: kind.rawValue, members: 1, architecture: architecture,
                     parts: ModelSummary.parts(of: network, group: backbonePart), details: ["full fine-tuning"])
    }

    public func namedParameters() -> [(name: String, tensor: Tensor)] { network.namedParameters() }
}

extension SingleNetwork: CheckpointOptions {
    static var checkpointKinds: [EnsembleKind] { [.single] }

    var checkpointOptions: [String: String] { seed.map { ["seed": "\($0)"] } ?? [:] }

    static func plannedParameters(_ md: CheckpointMetadata, tensors: [String: Tensor], backbone: Double) throws -> Double {
        _ = try md.seed("seed")
        return backbone
    }

    static func restore(_ md: CheckpointMetadata, tensors: [String: Tensor], backbone: Backbone) throws -> SingleNetwork {
        let m = SingleNetwork(training: backbone)
        if md.has("seed") { m.seed = try md.seed("seed") }
        try backbone.loadStateDict(tensors, source: "'\(md.path)'")
        return m
    }
}
