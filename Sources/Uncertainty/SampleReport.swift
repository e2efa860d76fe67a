/// Everything known about one input's prediction, for per-sample views
/// (`.uncertainty(data)` in the language): what the ensemble predicts, how sure
/// it is, how that uncertainty splits, and how the members voted.
public struct SampleReport: Equatable {
    /// Index of the sample in the data.
    public let sample: Int
    /// argmax p̄.
    public let prediction: Int
    /// The true label, when labels were given.
    public let label: Int?
    /// max p̄.
    public let confidence: Double
    /// H[p̄], E_i H[p_i] and their difference (nats).
    public let total: Double
    public let aleatoric: Double
    public let epistemic: Double
    /// Number of members voting for each class (argmax of each member), indexed by class.
    public let votes: [Int]

    /// Members voting for the ensemble's prediction, as a fraction of all members.
    public var agreement: Double { Double(votes[prediction]) / Double(votes.reduce(0, +)) }
}

extension MemberProbabilities {
    /// One report per sample, in sample order, with labels when given.
    public func sampleReports(labels: [Int]? = nil) throws -> [SampleReport] {
        if let labels { try check(labels: labels) }
        let mean = ensembleMean()
        let predicted = mean.predictedClasses()
        let confidence = mean.confidences()
        let parts = decomposition()
        let memberVotes = memberVotes()
        return (0..<samples).map { n in
            var votes = [Int](repeating: 0, count: classes)
            for m in 0..<members { votes[memberVotes[m][n]] += 1 }
            return SampleReport(sample: n, prediction: predicted[n], label: labels?[n], confidence: confidence[n],
                                total: parts.total[n], aleatoric: parts.aleatoric[n], epistemic: parts.epistemic[n],
                                votes: votes)
        }
    }
}

extension Array where Element == SampleReport {
    /// Sorted most uncertain first by `score` (ties keep sample order).
    public func mostUncertainFirst(by score: UncertaintyScore = .entropy) -> [SampleReport] {
        func key(_ r: SampleReport) -> Double {
            switch score {
            case .maxProbability: return -r.confidence
            case .entropy: return r.total
            case .mutualInformation: return r.epistemic
            }
        }
        return sorted { key($0) > key($1) || (key($0) == key($1) && $0.sample < $1.sample) }
    }
}
