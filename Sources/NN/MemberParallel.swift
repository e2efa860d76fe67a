import Core
import Cluster
import Data
import Foundation
import Tensor

extension LoRAEnsembleNetwork: MemberMajorParameters {}

/// Members `range` of a LoRA-Ensemble for one rank of a member-parallel fit:
/// the same frozen backbone object (and prefix cache), and copies of those
/// members' adapters and heads, named as in the whole network.
final class LoRAMemberSlice: MemberNetwork, MemberMajorParameters {
    let whole: LoRAEnsembleNetwork
    let range: Range<Int>
    let adapters: [[Projection: LoRAAdapter]]
    let heads: MemberHeads

    init(_ whole: LoRAEnsembleNetwork, members range: Range<Int>) {
        self.whole = whole
        self.range = range
        let k = range.count
        var rng = RNG(seed: 0)   // only shapes the copies; their values are overwritten below
        adapters = whole.adapters.map { layer in
            layer.mapValues { full in
                let r = full.rank, inF = full.a.shape[2], out = full.b.shape[1]
                let part = LoRAAdapter(members: k, rank: r, inFeatures: inF, outFeatures: out, initA: .kaimingUniform,
                                       scale: full.scale, rng: &rng)
                part.a.data = Array(full.a.data[(range.lowerBound * r * inF)..<(range.upperBound * r * inF)])
                part.b.data = Array(full.b.data[(range.lowerBound * out * r)..<(range.upperBound * out * r)])
                return part
            }
        }
        let c = whole.heads.weight.shape[1], d = whole.heads.weight.shape[2]
        heads = MemberHeads(members: k, copying: Linear(d, c, rng: &rng))
        heads.weight.data = Array(whole.heads.weight.data[(range.lowerBound * c * d)..<(range.upperBound * c * d)])
        heads.bias.data = Array(whole.heads.bias.data[(range.lowerBound * c)..<(range.upperBound * c)])
    }

    var members: Int { range.count }
    var architecture: Architecture { whole.architecture }
    var sharedBackbone: Backbone { whole.backbone }

    var children: [(name: String, module: Module)] {
        var c: [(name: String, module: Module)] = [("backbone", whole.backbone)]
        for (i, layer) in adapters.enumerated() {
            for p in Projection.allCases { if let a = layer[p] { c.append(("lora.\(i).\(p.rawValue)", a)) } }
        }
        c.append(("heads", heads))
        return c
    }

    func memberLogits(_ input: ModelInput, context: ForwardContext) throws -> Tensor {
        let pass = MemberPass(backbone: whole.backbone, members: members,
                              adapters: adapters.map { $0.mapValues { $0 as ProjectionAdapter } }, cache: whole.prefixCache)
        return try heads(pass.features(input, context: context))
    }
}

/// Member-parallel fits under MPI: every rank trains its contiguous share of
/// the members (`Communicator.share`) on every batch, with the same batches,
/// learning rates and (for explicit ensembles) seeds as one process; the
/// trained members are then gathered, so every rank again holds the whole model.
enum MemberParallel {
    /// A one-network model's fit: member-parallel for LoRA-Ensembles when
    /// chosen (or by default with at least as many members as ranks), else
    /// the trainer's own plan (data-parallel under MPI).
    static func fit(_ network: MemberNetwork, kind: EnsembleKind, data: Dataset, config: TrainConfig,
                    progress: ProgressHandler?, cancel: CancellationFlag?) throws -> FitOutcome {
        let world = Cluster.world
        let lora = network as? LoRAEnsembleNetwork
        let mode = try config.parallel.resolved(members: network.members, ranks: world.size, independent: lora != nil, kind: kind.rawValue)
        guard world.size > 1, mode == .members, let lora else {
            return try Trainer.fit(network: network, data: data, config: config, progress: progress, cancel: cancel,
                                   parallel: try ParallelStep.whole(network, config: config, kind: kind.rawValue))
        }
        let slice = LoRAMemberSlice(lora, members: world.share(of: lora.members))
        let plan = ParallelStep(.members(total: lora.members, local: slice.range), world: world, memberChunks: true)
        let out = try Trainer.fit(network: slice, data: data, config: config, progress: progress, cancel: cancel,
                                  validationPredict: { try predict(slice, total: lora.members, data: $0, world: world) },
                                  parallel: plan)
        try gatherMembers(of: lora, from: slice, world: world)
        return out
    }

