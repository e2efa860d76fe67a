import Foundation

/// Class probabilities of one predictor (a member, or the ensemble mean p̄)
/// on every sample: [samples, classes], row-major, Double.
public struct Prediction: Equatable {
    public let samples: Int
    public let classes: Int
    /// Probabilities, index n * classes + c.
    public let values: [Double]

    /// Wraps flat probabilities [samples, classes]; validated like `MemberProbabilities`.
    public init(samples: Int, classes: Int, values: [Double]) throws {
        let checked = try MemberProbabilities(members: 1, samples: samples, classes: classes, values: values)
        self.init(uncheckedSamples: samples, classes: classes, values: checked.values)
    }

    init(uncheckedSamples samples: Int, classes: Int, values: [Double]) {
        self.samples = samples
        self.classes = classes
        self.values = values
    }

    @inlinable
    public func probability(sample n: Int, class c: Int) -> Double { values[n * classes + c] }

    /// argmax_c p(c | n) per sample; ties go to the lowest class index (as numpy's argmax).
    public func predictedClasses() -> [Int] {
        (0..<samples).map { argmax(values, start: $0 * classes, count: classes) }
    }

    /// max_c p(c | n) per sample: the confidence used by ECE and reliability bins.
    public func confidences() -> [Double] {
        (0..<samples).map { n in
            var best = values[n * classes]
            for c in 1..<max(classes, 1) { best = max(best, values[n * classes + c]) }
            return best
        }
    }

    /// Shannon entropy -Σ_c p_c log p_c per sample, natural log, with 0 log 0 = 0.
    public func entropies() -> [Double] {
        (0..<samples).map { entropy(values, start: $0 * classes, count: classes) }
    }

    /// Fraction of samples whose argmax equals the label.
    public func accuracy(labels: [Int]) throws -> Double {
        try checkLabels(labels, samples: samples, classes: classes)
        let predicted = predictedClasses()
        var correct = 0
        for n in 0..<samples where predicted[n] == labels[n] { correct += 1 }
        return Double(correct) / Double(samples)
    }

    /// Floor applied to p(y|x) before the log in `negativeLogLikelihood`, so a
    /// probability of exactly 0 gives a large finite loss (-log 1e-12 ≈ 27.6)
    /// instead of infinity.
    public static let logEpsilon = 1e-12

    /// Mean over samples of -log max(p(y|x), 1e-12).
    public func negativeLogLikelihood(labels: [Int]) throws -> Double {
        try checkLabels(labels, samples: samples, classes: classes)
        var total = 0.0
        for n in 0..<samples {
            total -= Foundation.log(max(values[n * classes + labels[n]], Prediction.logEpsilon))
        }
        return total / Double(samples)
    }

    /// Brier score: mean over samples of Σ_c (p_c - 1[c = y])², summed over classes (as the paper).
    public func brierScore(labels: [Int]) throws -> Double {
        try checkLabels(labels, samples: samples, classes: classes)
        var total = 0.0
        for n in 0..<samples {
            for c in 0..<classes {
                let d = values[n * classes + c] - (c == labels[n] ? 1 : 0)
                total += d * d
            }
        }
        return total / Double(samples)
    }
}

@inlinable
func argmax(_ v: [Double], start: Int, count: Int) -> Int {
    var best = 0
    var bestValue = v[start]
    for c in 1..<max(count, 1) where v[start + c] > bestValue {
        best = c
        bestValue = v[start + c]
    }
    return best
}

@inlinable
func entropy(_ v: [Double], start: Int, count: Int) -> Double {
    var h = 0.0
    for c in 0..<count {
        let p = v[start + c]
        if p > 0 { h -= p * Foundation.log(p) }
    }
    return h
}
