/// One equal-width confidence bin of a reliability diagram, covering (lower, upper].
public struct ReliabilityBin: Equatable {
    /// Lower edge (exclusive).
    public let lower: Double
    /// Upper edge (inclusive).
    public let upper: Double
    /// Number of samples whose confidence falls in (lower, upper].
    public let count: Int
    /// Fraction of those samples predicted correctly (0 when the bin is empty).
    public let accuracy: Double
    /// Mean confidence of those samples (0 when the bin is empty).
    public let confidence: Double
}

/// Equal-width confidence bins and the expected calibration error built from them.
public struct Calibration: Equatable {
    /// Number of bins used (printed next to the ECE, since papers differ: 10 or 15).
    public let binCount: Int
    /// The bins, lowest confidence first.
    public let bins: [ReliabilityBin]
    /// ECE = Σ_b (n_b / N) |acc_b - conf_b|.
    public let expectedCalibrationError: Double

    /// Default number of bins for ECE in this project.
    public static let defaultBinCount = 15
    /// The most bins a front end may ask for (more is surely a typo: bins would be near empty).
    public static let maxBinCount = 1000

    /// Refuses a bin count outside 1...maxBinCount, saying what to use instead.
    public static func checkBinCount(_ n: Int) throws {
        guard n >= 1, n <= maxBinCount else {
            throw UncertaintyError.argument("bins must be between 1 and \(maxBinCount), got \(n); the default is \(defaultBinCount)")
        }
    }

    /// Bins the confidences (max p) into `binCount` equal-width bins (lower, upper]
    /// with edges i / binCount (the edges of numpy.linspace(0, 1, binCount + 1)),
    /// and computes accuracy, mean confidence and the ECE. A confidence of exactly
    /// 0 goes to the first bin.
    public init(confidences: [Double], correct: [Bool], binCount: Int = Calibration.defaultBinCount) throws {
        guard binCount > 0 else {
            throw UncertaintyError.argument("ECE needs a bin count > 0, got \(binCount); the default is \(Calibration.defaultBinCount)")
        }
        guard confidences.count == correct.count else {
            throw UncertaintyError.shape("got \(confidences.count) confidences and \(correct.count) correctness flags; pass one of each per sample")
        }
        guard !confidences.isEmpty else {
            throw UncertaintyError.shape("ECE needs at least one sample, got none")
        }
        for (i, c) in confidences.enumerated() where !(c >= 0 && c <= 1) {
            throw UncertaintyError.probability("confidence \(c) of sample \(i) is outside [0, 1]")
        }
        let step = 1.0 / Double(binCount)
        var edges = (0...binCount).map { Double($0) * step }
        edges[binCount] = 1
        var counts = [Int](repeating: 0, count: binCount)
        var hits = [Int](repeating: 0, count: binCount)
        var confSum = [Double](repeating: 0, count: binCount)
        for (i, conf) in confidences.enumerated() {
            var b = min(max(Int((conf * Double(binCount)).rounded(.up)) - 1, 0), binCount - 1)
            while b > 0 && conf <= edges[b] { b -= 1 }
            while b < binCount - 1 && conf > edges[b + 1] { b += 1 }
            counts[b] += 1
            if correct[i] { hits[b] += 1 }
            confSum[b] += conf
        }
        let total = Double(confidences.count)
        var bins: [ReliabilityBin] = []
        var ece = 0.0
        for b in 0..<binCount {
            let n = counts[b]
            let acc = n > 0 ? Double(hits[b]) / Double(n) : 0
            let conf = n > 0 ? confSum[b] / Double(n) : 0
            bins.append(ReliabilityBin(lower: edges[b], upper: edges[b + 1], count: n, accuracy: acc, confidence: conf))
            ece += Double(n) / total * abs(acc - conf)
        }
        self.binCount = binCount
        self.bins = bins
        self.expectedCalibrationError = ece
    }
}

extension Prediction {
    /// Reliability bins and ECE of this prediction (confidence = max_c p).
    public func calibration(labels: [Int], binCount: Int = Calibration.defaultBinCount) throws -> Calibration {
        try checkLabels(labels, samples: samples, classes: classes)
        let predicted = predictedClasses()
        let correct = (0..<samples).map { predicted[$0] == labels[$0] }
        // Rows are accepted within a small tolerance of summing to 1, so clamp max p to 1.
        return try Calibration(confidences: confidences().map { min($0, 1) }, correct: correct, binCount: binCount)
    }

    /// Expected calibration error with `binCount` equal-width bins (lower, upper].
    public func expectedCalibrationError(labels: [Int], binCount: Int = Calibration.defaultBinCount) throws -> Double {
        try calibration(labels: labels, binCount: binCount).expectedCalibrationError
    }
}
