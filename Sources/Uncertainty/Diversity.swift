import Foundation

extension MemberProbabilities {
    /// Each member's argmax per sample, indexed [member][sample] (the members' votes).
    public func memberVotes() -> [[Int]] {
        (0..<members).map { m in
            (0..<samples).map { n in argmax(values, start: (m * samples + n) * classes, count: classes) }
        }
    }

    /// Accuracy of each member on its own, in member order.
    public func memberAccuracies(labels: [Int]) throws -> [Double] {
        try check(labels: labels)
        return memberVotes().map { votes in
            var correct = 0
            for n in 0..<samples where votes[n] == labels[n] { correct += 1 }
            return Double(correct) / Double(samples)
        }
    }

    /// Pairwise disagreement: the fraction of (unordered member pair, sample)
    /// combinations whose argmaxes differ. 0 for a single member.
    public func disagreement() -> Double {
        guard members > 1 else { return 0 }
        let votes = memberVotes()
        var differing = 0
        for i in 0..<members {
            for j in (i + 1)..<members {
                for n in 0..<samples where votes[i][n] != votes[j][n] { differing += 1 }
            }
        }
        let pairs = members * (members - 1) / 2
        return Double(differing) / Double(pairs * samples)
    }

    /// Floor applied to q in KL(p || q) so a zero in q gives a large finite value.
    public static let klEpsilon = 1e-12

    /// Mean pairwise KL divergence: the mean over samples and over all ordered
    /// pairs (i, j), i ≠ j, of KL(p_i || p_j) = Σ_c p_i,c (log p_i,c - log max(p_j,c, 1e-12)),
    /// with 0 log 0 = 0. 0 for a single member.
    public func meanPairwiseKL() -> Double {
        guard members > 1 else { return 0 }
        let logP = values.map { $0 > 0 ? Foundation.log($0) : 0 }
        let logQ = values.map { Foundation.log(max($0, MemberProbabilities.klEpsilon)) }
        var total = 0.0
        for i in 0..<members {
            for j in 0..<members where j != i {
                for n in 0..<samples {
                    let a = (i * samples + n) * classes
                    let b = (j * samples + n) * classes
                    for c in 0..<classes where values[a + c] > 0 {
                        total += values[a + c] * (logP[a + c] - logQ[b + c])
                    }
                }
            }
        }
        return total / Double(members * (members - 1) * samples)
    }
}
