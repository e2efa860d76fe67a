/// A per-sample score that separates in-distribution from out-of-distribution
/// inputs, and orders inputs by uncertainty for selective prediction.
public enum UncertaintyScore: String, CaseIterable, Equatable, Sendable {
    /// max_c p̄_c: high for confident (in-distribution) inputs.
    case maxProbability
    /// Predictive entropy H[p̄]: high for uncertain inputs.
    case entropy
    /// Mutual information H[p̄] - E_i H[p_i] (epistemic part): high where members disagree.
    case mutualInformation

    /// True when a larger score means "more uncertain / more likely OOD"
    /// (entropy, mutual information); false for max probability.
    public var higherIsMoreUncertain: Bool { self != .maxProbability }

    /// The score itself per sample (max p̄, H[p̄] or mutual information), in its natural sign.
    public func values(for probabilities: MemberProbabilities) -> [Double] {
        switch self {
        case .maxProbability: return probabilities.ensembleMean().confidences()
        case .entropy: return probabilities.ensembleMean().entropies()
        case .mutualInformation: return probabilities.decomposition().epistemic
        }
    }

    /// The score oriented so that larger = more uncertain (max probability is negated, exactly).
    public func uncertainty(for probabilities: MemberProbabilities) -> [Double] {
        let v = values(for: probabilities)
        return higherIsMoreUncertain ? v : v.map { -$0 }
    }
}

/// Result of separating in-distribution from out-of-distribution inputs with a score.
/// OOD is the positive class; the score is oriented so that larger = more likely OOD.
public struct OODDetection: Equatable {
    public let score: UncertaintyScore
    /// The score (natural sign, see `UncertaintyScore.values`) of each in-distribution input.
    public let inScores: [Double]
    /// The score (natural sign) of each out-of-distribution input.
    public let outScores: [Double]
    /// Area under the ROC curve, OOD positive (0.5 = chance, 1 = perfect).
    public let auroc: Double
    /// Area under the precision-recall curve, OOD positive, as average precision
    /// (sklearn.metrics.average_precision_score: Σ_k (R_k - R_{k-1}) P_k, no interpolation).
    public let aupr: Double

    /// Scores both sets with `score` and computes AUROC and AUPR (OOD positive).
    public init(inDistribution: MemberProbabilities, outOfDistribution: MemberProbabilities,
                score: UncertaintyScore) throws {
        guard inDistribution.members == outOfDistribution.members else {
            throw UncertaintyError.shape("in-distribution probabilities have \(inDistribution.members) members but out-of-distribution have \(outOfDistribution.members); score both sets with the same ensemble")
        }
        self.score = score
        inScores = score.values(for: inDistribution)
        outScores = score.values(for: outOfDistribution)
        let sign = score.higherIsMoreUncertain ? 1.0 : -1.0
        let scores = (inScores + outScores).map { sign * $0 }
        let positive = [Bool](repeating: false, count: inScores.count) + [Bool](repeating: true, count: outScores.count)
        auroc = try areaUnderROC(scores: scores, positive: positive)
        aupr = try averagePrecision(scores: scores, positive: positive)
    }
}

/// Cumulative (false positives, true positives) at each distinct score, highest score first.
private func rankedCounts(scores: [Double], positive: [Bool]) throws -> (fp: [Double], tp: [Double]) {
    guard scores.count == positive.count else {
        throw UncertaintyError.shape("got \(scores.count) scores and \(positive.count) labels; pass one label per score")
    }
    for (i, s) in scores.enumerated() where !s.isFinite {
        throw UncertaintyError.argument("score \(s) of input \(i) is not finite; scores must be finite numbers")
    }
    let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
    var fp: [Double] = [], tp: [Double] = []
    var f = 0.0, t = 0.0
    for (k, i) in order.enumerated() {
        if positive[i] { t += 1 } else { f += 1 }
        // Record only at the last input of a run of tied scores (sklearn's distinct thresholds).
        if k == order.count - 1 || scores[order[k + 1]] != scores[i] {
            fp.append(f)
            tp.append(t)
        }
    }
    return (fp, tp)
}

/// Area under the ROC curve of `scores` (larger = more likely positive), matching
/// sklearn.metrics.roc_auc_score: thresholds at distinct scores, trapezoidal rule, so a
/// tie between a positive and a negative counts one half. Throws unless both
/// classes are present.
public func areaUnderROC(scores: [Double], positive: [Bool]) throws -> Double {
    let (fp, tp) = try rankedCounts(scores: scores, positive: positive)
    let p = tp.last ?? 0, n = fp.last ?? 0
    guard p > 0, n > 0 else {
        throw UncertaintyError.argument("AUROC needs both positive (out-of-distribution) and negative (in-distribution) inputs, got \(Int(p)) positive and \(Int(n)) negative")
    }
    var area = 0.0
    var prevF = 0.0, prevT = 0.0
    for k in fp.indices {
        area += (fp[k] - prevF) * (tp[k] + prevT) / 2
        prevF = fp[k]
        prevT = tp[k]
    }
    return area / (p * n)
}

/// Average precision of `scores` (larger = more likely positive), matching
/// sklearn.metrics.average_precision_score: AP = Σ_k (R_k - R_{k-1}) P_k over
/// distinct thresholds, a step function without interpolation. Throws when there
/// is no positive input.
public func averagePrecision(scores: [Double], positive: [Bool]) throws -> Double {
    let (fp, tp) = try rankedCounts(scores: scores, positive: positive)
    let p = tp.last ?? 0
    guard p > 0 else {
        throw UncertaintyError.argument("average precision needs at least one positive (out-of-distribution) input, got none")
    }
    var ap = 0.0
    var prevRecall = 0.0
    for k in fp.indices {
        let recall = tp[k] / p
        let precision = tp[k] / (tp[k] + fp[k])
        ap += (recall - prevRecall) * precision
        prevRecall = recall
    }
    return ap
}
