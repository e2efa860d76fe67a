import Core
import Cluster
import Data
import Tensor

/// A network whose trainable tensors all lead with the member axis ([M, ...]),
/// member m's values contiguous: its members can be split over ranks, and its
/// gradient norm is summed member by member (so one process and any split of
/// the members add the same partial sums in the same order).
protocol MemberMajorParameters: MemberNetwork {}

/// What one training step shares with the other ranks (`Cluster.world`), for
/// `Trainer.fit`. Alone (one process, or a rank training a model of its own)
/// nothing is exchanged. Data-parallel: this rank computes its share of the
/// batch's rows; the trainable gradients, the loss and the accuracy count are
/// summed over the ranks in ONE buffer per step. Member-parallel: this rank's
/// network holds its share of the members; the members' logits are gathered
/// (the loss and accuracy shown are then the whole ensemble's, computed as one
/// process computes them), and so are the per-member squared gradient norms for
/// clipping: no gradient moves.
///
/// Every exchange also carries this rank's Ctrl-C, so all ranks stop after the
/// same step.
final class ParallelStep {
    enum Mode: Equatable {
        case alone
        case data
        /// This rank trains members `local` of `total`.
        case members(total: Int, local: Range<Int>)
    }

    let mode: Mode
    let world: Communicator
    /// The squared gradient norm is summed per (tensor, member) (see MemberMajorParameters).
    let memberChunks: Bool
    /// Some rank asked to stop (Ctrl-C) in the last exchange.
    private(set) var stopAgreed = false

    init(_ mode: Mode, world: Communicator = Cluster.world, memberChunks: Bool) {
        self.mode = mode
        self.world = world
        self.memberChunks = memberChunks
    }

    /// The plan for a network handed to `Trainer.fit` as a whole: alone in one
    /// process, data-parallel under MPI (member splitting happens before, in
    /// `MemberParallel`, which passes its own plan).
    static func whole(_ network: MemberNetwork, config: TrainConfig, kind: String) throws -> ParallelStep {
        let world = Cluster.world
        let chunks = network is MemberMajorParameters && network.members > 1
        guard world.size > 1 else { return ParallelStep(.alone, world: world, memberChunks: chunks) }
        _ = try config.parallel.resolved(members: network.members, ranks: world.size, independent: false, kind: kind)
        return ParallelStep(.data, world: world, memberChunks: chunks)
    }

    /// Whether training should stop before the next step.
    func shouldStop(_ cancel: CancellationFlag?) -> Bool {
        mode == .alone ? cancel?.isSet == true : stopAgreed
    }

    /// Whether this rank may stop on its own, anywhere (one process, or a rank
    /// training a model of its own); otherwise the ranks stop together between steps.
    var stopsAlone: Bool { mode == .alone }

    /// The rows of a batch of `count` this rank computes.
    func localRows(_ count: Int) -> Range<Int> {
        mode == .data ? world.share(of: count) : 0..<count
    }

    /// What the summed cross-entropy of this rank's rows is divided by: every
    /// member of every rank times the whole batch (nil: this rank's rows).
    func lossDivisor(localMembers m: Int, batch: Int) -> Int? {
        switch mode {
        case .alone: return nil
        case .data: return m * batch
        case .members(let total, _): return total * batch
        }
    }

    var gathersLogits: Bool { if case .members = mode { return true } else { return false } }
    var sumsGradients: Bool { mode == .data }

    /// Member-parallel: the whole ensemble's loss and correct count from every
    /// rank's logits [M_r, B, C] (members in rank order), computed exactly as
    /// one process computes them.
    func gatheredLoss(_ logits: Tensor, labels: [Int], classes c: Int, stop: Bool) throws -> (loss: Float, correct: Int) {
        var mine = logits.data
        mine.append(stop ? 1 : 0)
        let parts = try world.gather(mine)
        stopAgreed = parts.contains { $0.last == 1 }
        let all = parts.flatMap { $0.dropLast() }
        let b = labels.count, m = all.count / max(1, b * c)
        let full = try Tensor(shape: [m, b, c], data: all)
        let repeated = [[Int]](repeating: labels, count: m).flatMap { $0 }
        let loss = try Tensor.noGrad { try Tensor.crossEntropy(logits: full.reshape([m * b, c]), labels: repeated).item() }
        return (loss, Trainer.ensembleAccuracy(full, labels: labels).correct)
    }

    /// Data-parallel: sums every trainable gradient, this rank's share of the
    /// loss and its correct count over the ranks, in one buffer. Afterwards
    /// every rank holds the whole batch's gradient; returns the batch's loss and correct count.
    func sumGradients(_ params: [Tensor], loss: Float, correct: Int, stop: Bool) throws -> (loss: Float, correct: Int) {
        let total = params.reduce(0) { $0 + $1.count }
        var buffer = [Float]()
        buffer.reserveCapacity(total + 3)
        for p in params {
            if let g = p.grad { buffer += g.data } else { buffer += [Float](repeating: 0, count: p.count) }
        }
        buffer += [loss, Float(correct), stop ? 1 : 0]
        try world.sum(&buffer)
        var offset = 0
        for p in params {
            let g = Array(buffer[offset..<(offset + p.count)])
            if let grad = p.grad { grad.data = g } else { p.grad = try Tensor(shape: p.shape, data: g) }
            offset += p.count
        }
        stopAgreed = buffer[total + 2] > 0
        return (buffer[total], Int(buffer[total + 1].rounded()))
    }

    /// Global-norm clipping to `maxNorm`; returns the norm before clipping.
    /// Member-major networks sum the squares per (tensor, member), in that
    /// order, each sum sequential in Double: the same additions however the
    /// members are split, so clipping stays bit-identical to one process.
    func clip(_ params: [Tensor], maxNorm: Float) throws -> Float {
        guard memberChunks else { return clipGradNorm(params, maxNorm: maxNorm) }
        let members: Int
        if case .members(_, let local) = mode { members = local.count } else { members = params.first?.shape.first ?? 1 }
        var partial = [Double]()
        partial.reserveCapacity(params.count * members)
        for p in params {
            let per = p.count / members
            let g = p.grad?.data
            for m in 0..<members {
                var s: Double = 0
                if let g { for i in (m * per)..<((m + 1) * per) { s += Double(g[i]) * Double(g[i]) } }
                partial.append(s)
            }
        }
        var squares: Double = 0
        if case .members = mode {
            // Every rank's [tensor][its members], put back in (tensor, member) order.
            let parts = try world.gather(partial)
            let counts = parts.map { $0.count / max(1, params.count) }
            for t in 0..<params.count {
                for (r, part) in parts.enumerated() {
                    for m in 0..<counts[r] { squares += part[t * counts[r] + m] }
                }
            }
        } else {
            for s in partial { squares += s }
        }
        let norm = Float(squares.squareRoot())
        scaleGradients(params, norm: norm, maxNorm: maxNorm)
        return norm
    }
}

extension ModelInput {
    /// Samples `rows` of this batch.
    func samples(_ rows: Range<Int>) -> ModelInput {
        switch self {
        case .images(let pixels, let n):
            let per = pixels.count / max(1, n)
            return .images(Array(pixels[(rows.lowerBound * per)..<(rows.upperBound * per)]), count: rows.count)
        case .texts(let t):
            return .texts(Array(t[rows]))
        }
    }
}
