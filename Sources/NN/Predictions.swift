import Cluster
import Data
import Foundation
import Tensor
import Uncertainty

/// Per-member class probabilities [members, samples, classes], row-major
/// (index (m * samples + n) * classes + c). Hand `values` to Uncertainty's
/// `MemberProbabilities(members:samples:classes:values:)`. From
/// `predictLogits` the values are the members' logits instead (Uncertainty's
/// `MemberLogits`).
public struct MemberPredictions: Equatable {
    public let members: Int
    public let samples: Int
    public let classes: Int
    public let values: [Float]

    /// Member m's probabilities of sample n.
    public func probabilities(member m: Int, sample n: Int) -> ArraySlice<Float> {
        let b = (m * samples + n) * classes
        return values[b..<(b + classes)]
    }

    /// The ensemble mean p̄ [samples, classes].
    public var mean: [Float] {
        var out = [Float](repeating: 0, count: samples * classes)
        for m in 0..<members {
            for i in 0..<(samples * classes) { out[i] += values[m * samples * classes + i] }
        }
        let s = 1 / Float(members)
        for i in out.indices { out[i] *= s }
        return out
    }

    /// The same numbers as Uncertainty's checked `MemberProbabilities`, the one
    /// home of accuracy, NLL, ECE and the other metrics.
    public func memberProbabilities() throws -> MemberProbabilities {
        try MemberProbabilities(members: members, samples: samples, classes: classes, values: values)
    }
}

extension MemberPredictions {
    /// The predictions of several models (an explicit ensemble's networks, MC
    /// passes, snapshots) as the members of one, in order.
    init(joining parts: [MemberPredictions]) throws {
        guard let a = parts.first else { throw NNError.notTrained("no members to predict with") }
        self.init(members: parts.reduce(0) { $0 + $1.members }, samples: a.samples, classes: a.classes,
                  values: parts.flatMap { $0.values })
    }
}

/// Attention weights of one sample, for every member, layer and head.
/// `weights[m][l]` is [heads, tokens, tokens] row-major. Images: token 0 is the
/// class token, tokens 1... the patches in row-major grid order. Texts: token 0
/// is [CLS], then the word pieces (`pieces`) and [SEP]; the "grid" is one row.
public struct AttentionMaps {
    public let members: Int
    public let layers: Int
    public let heads: Int
    public let tokens: Int
    public let gridHeight: Int
    public let gridWidth: Int
    public let weights: [[[Float]]]
    /// The text's word pieces, [CLS] first (nil for images).
    public let pieces: [String]?

    public init(members: Int, layers: Int, heads: Int, tokens: Int, gridHeight: Int, gridWidth: Int,
                weights: [[[Float]]], pieces: [String]? = nil) {
        self.members = members; self.layers = layers; self.heads = heads; self.tokens = tokens
        self.gridHeight = gridHeight; self.gridWidth = gridWidth; self.weights = weights; self.pieces = pieces
    }

    /// The maps of several one-member models (explicit ensemble, MC samples,
    /// snapshots) as the members of one.
    init(joining maps: [AttentionMaps]) throws {
        guard let a = maps.first else { throw NNError.notTrained("no members to take attention maps of") }
        self.init(members: maps.count, layers: a.layers, heads: a.heads, tokens: a.tokens, gridHeight: a.gridHeight,
                  gridWidth: a.gridWidth, weights: maps.map { $0.weights[0] }, pieces: a.pieces)
    }

    /// Class-token attention over the patches of (member, layer, head):
    /// gridHeight x gridWidth values, row-major.
    public func classTokenAttention(member m: Int, layer l: Int, head h: Int) -> [Float] {
        let w = weights[m][l]
        let row = h * tokens * tokens            // query = class token (row 0)
        return Array(w[(row + 1)..<(row + tokens)])
    }

    /// Class-token attention averaged over heads.
    public func classTokenAttention(member m: Int, layer l: Int) -> [Float] {
        var out = [Float](repeating: 0, count: tokens - 1)
        for h in 0..<heads {
            let a = classTokenAttention(member: m, layer: l, head: h)
            for i in out.indices { out[i] += a[i] / Float(heads) }
        }
        return out
    }
}

/// Forward passes in evaluation mode, without a graph, turned into probabilities.
enum Evaluation {
    static func softmaxRows(_ z: [Float], rows: Int, classes c: Int) -> [Float] {
        var p = [Float](repeating: 0, count: rows * c)
        for r in 0..<rows {
            var mx = -Float.infinity
            for j in 0..<c { mx = max(mx, z[r * c + j]) }
            var s: Float = 0
            for j in 0..<c { let e = expf(z[r * c + j] - mx); p[r * c + j] = e; s += e }
            for j in 0..<c { p[r * c + j] /= s }
        }
        return p
    }

