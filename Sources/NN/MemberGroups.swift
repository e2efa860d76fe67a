import Machine
import Tensor

/// A member network whose prediction can run its members in groups: the
/// part every member shares (the embedding, and the layers below the first
/// adapter) once per batch, then a few members at a time, so only one
/// group's tensors are alive at once; the numbers are those of all members
/// at once (each member's rows go through the same operations).
/// (LoRA-Ensemble and BatchEnsemble: members differ only by their adapters
/// and heads, sliced per group.)
public protocol MemberGroupPrediction: MemberNetwork {
    /// The shared part of a batch: what every group starts from.
    func sharedPart(_ input: ModelInput, context: ForwardContext) throws -> EmbeddedBatch
    /// Logits [k, B, classes] of members `range` (k of them) from the shared part.
    func memberLogits(shared: EmbeddedBatch, members range: Range<Int>, context: ForwardContext) throws -> Tensor
    /// An estimate of the bytes one member's forward pass without a graph
    /// (prediction, evaluation) holds at its peak on a batch of `batch`: the
    /// transients of one layer at a time.
    func predictionBytesPerMember(batch: Int) -> Double
}

/// A member network whose training step can run its members in groups too:
/// forward + backward of a few members at a time, their gradients
/// accumulating. (LoRA-Ensemble: its shared layers are frozen and each
/// member's adapters and head get gradients only from that member's rows.
/// Not BatchEnsemble, whose shared weights train on every member's rows.)
public protocol MemberGroupNetwork: MemberGroupPrediction {
    /// An estimate of the bytes one member's forward pass keeps for backward
    /// on a batch of `batch` samples (of the longest kind the model reads).
    func activationBytesPerMember(batch: Int) -> Double
}

/// How many members one training step runs at once, and why.
public struct MemberGroupPlan: Equatable, CustomStringConvertible, Sendable {
    public var members: Int
    /// Members per group (the last group may hold fewer).
    public var size: Int
    /// Chosen from the memory budget (false: asked for with `membersAtOnce`).
    public var automatic: Bool
    /// For an automatic choice: estimated activation bytes per member and the
    /// budget for activations (half the memory available when the fit began).
    public var bytesPerMember: Double = 0
    public var budget: Double = 0

    /// `size` members at a time (asked for; `make` chooses automatically).
    public init(members: Int, size: Int, automatic: Bool = false, bytesPerMember: Double = 0, budget: Double = 0) {
        self.members = members; self.size = max(1, min(size, members)); self.automatic = automatic
        self.bytesPerMember = bytesPerMember; self.budget = budget
    }

    public var groups: Int { (members + size - 1) / size }

    /// The share of available memory a step's activations may take when the
    /// grouping is automatic (the rest: parameters, gradients, optimizer
    /// state, transients of backward, other processes).
    public static let budgetShare = 0.5

    /// The plan for `network` on batches of `batch`: `requested` members at
    /// once, or as many as fit in the budget (all when memory is plentiful).
    /// nil for networks that run their members in one pass only.
    public static func make(for network: MemberNetwork, batch: Int, requested: Int?) throws -> MemberGroupPlan? {
        let m = network.members
        guard let grouped = network as? MemberGroupNetwork, m > 1 else {
            if let k = requested, k < m {
                throw NNError.invalidConfiguration("members_at_once \(k) applies to LoRA-Ensembles; this model trains its \(m) members together in one pass (they share trained weights); leave members_at_once out")
            }
            return nil
        }
        if let k = requested {
            guard k >= 1 else { throw NNError.invalidConfiguration("members_at_once must be at least 1, got \(k)") }
            return MemberGroupPlan(members: m, size: min(k, m), automatic: false)
        }
        return automatic(members: m, bytesPerMember: grouped.activationBytesPerMember(batch: batch))
    }

    /// The plan for predicting batches of `batch` without a graph: as many
    /// members at once as the budget holds (all when memory is plentiful), so
    /// prediction's peak memory is bounded like training's. nil for networks
    /// that run their members in one pass only.
    public static func forPrediction(_ network: MemberNetwork, batch: Int) -> MemberGroupPlan? {
        guard let grouped = network as? MemberGroupPrediction, network.members > 1 else { return nil }
        return automatic(members: network.members, bytesPerMember: grouped.predictionBytesPerMember(batch: batch))
    }

