import Foundation
import XCTest
@testable import Uncertainty

/// Small cases whose metric values are known by hand.
final class ClosedFormTests: XCTestCase {
    /// Two members who are each certain but disagree on sample 0 and agree on sample 1.
    func twoCertainMembers() throws -> MemberProbabilities {
        try MemberProbabilities([
            [[1, 0], [0, 1]],
            [[0, 1], [0, 1]],
        ])
    }

    func testEnsembleMeanAndEntropyDecomposition() throws {
        let p = try twoCertainMembers()
        XCTAssertEqual(p.ensembleMean().values, [0.5, 0.5, 0, 1])
        let d = p.decomposition()
        XCTAssertEqual(d.total[0], log(2), accuracy: 1e-15)
        XCTAssertEqual(d.aleatoric, [0, 0])
        XCTAssertEqual(d.epistemic[0], log(2), accuracy: 1e-15)
        XCTAssertEqual(d.total[1], 0)
        XCTAssertEqual(d.epistemic[1], 0)
        XCTAssertEqual(d.meanEpistemic, log(2) / 2, accuracy: 1e-15)
    }

    func testIdenticalMembersHaveNoEpistemicUncertainty() throws {
        let row = [0.2, 0.3, 0.5]
        let p = try MemberProbabilities([[row], [row], [row]])
        let h = -(0.2 * log(0.2) + 0.3 * log(0.3) + 0.5 * log(0.5))
        let d = p.decomposition()
        XCTAssertEqual(d.total[0], h, accuracy: 1e-15)
        XCTAssertEqual(d.aleatoric[0], h, accuracy: 1e-15)
        XCTAssertEqual(d.epistemic[0], 0, accuracy: 1e-15)
        XCTAssertEqual(p.disagreement(), 0)
        XCTAssertEqual(p.meanPairwiseKL(), 0, accuracy: 1e-15)
    }

    func testDisagreementAndKL() throws {
        let p = try twoCertainMembers()
        // One of the two samples differs for the single pair.
        XCTAssertEqual(p.disagreement(), 0.5)
        // KL([1,0] || [0,1]) = -log(1e-12) both ways on sample 0, 0 on sample 1.
        XCTAssertEqual(p.meanPairwiseKL(), -log(1e-12) / 2, accuracy: 1e-9)
        XCTAssertEqual(p.memberVotes(), [[0, 1], [1, 1]])
        XCTAssertEqual(try p.memberAccuracies(labels: [0, 1]), [1, 0.5])
        // KL of two known distributions: KL([.5,.5] || [.25,.75]) and back.
        let q = try MemberProbabilities([[[0.5, 0.5]], [[0.25, 0.75]]])
        let kl1 = 0.5 * log(0.5 / 0.25) + 0.5 * log(0.5 / 0.75)
        let kl2 = 0.25 * log(0.25 / 0.5) + 0.75 * log(0.75 / 0.5)
        XCTAssertEqual(q.meanPairwiseKL(), (kl1 + kl2) / 2, accuracy: 1e-15)
    }

    func testAccuracyNLLBrier() throws {
        let pred = try Prediction(samples: 2, classes: 3, values: [0.7, 0.2, 0.1, 0.4, 0.4, 0.2])
        // Sample 1 ties between classes 0 and 1: argmax picks class 0.
        XCTAssertEqual(pred.predictedClasses(), [0, 0])
        XCTAssertEqual(try pred.accuracy(labels: [0, 1]), 0.5)
        XCTAssertEqual(try pred.negativeLogLikelihood(labels: [0, 1]), -(log(0.7) + log(0.4)) / 2, accuracy: 1e-15)
        let brier0 = 0.3 * 0.3 + 0.2 * 0.2 + 0.1 * 0.1
        let brier1 = 0.4 * 0.4 + 0.6 * 0.6 + 0.2 * 0.2
        XCTAssertEqual(try pred.brierScore(labels: [0, 1]), (brier0 + brier1) / 2, accuracy: 1e-15)
    }

    func testNLLOfZeroProbabilityIsClampedAtEpsilon() throws {
        let pred = try Prediction(samples: 1, classes: 2, values: [1, 0])
        XCTAssertEqual(try pred.negativeLogLikelihood(labels: [1]), -log(1e-12), accuracy: 1e-9)
        XCTAssertEqual(try pred.negativeLogLikelihood(labels: [0]), 0)
    }

    func testECEBinsAreLowerExclusiveUpperInclusive() throws {
        // 4 bins with exact edges 0.25, 0.5, 0.75, 1.
        let conf = [0.5, 0.5, 0.75, 1.0, 0.3, 0.26]
        let correct = [true, false, true, true, false, false]
        let cal = try Calibration(confidences: conf, correct: correct, binCount: 4)
        XCTAssertEqual(cal.bins.map(\.count), [0, 4, 1, 1])
        XCTAssertEqual(cal.bins[1].accuracy, 0.25)
        XCTAssertEqual(cal.bins[1].confidence, (0.5 + 0.5 + 0.3 + 0.26) / 4, accuracy: 1e-15)
        XCTAssertEqual(cal.bins[2].lower, 0.5)
        XCTAssertEqual(cal.bins[2].upper, 0.75)
        let expected = 4.0 / 6 * abs(0.25 - 0.39) + 1.0 / 6 * abs(1 - 0.75) + 0
        XCTAssertEqual(cal.expectedCalibrationError, expected, accuracy: 1e-15)
        XCTAssertEqual(cal.bins[0].accuracy, 0)
    }

