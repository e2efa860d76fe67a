/// Per-sample split of predictive uncertainty (natural log, nats):
/// total = H[p̄], aleatoric = (1/M) Σ_i H[p_i], epistemic = total - aleatoric
/// (the mutual information between prediction and member).
public struct UncertaintyDecomposition: Equatable {
    /// Predictive entropy H[p̄] per sample.
    public let total: [Double]
    /// Expected member entropy E_i H[p_i] per sample.
    public let aleatoric: [Double]
    /// Mutual information H[p̄] - E_i H[p_i] per sample, clamped at 0 (it is
    /// non-negative by Jensen's inequality; the clamp only removes rounding noise).
    public let epistemic: [Double]

    /// Means over samples.
    public var meanTotal: Double { mean(total) }
    public var meanAleatoric: Double { mean(aleatoric) }
    public var meanEpistemic: Double { mean(epistemic) }
}

func mean(_ v: [Double]) -> Double {
    v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count)
}

extension MemberProbabilities {
    /// Total, aleatoric and epistemic uncertainty per sample.
    public func decomposition() -> UncertaintyDecomposition {
        let total = ensembleMean().entropies()
        var aleatoric = [Double](repeating: 0, count: samples)
        for m in 0..<members {
            for n in 0..<samples {
                aleatoric[n] += entropy(values, start: (m * samples + n) * classes, count: classes)
            }
        }
        let inv = 1.0 / Double(members)
        for n in 0..<samples { aleatoric[n] *= inv }
        let epistemic = (0..<samples).map { max(total[$0] - aleatoric[$0], 0) }
        return UncertaintyDecomposition(total: total, aleatoric: aleatoric, epistemic: epistemic)
    }
}