    /// As many of `members` as fit in the budget (`budgetShare` of the memory available now), at least one.
    static func automatic(members m: Int, bytesPerMember: Double) -> MemberGroupPlan {
        let per = max(1, bytesPerMember)
        guard let available = AvailableMemory.bytes() else { return MemberGroupPlan(members: m, size: m, automatic: true) }
        let budget = Double(available) * budgetShare
        let k = max(1, min(m, Int(min(budget / per, Double(m)))))
        return MemberGroupPlan(members: m, size: k, automatic: true, bytesPerMember: per, budget: budget)
    }

    /// "all 16 members at once", "16 members in 8 groups of 2 (automatic: about
    /// 415.0 MB of activations per member, budget 1.0 GB)".
    public var description: String {
        var text: String
        if size >= members {
            text = "all \(members) members at once"
        } else {
            text = "\(members) members in \(groups) groups of \(size)"
            if members % size != 0 { text += " (the last of \(members % size))" }
        }
        if automatic && budget > 0 {
            text += "; chosen for the memory: about \(AvailableMemory.format(bytesPerMember)) of activations per member, budget \(AvailableMemory.format(budget))"
        } else if !automatic {
            text += " (members_at_once: \(size))"
        }
        return text
    }
}

/// Forward and backward of one training batch, all members at once or in the
/// groups of a plan. The loss is the mean of the members' cross-entropies over
/// the whole batch whatever the grouping: each group's loss is its sum divided
/// by members x batch, so every gradient is the one of the all-at-once step
/// (same operations per member; only the loss is summed in another order).
public enum MemberGroupStep {
    public struct Outcome {
        /// The batch's loss (mean over members and samples); not finite = the
        /// step stopped before the backward pass of the group that gave it.
        public var loss: Float
        /// Logits [members, B, classes], without a graph.
        public var logits: Tensor
        /// `stop` said so between two groups: the step is incomplete (some
        /// gradients accumulated); drop them and do not step the optimizer.
        public var stopped = false
    }

    /// Accumulates the gradients of every trainable parameter (zero them before).
    /// `meanOver`: what the summed cross-entropy is divided by (nil: every
    /// member's rows here; under MPI the whole ensemble's rows over all ranks).
    /// `stop` is asked before every group but the first (Ctrl-C: a step of
    /// many groups can take long).
    public static func run(_ network: MemberNetwork, input: ModelInput, labels: [Int], plan: MemberGroupPlan?,
                           context: ForwardContext, meanOver: Int? = nil, stop: () -> Bool = { false }) throws -> Outcome {
        let m = network.members, b = labels.count, c = network.architecture.classes
        func repeated(_ k: Int) -> [Int] { [[Int]](repeating: labels, count: k).flatMap { $0 } }
        guard let plan = plan, let grouped = network as? MemberGroupNetwork else {
            let logits = try network.memberLogits(input, context: context)
            let loss = try Tensor.crossEntropy(logits: logits.reshape([m * b, c]), labels: repeated(m), meanOver: meanOver)
            let lv = try loss.item()
            if lv.isFinite { try loss.backward() }
            return Outcome(loss: lv, logits: logits.detached())
        }
        let shared = try grouped.sharedPart(input, context: context)
        var values: [Float] = []
        values.reserveCapacity(m * b * c)
        var total: Float = 0
        for lo in stride(from: 0, to: m, by: plan.size) {
            if lo > 0 && stop() { return Outcome(loss: total, logits: Tensor.zeros([m, b, c]), stopped: true) }
            let range = lo..<min(m, lo + plan.size)
            // The group's graph lives only inside this iteration.
            let logits = try grouped.memberLogits(shared: shared, members: range, context: context)
            let loss = try Tensor.crossEntropy(logits: logits.reshape([range.count * b, c]), labels: repeated(range.count),
                                               meanOver: meanOver ?? m * b)
            let lv = try loss.item()
            total += lv
            if !lv.isFinite { return Outcome(loss: lv, logits: Tensor.zeros([m, b, c])) }
            try loss.backward()
            values += logits.data
        }
        return Outcome(loss: total, logits: try Tensor(shape: [m, b, c], data: values))
    }
}