    func testPerfectlyCalibratedHasZeroECE() throws {
        // 10 samples at confidence 0.8, 8 of them right.
        let conf = [Double](repeating: 0.8, count: 10)
        let correct = (0..<10).map { $0 < 8 }
        XCTAssertEqual(try Calibration(confidences: conf, correct: correct).expectedCalibrationError, 0, accuracy: 1e-15)
        // All right at confidence 0.8: ECE = 0.2.
        XCTAssertEqual(try Calibration(confidences: conf, correct: [Bool](repeating: true, count: 10)).expectedCalibrationError, 0.2, accuracy: 1e-15)
    }

    func testAUROCAndAveragePrecision() throws {
        XCTAssertEqual(try areaUnderROC(scores: [0.1, 0.2, 0.8, 0.9], positive: [false, false, true, true]), 1)
        XCTAssertEqual(try areaUnderROC(scores: [0.9, 0.8, 0.2, 0.1], positive: [false, false, true, true]), 0)
        XCTAssertEqual(try areaUnderROC(scores: [0.5, 0.5, 0.5], positive: [false, true, true]), 0.5)
        // Positives ranked 1st and 3rd: AP = (1/2)(1/1) + (1/2)(2/3).
        XCTAssertEqual(try averagePrecision(scores: [0.9, 0.8, 0.7, 0.1], positive: [true, false, true, false]), 0.5 + 1.0 / 3, accuracy: 1e-15)
        // One tie between a positive and a negative counts one half.
        XCTAssertEqual(try areaUnderROC(scores: [0.3, 0.5, 0.5, 0.9], positive: [false, false, true, true]), (1 + 0.75) / 2, accuracy: 1e-15)
    }

    func testOODWithMaxProbabilityOrientsTheScore() throws {
        let confident = try MemberProbabilities([[[0.9, 0.1], [0.1, 0.9]]])
        let unsure = try MemberProbabilities([[[0.5, 0.5], [0.6, 0.4]]])
        for score in UncertaintyScore.allCases where score != .mutualInformation {
            let r = try OODDetection(inDistribution: confident, outOfDistribution: unsure, score: score)
            XCTAssertEqual(r.auroc, 1, "\(score)")
            XCTAssertEqual(r.aupr, 1, "\(score)")
        }
        let r = try OODDetection(inDistribution: confident, outOfDistribution: unsure, score: .maxProbability)
        XCTAssertEqual(r.inScores, [0.9, 0.9])
    }

    func testSelectivePredictionRejectsMostUncertainFirst() throws {
        let curve = try SelectivePrediction(uncertainty: [0.9, 0.1, 0.5, 0.3], correct: [false, true, false, true], score: .entropy)
        XCTAssertEqual(curve.coverage, [0.25, 0.5, 0.75, 1])
        XCTAssertEqual(curve.accuracy, [1, 1, 2.0 / 3, 0.5])
        XCTAssertEqual(curve.area, (1 + 1 + 2.0 / 3 + 0.5) / 4, accuracy: 1e-15)
    }

    func testSingleMemberHasNoDiversity() throws {
        let p = try MemberProbabilities(single: [[0.6, 0.4], [0.2, 0.8]])
        XCTAssertEqual(p.disagreement(), 0)
        XCTAssertEqual(p.meanPairwiseKL(), 0)
        XCTAssertEqual(p.decomposition().epistemic, [0, 0])
        let s = try p.summary(labels: [0, 0], binCount: 10)
        XCTAssertEqual(s.accuracy, 0.5)
        XCTAssertEqual(s.memberAccuracies, [0.5])
        XCTAssertEqual(s.binCount, 10)
    }

    func testFloatInputIsAccepted() throws {
        let p = try MemberProbabilities(members: 1, samples: 1, classes: 3, values: [Float(0.1), 0.2, 0.7])
        XCTAssertEqual(p.values[2], Double(Float(0.7)))
    }
}

final class SampleReportTests: XCTestCase {
    func testReportsCarryVotesAndDecomposition() throws {
        // Three members, two samples, three classes.
        let p = try MemberProbabilities([
            [[0.8, 0.1, 0.1], [0.2, 0.2, 0.6]],
            [[0.6, 0.3, 0.1], [0.1, 0.8, 0.1]],
            [[0.1, 0.8, 0.1], [0.3, 0.3, 0.4]],
        ])
        let reports = try p.sampleReports(labels: [0, 2])
        XCTAssertEqual(reports.map(\.prediction), [0, 1])
        XCTAssertEqual(reports[0].votes, [2, 1, 0])
        XCTAssertEqual(reports[1].votes, [0, 1, 2])
        XCTAssertEqual(reports[0].agreement, 2.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(reports[1].confidence, (0.2 + 0.8 + 0.3) / 3, accuracy: 1e-15)
        XCTAssertEqual(reports[1].label, 2)
        let d = p.decomposition()
        XCTAssertEqual(reports[1].epistemic, d.epistemic[1])
        // Sample 1's mean [0.2, 0.433, 0.367] is flatter than sample 0's [0.5, 0.4, 0.1].
        XCTAssertEqual(reports.mostUncertainFirst(by: .entropy).map(\.sample), [1, 0])
        XCTAssertEqual(reports.mostUncertainFirst(by: .maxProbability).map(\.sample), [1, 0])
        XCTAssertThrowsError(try p.sampleReports(labels: [0]))
    }
}
