import Data
import Foundation
import Tensor

/// Per-member class probabilities [members, samples, classes], row-major
/// (index (m * samples + n) * classes + c). Hand `values` to Uncertainty's
/// `MemberProbabilities(members:samples:classes:values:)`.
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

    /// Accuracy of the ensemble mean against `labels`.
    public func accuracy(labels: [Int]) -> Double {
        let p = mean
        var correct = 0
        for n in 0..<samples {
            var best = 0
            for c in 1..<classes where p[n * classes + c] > p[n * classes + best] { best = c }
            if best == labels[n] { correct += 1 }
        }
        return Double(correct) / Double(max(samples, 1))
    }

    /// Accuracy of each member on its own.
    public func memberAccuracies(labels: [Int]) -> [Double] {
        (0..<members).map { m in
            var correct = 0
            for n in 0..<samples {
                let row = probabilities(member: m, sample: n)
                var best = row.startIndex
                for i in row.indices where row[i] > row[best] { best = i }
                if best - row.startIndex == labels[n] { correct += 1 }
            }
            return Double(correct) / Double(max(samples, 1))
        }
    }
}

/// Attention weights of one image, for every member, layer and head.
/// `weights[m][l]` is [heads, tokens, tokens] row-major (token 0 = class token;
/// tokens 1... are the patches in row-major grid order).
public struct AttentionMaps {
    public let members: Int
    public let layers: Int
    public let heads: Int
    public let tokens: Int
    public let gridHeight: Int
    public let gridWidth: Int
    public let weights: [[[Float]]]

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

    /// Probabilities [members, N, C] of `network` on the whole data set.
    static func predict(_ network: MemberNetwork, data: Dataset, batchSize: Int,
                        makeContext: () -> ForwardContext = { ForwardContext() }) throws -> MemberPredictions {
        try Trainer.checkData(data, network.vitConfig)
        let n = data.count, c = network.vitConfig.classes, m = network.members
        let bs = max(1, batchSize)
        var out = [Float](repeating: 0, count: m * n * c)
        try Tensor.noGrad {
            var start = 0
            while start < n {
                let idx = Array(start..<min(n, start + bs))
                let (images, _) = data.batch(idx)
                let z = try network.memberLogits(images, count: idx.count, context: makeContext())
                let p = softmaxRows(z.data, rows: m * idx.count, classes: c)
                for mi in 0..<m {
                    for (k, i) in idx.enumerated() {
                        for j in 0..<c { out[(mi * n + i) * c + j] = p[(mi * idx.count + k) * c + j] }
                    }
                }
                start += bs
            }
        }
        return MemberPredictions(members: m, samples: n, classes: c, values: out)
    }

    /// Attention maps of one image: [members][layers] -> [heads, T, T].
    static func attention(_ network: MemberNetwork, image: [Float], context: ForwardContext = ForwardContext()) throws -> AttentionMaps {
        let vc = network.vitConfig
        guard image.count == vc.channels * vc.height * vc.width else {
            throw NNError.dataMismatch("the image has \(image.count) values but the model expects \(vc.channels)x\(vc.height)x\(vc.width) = \(vc.channels * vc.height * vc.width)")
        }
        let rec = AttentionRecorder()
        context.recorder = rec
        _ = try Tensor.noGrad { try network.memberLogits(image, count: 1, context: context) }
        let m = network.members, t = vc.tokens, h = vc.heads, per = h * t * t
        var w: [[[Float]]] = Array(repeating: [], count: m)
        for layer in rec.layers {                       // [M*1, H, T, T]
            for mi in 0..<m { w[mi].append(Array(layer.data[(mi * per)..<((mi + 1) * per)])) }
        }
        return AttentionMaps(members: m, layers: rec.layers.count, heads: h, tokens: t,
                             gridHeight: vc.gridHeight, gridWidth: vc.gridWidth, weights: w)
    }
}
