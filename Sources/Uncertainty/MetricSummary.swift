/// The headline numbers of an ensemble (or single network) on labelled data.
/// All of accuracy, NLL, ECE and Brier use the mean probabilities p̄.
public struct MetricSummary: Equatable {
    public let members: Int
    public let samples: Int
    public let accuracy: Double
    public let negativeLogLikelihood: Double
    /// The reliability bins of the mean prediction, from which the ECE comes.
    public let calibration: Calibration
    public var expectedCalibrationError: Double { calibration.expectedCalibrationError }
    /// Bin count used for the ECE (report it next to the ECE).
    public var binCount: Int { calibration.binCount }
    public let brierScore: Double
    /// Means over samples of total, aleatoric and epistemic uncertainty (nats).
    public let meanEntropy: Double
    public let meanAleatoric: Double
    public let meanEpistemic: Double
    /// Pairwise argmax disagreement and mean pairwise KL of the members (0 for one member).
    public let disagreement: Double
    public let meanPairwiseKL: Double
    /// Each member's own accuracy.
    public let memberAccuracies: [Double]
}

extension MemberProbabilities {
    /// Computes every headline metric at once.
    public func summary(labels: [Int], binCount: Int = Calibration.defaultBinCount) throws -> MetricSummary {
        try check(labels: labels)
        let mean = ensembleMean()
        let parts = decomposition()
        return MetricSummary(
            members: members, samples: samples,
            accuracy: try mean.accuracy(labels: labels),
            negativeLogLikelihood: try mean.negativeLogLikelihood(labels: labels),
            calibration: try mean.calibration(labels: labels, binCount: binCount),
            brierScore: try mean.brierScore(labels: labels),
            meanEntropy: parts.meanTotal, meanAleatoric: parts.meanAleatoric, meanEpistemic: parts.meanEpistemic,
            disagreement: disagreement(), meanPairwiseKL: meanPairwiseKL(),
            memberAccuracies: try memberAccuracies(labels: labels))
    }
}
