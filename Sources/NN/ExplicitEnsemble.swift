import Core
import Data
import Tensor

/// Explicit (deep) ensemble: M full copies of the backbone, each with a fresh
/// head from its own seed, each fully fine-tuned on its own shuffling seed.
public final class ExplicitEnsemble: EnsembleModel {
    public let networks: [Backbone]
    public var baseBackbone: Backbone { networks[0] }
    public internal(set) var history: [EpochRecord] = []
    /// Member i's head was drawn from seed + 7919 i.
    public let seed: UInt64
    public var kind: EnsembleKind { .explicit }
    public var memberCount: Int { networks.count }
    public var architecture: Architecture { networks[0].architecture }

    public init(backbone: Backbone, members: Int, seed: UInt64 = 0) throws {
        guard members >= 1 else { throw NNError.invalidConfiguration("members must be at least 1, got \(members)") }
        var nets: [Backbone] = []
        for i in 0..<members {
            let v = try backbone.copyBackbone()
            v.unfreeze()
            v.resetHead(seed: seed &+ UInt64(i) &* 7919)
            nets.append(v)
        }
        networks = nets
        self.seed = seed
    }

    /// Trains the members one after another; member i uses seed config.seed + i.
    @discardableResult
    public func fit(_ data: Dataset, config: TrainConfig, progress: ProgressHandler?, cancel: CancellationFlag?) throws -> FitOutcome {
        if let out = try MemberParallel.fitExplicit(self, data: data, config: config, progress: progress, cancel: cancel) { return out }
        var steps = 0, total = 0, secs = 0.0
        var hist: [EpochRecord] = []
        for (i, net) in networks.enumerated() {
            var c = config
            c.seed = config.seed &+ UInt64(i)
            let out = try Trainer.fit(network: net, data: data, config: c, member: i, memberCount: networks.count,
                                      progress: progress, cancel: cancel)
            steps += out.stepsDone; total += out.totalSteps * (i == 0 ? networks.count : 0); secs += out.seconds
            hist += out.history
            history += out.history
            if out.cancelled {
                return FitOutcome(stepsDone: steps, totalSteps: total, cancelled: true, seconds: secs, history: hist, stop: out.stop)
            }
        }
        return FitOutcome(stepsDone: steps, totalSteps: total, cancelled: false, seconds: secs, history: hist)
    }

    public func memberOutputs(_ data: Dataset, batchSize: Int, logits: Bool) throws -> MemberPredictions {
        try MemberPredictions(joining: networks.map { try Evaluation.predict($0, data: data, batchSize: batchSize, logits: logits) })
    }

    public func attention(_ input: ModelInput) throws -> AttentionMaps {
        try AttentionMaps(joining: networks.map { try Evaluation.attention($0, input: input) })
    }

    public func summary() -> ModelSummary {
        var parts: [PartSummary] = []
        for (i, n) in networks.enumerated() {
            for p in ModelSummary.parts(of: n, group: backbonePart) {
                parts.append(PartSummary(name: "member \(i) \(p.name)", total: p.total, trainable: p.trainable))
            }
        }
        return ModelSummary(kind: kind.rawValue, members: memberCount, architecture: architecture, parts: parts,
                            details: ["\(memberCount) full copies, each fully fine-tuned"])
    }

    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        networks.enumerated().flatMap { i, n in n.namedParameters(prefix: "members.\(i).") }
    }
}

extension ExplicitEnsemble: CheckpointOptions {
    static var checkpointKinds: [EnsembleKind] { [.explicit] }

    var checkpointOptions: [String: String] { ["members": "\(memberCount)", "seed": "\(seed)"] }

    static func members(_ md: CheckpointMetadata, tensors: [String: Tensor]) throws -> Int {
        let members = try md.int("members", in: 1...Int(Int32.max))
        let held = CheckpointMetadata.indices(under: "members.", in: tensors)
        guard held.count == members, held == Set(0..<members) else {
            throw md.fail("metadata says members \(members) but the tensors hold \(held.count) members (members.0. ...); the metadata disagrees with the tensors")
        }
        return members
    }

    static func plannedParameters(_ md: CheckpointMetadata, tensors: [String: Tensor], backbone: Double) throws -> Double {
        Double(try members(md, tensors: tensors)) * backbone
    }

    static func restore(_ md: CheckpointMetadata, tensors: [String: Tensor], backbone: Backbone) throws -> ExplicitEnsemble {
        let m = try ExplicitEnsemble(backbone: backbone, members: members(md, tensors: tensors), seed: md.seed("seed"))
        for (i, n) in m.networks.enumerated() {
            try n.loadStateDict(memberTensors(tensors, "members.\(i)."), source: "'\(md.path)' (member \(i))")
        }
        return m
    }
}

/// The tensors named `prefix` + name, by name.
func memberTensors(_ tensors: [String: Tensor], _ prefix: String) -> [String: Tensor] {
    var d: [String: Tensor] = [:]
    for (k, v) in tensors where k.hasPrefix(prefix) { d[String(k.dropFirst(prefix.count))] = v }
    return d
}
