import Data
import Tensor

/// One ViT, every parameter trained (full fine-tuning). Also what `vit.fit`
/// uses to (pre-)train a backbone in place.
public final class SingleNetwork: OneNetworkModel {
    public let network: ViT
    public var history: [EpochRecord] = []
    public var kind: EnsembleKind { .single }
    public var memberCount: Int { 1 }
    public var config: ViTConfig { network.config }

    /// Fine-tunes a copy of `backbone`; its head starts fresh from `seed` (the
    /// paper) unless `freshHead` is false.
    public init(backbone: ViT, freshHead: Bool = true, seed: UInt64 = 0) throws {
        network = try backbone.copy()
        network.unfreeze()
        if freshHead { resetHead(network, seed: seed) }
    }

    /// Trains `vit` itself (no copy): for training a backbone from scratch.
    public init(training vit: ViT) {
        network = vit
        vit.unfreeze()
    }

    public func summary() -> ModelSummary {
        ModelSummary(kind: kind.rawValue, members: 1, config: config,
                     parts: ModelSummary.parts(of: network, group: vitPart), details: ["full fine-tuning"])
    }

    public func namedParameters() -> [(name: String, tensor: Tensor)] { network.namedParameters() }
}
