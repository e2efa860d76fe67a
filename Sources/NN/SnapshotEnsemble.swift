import Core
import Data
import Foundation
import Tensor

/// Snapshot ensemble (Huang et al. 2017): one network fully fine-tuned with a
/// cyclic cosine learning rate (restarting at the base rate each cycle); the
/// parameters at the end of every cycle are the members.
public final class SnapshotEnsemble: EnsembleModel {
    public let network: Backbone
    public let cycles: Int
    /// Parameter values at the end of each finished cycle.
    public internal(set) var snapshots: [[String: Tensor]] = []
    public var baseBackbone: Backbone { network }
    public internal(set) var history: [EpochRecord] = []
    /// The seed of the fresh head.
    public let seed: UInt64
    public var kind: EnsembleKind { .snapshot }
    public var memberCount: Int { max(1, snapshots.count) }
    public var architecture: Architecture { network.architecture }

    public init(backbone: Backbone, cycles: Int, seed: UInt64 = 0) throws {
        guard cycles >= 1 else { throw NNError.invalidConfiguration("cycles must be at least 1, got \(cycles)") }
        network = try backbone.copyBackbone()
        network.unfreeze()
        network.resetHead(seed: seed)
        self.cycles = cycles
        self.seed = seed
    }

    /// lr at `step` of `total` with `cycles` cosine cycles: base/2 (1 + cos(pi t / cycle length)).
    public static func cyclicCosine(base: Float, step: Int, total: Int, cycles: Int) -> Float {
        let len = max(1, total / cycles)
        let c = min(step / len, cycles - 1)              // the last cycle absorbs the remainder
        let start = c * len
        let l = c == cycles - 1 ? max(1, total - start) : len
        return base / 2 * (1 + Float(cos(Double.pi * Double(step - start) / Double(l))))
    }

    @discardableResult
    public func fit(_ data: Dataset, config: TrainConfig, progress: ProgressHandler?, cancel: CancellationFlag?) throws -> FitOutcome {
        let n = data.count, bs = max(1, min(config.batchSize, max(n, 1)))
        let total = ((n + bs - 1) / bs) * config.epochs
        guard total >= cycles else {
            throw NNError.invalidConfiguration("a snapshot ensemble with \(cycles) cycles needs at least \(cycles) training steps, but this fit has \(total); train for more epochs or use fewer cycles")
        }
        snapshots = []
        let base = config.learningRate, cyc = cycles, len = total / cycles
        let out = try Trainer.fit(network: network, data: data, config: config,
                                  schedule: { step, tot in SnapshotEnsemble.cyclicCosine(base: base, step: step, total: tot, cycles: cyc) },
                                  progress: progress, cancel: cancel,
                                  onStepEnd: { [self] step, tot in
                                      if step == tot || (step % len == 0 && step / len < cyc) { snapshots.append(network.stateDict()) }
                                  })
        history += out.history
        return out
    }


    private func eachMember<T>(_ body: () throws -> T) throws -> [T] {
        if snapshots.isEmpty { return [try body()] }
        let current = network.stateDict()
        defer { try? network.loadStateDict(current) }
        return try snapshots.map { s in try network.loadStateDict(s, source: "a snapshot"); return try body() }
    }

    public func memberOutputs(_ data: Dataset, batchSize: Int, logits: Bool) throws -> MemberPredictions {
        try MemberPredictions(joining: eachMember { try Evaluation.predict(network, data: data, batchSize: batchSize, logits: logits) })
    }

    public func attention(_ input: ModelInput) throws -> AttentionMaps {
        try AttentionMaps(joining: eachMember { try Evaluation.attention(network, input: input) })
    }

    public func summary() -> ModelSummary {
        var parts = ModelSummary.parts(of: network, group: backbonePart)
        let stored = snapshots.count * network.parameterCount
        if stored > 0 { parts.append(PartSummary(name: "snapshots (stored)", total: stored, trainable: 0)) }
        return ModelSummary(kind: kind.rawValue, members: memberCount, architecture: architecture, parts: parts,
                            details: ["\(cycles) cosine cycles, one snapshot per cycle; \(snapshots.count) taken"])
    }

    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        var out = network.namedParameters()
        for (i, s) in snapshots.enumerated() {
            for k in s.keys.sorted() { out.append(("snapshots.\(i).\(k)", s[k]!)) }
        }
        return out
    }
}

extension SnapshotEnsemble: CheckpointOptions {
    static var checkpointKinds: [EnsembleKind] { [.snapshot] }

    /// More cycles than this is not a schedule anyone ran.
    static let maxCycles = 100_000

    var checkpointOptions: [String: String] { ["cycles": "\(cycles)", "snapshots": "\(snapshots.count)", "seed": "\(seed)"] }

    static func counts(_ md: CheckpointMetadata, tensors: [String: Tensor]) throws -> (cycles: Int, snapshots: Int) {
        let cycles = try md.int("cycles", in: 1...maxCycles)
        let snapshots = try md.int("snapshots", in: 0...cycles)
        let held = CheckpointMetadata.indices(under: "snapshots.", in: tensors)
        guard held.count == snapshots, held == Set(0..<snapshots) else {
            throw md.fail("metadata says snapshots \(snapshots) but the tensors hold \(held.count) snapshots (snapshots.0. ...); the metadata disagrees with the tensors")
        }
        return (cycles, snapshots)
    }

    static func plannedParameters(_ md: CheckpointMetadata, tensors: [String: Tensor], backbone: Double) throws -> Double {
        Double(1 + (try counts(md, tensors: tensors).snapshots)) * backbone
    }

    static func restore(_ md: CheckpointMetadata, tensors: [String: Tensor], backbone: Backbone) throws -> SnapshotEnsemble {
        let (cycles, count) = try counts(md, tensors: tensors)
        let m = try SnapshotEnsemble(backbone: backbone, cycles: cycles, seed: md.seed("seed"))
        let src = "'\(md.path)'"
        try m.network.loadStateDict(tensors.filter { !$0.key.hasPrefix("snapshots.") }, source: src)
        var snaps: [[String: Tensor]] = []
        for i in 0..<count {
            let s = memberTensors(tensors, "snapshots.\(i).")
            let shapes = Dictionary(uniqueKeysWithValues: m.network.namedParameters().map { ($0.name, $0.tensor.shape) })
            for (name, t) in s {
                guard let want = shapes[name] else { throw NNError.unexpectedParameter(name: "snapshots.\(i).\(name)", source: src) }
                guard want == t.shape else { throw NNError.parameterShape(name: "snapshots.\(i).\(name)", expected: want, found: t.shape, source: src) }
            }
            if let missing = shapes.keys.sorted().first(where: { s[$0] == nil }) {
                throw NNError.missingParameter(name: "snapshots.\(i).\(missing)", source: src)
            }
            snaps.append(s)
        }
        m.snapshots = snaps
        return m
    }
}