    /// Probabilities [members, N, C] of `network` on the whole data set
    /// (the raw logits when `logits` is true). Under MPI every rank predicts
    /// its contiguous share of the samples and the shares are gathered
    /// (`shard: false`: this rank predicts every sample itself).
    /// Members run in the groups of `groups` (nil: `MemberGroupPlan.forPrediction`,
    /// as many at once as the memory budget holds).
    static func predict(_ network: MemberNetwork, data: Dataset, batchSize: Int, logits: Bool = false, shard: Bool = true,
                        groups: MemberGroupPlan? = nil,
                        makeContext: () -> ForwardContext = { ForwardContext() }) throws -> MemberPredictions {
        try Trainer.checkData(data, network.architecture)
        let n = data.count, c = network.architecture.classes, m = network.members
        let plan = groups ?? MemberGroupPlan.forPrediction(network, batch: min(max(1, batchSize), max(1, n)))
        let world = Cluster.world
        guard shard, world.size > 1 else {
            return MemberPredictions(members: m, samples: n, classes: c,
                                     values: try predict(network, data: data, samples: 0..<n, batchSize: batchSize, logits: logits,
                                                         groups: plan, makeContext: makeContext))
        }
        let mine = try predict(network, data: data, samples: world.share(of: n), batchSize: batchSize, logits: logits,
                               groups: plan, makeContext: makeContext)
        let parts = try world.gather(mine)
        var out = [Float](repeating: 0, count: m * n * c)
        for (r, part) in parts.enumerated() {
            let rows = world.share(of: n, rank: r)
            for mi in 0..<m {
                for k in 0..<(rows.count * c) { out[(mi * n + rows.lowerBound) * c + k] = part[mi * rows.count * c + k] }
            }
        }
        return MemberPredictions(members: m, samples: n, classes: c, values: out)
    }

    /// Probabilities (or logits) [members, samples.count, C] of `samples` of `data`.
    /// With a plan of groups smaller than all members (a `MemberGroupPrediction`),
    /// each batch's shared part runs once and the members group by group, so
    /// only one group's tensors are alive at a time; every forward batch of a
    /// group is reported to the `EvaluationWatch` (Ctrl-C, progress).
    static func predict(_ network: MemberNetwork, data: Dataset, samples: Range<Int>, batchSize: Int, logits: Bool,
                        groups: MemberGroupPlan?, makeContext: () -> ForwardContext) throws -> [Float] {
        let n = samples.count, c = network.architecture.classes, m = network.members
        let bs = max(1, batchSize)
        var out = [Float](repeating: 0, count: m * n * c)
        /// Member rows `members` of a batch's logits [k, B, C] into `out`.
        func store(_ z: Tensor, members: Range<Int>, idx: [Int]) {
            let p = logits ? z.data : softmaxRows(z.data, rows: members.count * idx.count, classes: c)
            for (g, mi) in members.enumerated() {
                for (k, i) in idx.enumerated() {
                    for j in 0..<c { out[(mi * n + i - samples.lowerBound) * c + j] = p[(g * idx.count + k) * c + j] }
                }
            }
        }
        let grouped = network as? MemberGroupPrediction
        try Tensor.noGrad {
            var start = samples.lowerBound
            while start < samples.upperBound {
                let idx = Array(start..<min(samples.upperBound, start + bs))
                let input = data.modelInputs(idx).input
                let context = makeContext()
                if let grouped, let plan = groups, plan.size < m {
                    let shared = try grouped.sharedPart(input, context: context)
                    for lo in stride(from: 0, to: m, by: plan.size) {
                        let range = lo..<min(m, lo + plan.size)
                        store(try grouped.memberLogits(shared: shared, members: range, context: context), members: range, idx: idx)
                        try EvaluationWatch.batchDone(range.count * idx.count)
                    }
                } else {
                    store(try network.memberLogits(input, context: context), members: 0..<m, idx: idx)
                    try EvaluationWatch.batchDone(m * idx.count)
                }
                start += bs
            }
        }
        return out
    }

    /// Attention maps of one sample: [members][layers] -> [heads, T, T].
    static func attention(_ network: MemberNetwork, input: ModelInput, context: ForwardContext = ForwardContext()) throws -> AttentionMaps {
        let a = network.architecture
        guard input.count == 1 else { throw NNError.dataMismatch("attention maps are drawn for one sample at a time, got \(input.count)") }
        var pieces: [String]? = nil
        switch (input, a.input) {
        case (.images(let image, _), .images(let c, let h, let w, _)):
            guard image.count == c * h * w else {
                throw NNError.dataMismatch("the image has \(image.count) values but the model expects \(c)x\(h)x\(w) = \(c * h * w)")
            }
        case (.texts(let t), .text):
            pieces = try network.sharedBackbone.embed(.texts(t)).pieces?.first
        default:
            throw NNError.dataMismatch(a.input.mismatch)
        }
        let rec = AttentionRecorder()
        context.recorder = rec
        _ = try Tensor.noGrad { try network.memberLogits(input, context: context) }
        try EvaluationWatch.batchDone(network.members)
        guard let first = rec.layers.first else { throw NNError.notTrained("the model recorded no attention") }
        let m = network.members, t = first.shape[2], h = first.shape[1], per = h * t * t
        var w: [[[Float]]] = Array(repeating: [], count: m)
        for layer in rec.layers {
            // [M*1, H, T, T]; a layer shared by every member (below the first adapter) ran once: [1, H, T, T].
            let shared = layer.shape[0] == 1
            for mi in 0..<m {
                let r = shared ? 0 : mi
                w[mi].append(Array(layer.data[(r * per)..<((r + 1) * per)]))
            }
        }
        var gh = 1, gw = t - 1
        if case .images(_, let ih, let iw, let patch) = a.input { gh = ih / patch; gw = iw / patch }
        return AttentionMaps(members: m, layers: rec.layers.count, heads: h, tokens: t,
                             gridHeight: gh, gridWidth: gw, weights: w, pieces: pieces)
    }
}
