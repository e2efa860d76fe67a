/// The class probabilities of every member of an ensemble on every sample:
/// a dense [members, samples, classes] array, row-major, held in Double.
///
/// All metrics are computed in Double from these probabilities (never from
/// logits): accuracy, ECE, NLL and Brier all use the ensemble mean
/// p̄ = (1/M) Σ_i p_i. (The paper's reference code averages logits for
/// accuracy and ECE; this project uses probabilities throughout.)
public struct MemberProbabilities: Equatable {
    /// Number of ensemble members M (1 for a single network).
    public let members: Int
    /// Number of samples N.
    public let samples: Int
    /// Number of classes C.
    public let classes: Int
    /// The probabilities, index ((m * samples) + n) * classes + c.
    public let values: [Double]

    /// Tolerance on |Σ_c p_c - 1| accepted for each row (loose enough for
    /// probabilities computed in Float).
    public static let rowSumTolerance = 1e-3

    /// Wraps flat probabilities of shape [members, samples, classes].
    /// Throws if a dimension is not positive, the count does not match, a value is
    /// negative or not finite, or a row does not sum to 1 (within `rowSumTolerance`).
    public init(members: Int, samples: Int, classes: Int, values: [Double]) throws {
        guard members > 0, samples > 0, classes > 0 else {
            throw UncertaintyError.shape("member probabilities need members, samples and classes > 0, got [\(members), \(samples), \(classes)]; pass at least one member, sample and class")
        }
        guard values.count == members * samples * classes else {
            throw UncertaintyError.shape("member probabilities of shape [\(members), \(samples), \(classes)] need \(members * samples * classes) values, got \(values.count); check the dimensions or the flattening order [members, samples, classes]")
        }
        for m in 0..<members {
            for n in 0..<samples {
                let base = (m * samples + n) * classes
                var sum = 0.0
                for c in 0..<classes {
                    let p = values[base + c]
                    guard p.isFinite, p >= 0 else {
                        throw UncertaintyError.probability("member \(m), sample \(n), class \(c) has probability \(p); probabilities must be finite and >= 0 (did you pass logits? apply softmax first)")
                    }
                    sum += p
                }
                guard abs(sum - 1) <= MemberProbabilities.rowSumTolerance else {
                    throw UncertaintyError.probability("member \(m), sample \(n): probabilities sum to \(sum), not 1; pass softmax outputs, not logits or unnormalised scores")
                }
            }
        }
        self.members = members
        self.samples = samples
        self.classes = classes
        self.values = values
    }

    /// Wraps flat Float probabilities of shape [members, samples, classes]; converted to Double.
    public init(members: Int, samples: Int, classes: Int, values: [Float]) throws {
        try self.init(members: members, samples: samples, classes: classes, values: values.map(Double.init))
    }

    /// Wraps nested probabilities indexed [member][sample][class].
    public init(_ nested: [[[Double]]]) throws {
        let m = nested.count
        let n = nested.first?.count ?? 0
        let c = nested.first?.first?.count ?? 0
        var flat: [Double] = []
        flat.reserveCapacity(m * n * c)
        for (i, member) in nested.enumerated() {
            guard member.count == n else {
                throw UncertaintyError.shape("member \(i) has \(member.count) samples but member 0 has \(n); every member must predict the same samples")
            }
            for (j, row) in member.enumerated() {
                guard row.count == c else {
                    throw UncertaintyError.shape("member \(i), sample \(j) has \(row.count) classes but expected \(c); every row must have the same number of classes")
                }
                flat.append(contentsOf: row)
            }
        }
        try self.init(members: m, samples: n, classes: c, values: flat)
    }

    /// A single network's probabilities [samples, classes] as a one-member ensemble.
    public init(single rows: [[Double]]) throws {
        try self.init([rows])
    }

    /// p_member(class | sample).
    @inlinable
    public func probability(member: Int, sample: Int, class c: Int) -> Double {
        values[(member * samples + sample) * classes + c]
    }

    /// The probabilities of one member as a [samples, classes] prediction.
    public func member(_ m: Int) -> Prediction {
        let start = m * samples * classes
        return Prediction(uncheckedSamples: samples, classes: classes,
                          values: Array(values[start..<(start + samples * classes)]))
    }

    /// The ensemble mean p̄ = (1/M) Σ_i p_i, shape [samples, classes].
    public func ensembleMean() -> Prediction {
        let rowLen = samples * classes
        var mean = [Double](repeating: 0, count: rowLen)
        for m in 0..<members {
            let base = m * rowLen
            for k in 0..<rowLen { mean[k] += values[base + k] }
        }
        let inv = 1.0 / Double(members)
        for k in 0..<rowLen { mean[k] *= inv }
        return Prediction(uncheckedSamples: samples, classes: classes, values: mean)
    }

    /// Checks that `labels` has one label in 0..<classes per sample.
    func check(labels: [Int]) throws {
        try checkLabels(labels, samples: samples, classes: classes)
    }
}

func checkLabels(_ labels: [Int], samples: Int, classes: Int) throws {
    guard labels.count == samples else {
        throw UncertaintyError.labels("got \(labels.count) labels for \(samples) samples; pass exactly one label per sample")
    }
    for (i, y) in labels.enumerated() where y < 0 || y >= classes {
        throw UncertaintyError.labels("label \(y) of sample \(i) is outside 0..<\(classes); labels must be class indices")
    }
}
