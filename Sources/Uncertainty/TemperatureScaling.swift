import Foundation

/// The members' logits of an ensemble on every sample: a dense
/// [members, samples, classes] array, row-major, held in Double.
///
/// Log-probabilities serve as well: they differ from the logits by a constant
/// per row, which neither softmax nor softmax(z / T) sees.
public struct MemberLogits: Equatable {
    public let members: Int
    public let samples: Int
    public let classes: Int
    /// index ((m * samples) + n) * classes + c.
    public let values: [Double]

    /// Throws if a dimension is not positive, the count does not match, or a value is not finite.
    public init(members: Int, samples: Int, classes: Int, values: [Double]) throws {
        guard members > 0, samples > 0, classes > 0 else {
            throw UncertaintyError.shape("member logits need members, samples and classes > 0, got [\(members), \(samples), \(classes)]; pass at least one member, sample and class")
        }
        guard values.count == members * samples * classes else {
            throw UncertaintyError.shape("member logits of shape [\(members), \(samples), \(classes)] need \(members * samples * classes) values, got \(values.count); check the dimensions or the flattening order [members, samples, classes]")
        }
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            let c = i % classes, n = (i / classes) % samples, m = i / (classes * samples)
            throw UncertaintyError.argument("member \(m), sample \(n), class \(c) has logit \(values[i]); logits must be finite")
        }
        self.members = members; self.samples = samples; self.classes = classes; self.values = values
    }

    public init(members: Int, samples: Int, classes: Int, values: [Float]) throws {
        try self.init(members: members, samples: samples, classes: classes, values: values.map(Double.init))
    }

    /// Each member's softmax(z / T): the probabilities after temperature scaling.
    public func probabilities(temperature t: Double) throws -> MemberProbabilities {
        try TemperatureScaling.check(temperature: t)
        var out = [Double](repeating: 0, count: values.count)
        let beta = 1 / t
        for r in 0..<(members * samples) {
            let base = r * classes
            var mx = -Double.infinity
            for c in 0..<classes { mx = max(mx, values[base + c]) }
            var s = 0.0
            for c in 0..<classes { let e = exp((values[base + c] - mx) * beta); out[base + c] = e; s += e }
            for c in 0..<classes { out[base + c] /= s }
        }
        return try MemberProbabilities(members: members, samples: samples, classes: classes, values: out)
    }
}

/// The result of fitting one temperature.
public struct TemperatureFit: Equatable {
    /// The fitted temperature T > 0 (probabilities are softmax(z / T)).
    public let temperature: Double
    /// Mean NLL of the mean prediction at T = 1 and at the fitted T.
    public let nllBefore: Double
    public let nllAfter: Double
    /// Evaluations of the NLL the search made.
    public let evaluations: Int
    /// True when the optimum lies at an end of the bracket (the true optimum may be beyond it).
    public let atBracketEnd: Bool
}

/// Post-hoc temperature scaling (Guo et al. 2017) for an ensemble: one
/// temperature T shared by every member. Each member's logits are divided by
/// T, each member's softmax is taken, and the members' probabilities are
/// averaged (p̄_T = (1/M) Σ_i softmax(z_i / T)); T minimises the mean
/// negative log-likelihood of p̄_T on labelled validation data. This is the
/// choice that keeps every metric of the project on the members' mean
/// probabilities; for one member it is plain temperature scaling.
///
/// The search is over log T on the bracket [log Tmin, log Tmax] =
/// [log 0.05, log 20]: a grid of `gridPoints` equally spaced values of log T
/// finds the best cell (NLL(T) is convex in 1/T for one member, but the mean
/// over members need not be), then golden-section search narrows the two
/// cells around it until the interval in log T is below `tolerance` (1e-7,
/// a relative error of about 1e-7 in T).
public enum TemperatureScaling {
    public static let minimumTemperature = 0.05
    public static let maximumTemperature = 20.0
    public static let gridPoints = 41
    public static let tolerance = 1e-7

