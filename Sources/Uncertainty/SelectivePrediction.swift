/// Accuracy as the most uncertain inputs are rejected.
///
/// Inputs are ordered from most to least certain (by the chosen score; ties keep
/// sample order). At coverage k/N the k most certain inputs are kept.
public struct SelectivePrediction: Equatable {
    public let score: UncertaintyScore
    /// Coverage k/N for k = 1...N (increasing).
    public let coverage: [Double]
    /// Accuracy on the k most certain inputs, for the same k.
    public let accuracy: [Double]
    /// Area under the accuracy-coverage curve: the mean of `accuracy` over k = 1...N
    /// (a right Riemann sum over coverage steps of 1/N). 1 for a perfect predictor
    /// that is always right; equals the accuracy when the score carries no information
    /// and errors are spread evenly.
    public let area: Double

    /// Builds the curve for the ensemble mean of `probabilities` against `labels`.
    public init(probabilities: MemberProbabilities, labels: [Int], score: UncertaintyScore) throws {
        try probabilities.check(labels: labels)
        let predicted = probabilities.ensembleMean().predictedClasses()
        let correct = (0..<probabilities.samples).map { predicted[$0] == labels[$0] }
        try self.init(uncertainty: score.uncertainty(for: probabilities), correct: correct, score: score)
    }

    /// Builds the curve from a per-sample uncertainty (larger = more uncertain) and correctness.
    public init(uncertainty: [Double], correct: [Bool], score: UncertaintyScore) throws {
        guard uncertainty.count == correct.count, !uncertainty.isEmpty else {
            throw UncertaintyError.shape("selective prediction needs one uncertainty per correctness flag and at least one sample, got \(uncertainty.count) and \(correct.count)")
        }
        let order = uncertainty.indices.sorted {
            uncertainty[$0] < uncertainty[$1] || (uncertainty[$0] == uncertainty[$1] && $0 < $1)
        }
        let n = Double(order.count)
        var right = 0.0
        var cov: [Double] = [], acc: [Double] = []
        for (k, i) in order.enumerated() {
            if correct[i] { right += 1 }
            cov.append(Double(k + 1) / n)
            acc.append(right / Double(k + 1))
        }
        self.score = score
        coverage = cov
        accuracy = acc
        area = acc.reduce(0, +) / n
    }
}
