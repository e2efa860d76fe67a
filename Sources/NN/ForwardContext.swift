import Core
import Tensor

/// One of the four attention projections that adapters can target.
public enum Projection: String, CaseIterable, Codable, Hashable {
    case q, k, v, o
}

/// Replaces how an attention projection maps its input: LoRA adds a low-rank
/// term to the frozen product, BatchEnsemble scales input and output per member.
/// `x` holds the members folded into the batch: [members * B, T, in].
public protocol ProjectionAdapter: AnyObject {
    func project(_ x: Tensor, through base: Linear) throws -> Tensor
    /// For adapters that only add a low-rank term to the base output (LoRA):
    /// that term as an in-place update of output columns offset..<offset+out,
    /// which lets attention fuse q, k and v into one gemm. nil = not low-rank
    /// (then attention runs `project` on each projection).
    func lowRankUpdate(offset: Int) -> LowRankUpdate?
}

extension ProjectionAdapter {
    public func lowRankUpdate(offset: Int) -> LowRankUpdate? { nil }
}

/// Collects attention weights during a forward pass: one [N, H, T, T] tensor per layer.
public final class AttentionRecorder {
    public private(set) var layers: [Tensor] = []
    public init() {}
    func record(_ weights: Tensor) { layers.append(weights) }
}

/// What a forward pass needs besides its input: training mode, DropKey rate and
/// its random stream, the adapters to apply, and an optional attention recorder.
public final class ForwardContext {
    public var training: Bool
    /// DropKey (MC dropout on the attention logits) probability; 0 = off.
    public var dropKey: Float
    public var rng: RNG?
    public var recorder: AttentionRecorder?
    /// The adapter for (layer, projection), if any.
    public var adapter: ((Int, Projection) -> ProjectionAdapter?)?
    /// Set by the encoder while it runs each block.
    public internal(set) var layer: Int = 0
    /// Real (unpadded) tokens of each batch row, for padded text batches: row b
    /// attends only to its first validTokens[b] tokens. nil = every token is real.
    public var validTokens: [Int]?

    public init(training: Bool = false, dropKey: Float = 0, rng: RNG? = nil,
                recorder: AttentionRecorder? = nil,
                adapter: ((Int, Projection) -> ProjectionAdapter?)? = nil) {
        self.training = training
        self.dropKey = dropKey
        self.rng = rng
        self.recorder = recorder
        self.adapter = adapter
    }
}