    /// Probabilities of every member: each rank predicts its members on every sample.
    static func predict(_ slice: LoRAMemberSlice, total: Int, data: Dataset, world: Communicator) throws -> MemberPredictions {
        let mine = try Evaluation.predict(slice, data: data, batchSize: 256, shard: false)
        let values = try world.gather(mine.values).flatMap { $0 }
        return MemberPredictions(members: total, samples: mine.samples, classes: mine.classes, values: values)
    }

    /// Writes every rank's trained members back into `whole` (one gather).
    static func gatherMembers(of whole: LoRAEnsembleNetwork, from slice: LoRAMemberSlice, world: Communicator) throws {
        let mine = slice.trainableParameters().flatMap { $0.data }
        let parts = try world.gather(mine)
        let params = whole.trainableParameters(), m = whole.members
        for (r, part) in parts.enumerated() {
            let range = world.share(of: m, rank: r)
            var offset = 0
            for p in params {
                let per = p.count / m, n = per * range.count
                p.data.replaceSubrange((range.lowerBound * per)..<(range.lowerBound * per + n), with: part[offset..<(offset + n)])
                offset += n
            }
        }
    }

    /// One member's training as a rank reports it to the others.
    private struct MemberRun: Codable {
        var member: Int
        var stepsDone: Int
        var totalSteps: Int
        var cancelled: Bool
        var seconds: Double
        var history: [EpochRecord]
        var stopEpoch: Int?, stopStep: Int?, stepsPerEpoch: Int?
    }

    /// An explicit ensemble's fit, member-parallel (nil when this run is not:
    /// one process, or data-parallel chosen). Member i is trained with seed
    /// config.seed + i, exactly as one process trains it; every rank then
    /// receives every member's weights and history.
    static func fitExplicit(_ e: ExplicitEnsemble, data: Dataset, config: TrainConfig,
                            progress: ProgressHandler?, cancel: CancellationFlag?) throws -> FitOutcome? {
        let world = Cluster.world
        let m = e.memberCount
        let mode = try config.parallel.resolved(members: m, ranks: world.size, independent: true, kind: EnsembleKind.explicit.rawValue)
        guard world.size > 1, mode == .members else { return nil }
        let start = Trainer.now()
        var runs: [MemberRun] = []
        for i in world.share(of: m) {
            var c = config
            c.seed = config.seed &+ UInt64(i)
            let net = e.networks[i]
            let out = try Trainer.fit(network: net, data: data, config: c, member: i, memberCount: m, progress: progress, cancel: cancel,
                                      validationPredict: { try Evaluation.predict(net, data: $0, batchSize: 256, shard: false) },
                                      parallel: ParallelStep(.alone, world: world, memberChunks: false))
            runs.append(MemberRun(member: i, stepsDone: out.stepsDone, totalSteps: out.totalSteps, cancelled: out.cancelled,
                                  seconds: out.seconds, history: out.history, stopEpoch: out.stop?.epoch,
                                  stopStep: out.stop?.stepInEpoch, stepsPerEpoch: out.stop?.stepsPerEpoch))
            if out.cancelled { break }
        }
        let reports = try world.gather(Array(try JSONEncoder().encode(runs)))
        let all = try reports.flatMap { try JSONDecoder().decode([MemberRun].self, from: Data($0)) }.sorted { $0.member < $1.member }
        // Weights: each rank's members, in member order, one gather.
        let weights = try world.gather(runs.flatMap { r in e.networks[r.member].parameters().flatMap { $0.data } })
        for (r, part) in weights.enumerated() {
            var offset = 0
            for i in world.share(of: m, rank: r) where all.contains(where: { $0.member == i }) {
                for p in e.networks[i].parameters() {
                    p.data = Array(part[offset..<(offset + p.count)])
                    offset += p.count
                }
            }
        }
        let history = all.flatMap { $0.history }
        e.history += history
        let steps = all.reduce(0) { $0 + $1.stepsDone }
        let total = (all.first?.totalSteps ?? 0) * m
        if let stopped = all.first(where: { $0.cancelled }) {
            let stop = FitStop(epoch: stopped.stopEpoch ?? 0, epochs: config.epochs, stepInEpoch: stopped.stopStep ?? 0,
                               stepsPerEpoch: stopped.stepsPerEpoch ?? 0, member: stopped.member, memberCount: m)
            return FitOutcome(stepsDone: steps, totalSteps: total, cancelled: true, seconds: Trainer.now() - start, history: history, stop: stop)
        }
        return FitOutcome(stepsDone: steps, totalSteps: total, cancelled: false, seconds: Trainer.now() - start, history: history)
    }
}