    static func check(temperature t: Double) throws {
        guard t.isFinite, t > 0 else {
            throw UncertaintyError.argument("the temperature must be positive and finite, got \(t)")
        }
    }

    /// Mean NLL of p̄_T = (1/M) Σ_i softmax(z_i / T) against `labels`, in nats,
    /// computed stably (log-sum-exp per member and over members).
    public static func negativeLogLikelihood(_ z: MemberLogits, labels: [Int], temperature t: Double) throws -> Double {
        try checkLabels(labels, samples: z.samples, classes: z.classes)
        try check(temperature: t)
        return nll(z, labels: labels, beta: 1 / t)
    }

    static func nll(_ z: MemberLogits, labels: [Int], beta: Double) -> Double {
        let m = z.members, n = z.samples, c = z.classes
        var total = 0.0
        var logp = [Double](repeating: 0, count: m)
        z.values.withUnsafeBufferPointer { v in
            for s in 0..<n {
                for i in 0..<m {
                    let base = (i * n + s) * c
                    var mx = -Double.infinity
                    for k in 0..<c { mx = max(mx, v[base + k] * beta) }
                    var sum = 0.0
                    for k in 0..<c { sum += exp(v[base + k] * beta - mx) }
                    logp[i] = v[base + labels[s]] * beta - mx - log(sum)     // log p_i(y | x)
                }
                let top = logp.max()!
                var sum = 0.0
                for i in 0..<m { sum += exp(logp[i] - top) }
                total -= top + log(sum) - log(Double(m))                     // log p̄(y | x)
            }
        }
        return total / Double(n)
    }

    /// Fits T on validation logits and labels (see the type's documentation for the search).
    /// `beforeEvaluation` runs before every evaluation of the NLL (a pass over
    /// all logits); throwing there stops the search (Ctrl-C) with that error.
    public static func fit(logits z: MemberLogits, labels: [Int], beforeEvaluation: () throws -> Void = {}) throws -> TemperatureFit {
        try checkLabels(labels, samples: z.samples, classes: z.classes)
        var evaluations = 0
        func f(_ logT: Double) throws -> Double {
            try beforeEvaluation()
            evaluations += 1
            return nll(z, labels: labels, beta: exp(-logT))
        }
        let lo = log(minimumTemperature), hi = log(maximumTemperature)
        let step = (hi - lo) / Double(gridPoints - 1)
        var best = 0, bestValue = Double.infinity
        for k in 0..<gridPoints {
            let v = try f(lo + Double(k) * step)
            if v < bestValue { best = k; bestValue = v }
        }
        var a = lo + Double(max(best - 1, 0)) * step
        var b = lo + Double(min(best + 1, gridPoints - 1)) * step
        let ratio = (sqrt(5.0) - 1) / 2
        var x1 = b - ratio * (b - a), x2 = a + ratio * (b - a)
        var f1 = try f(x1), f2 = try f(x2)
        while b - a > tolerance {
            if f1 <= f2 {
                b = x2; x2 = x1; f2 = f1
                x1 = b - ratio * (b - a); f1 = try f(x1)
            } else {
                a = x1; x1 = x2; f1 = f2
                x2 = a + ratio * (b - a); f2 = try f(x2)
            }
        }
        var logT = (a + b) / 2
        var value = try f(logT)
        // The grid end itself can be the best point (golden section never evaluates the ends).
        for end in [lo, hi] where abs(logT - end) < step {
            let v = try f(end)
            if v < value { value = v; logT = end }
        }
        let t = exp(logT)
        let atEnd = abs(logT - lo) < 1e-6 || abs(logT - hi) < 1e-6
        return TemperatureFit(temperature: t, nllBefore: nll(z, labels: labels, beta: 1), nllAfter: value,
                              evaluations: evaluations, atBracketEnd: atEnd)
    }
}
