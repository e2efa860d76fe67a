import Foundation
import XCTest
@testable import Uncertainty

/// Checks every metric against numpy / scikit-learn values produced by
/// scripts/gen_metric_fixtures.py (Fixtures/metrics.json), to 1e-6.
final class FixtureTests: XCTestCase {
    struct Case {
        let probabilities: MemberProbabilities
        let labels: [Int]
        let raw: [String: Any]
    }

    // Parsed once per test case instance: `[String: Any]` is not Sendable, so no shared static.
    lazy var document: [String: Any] = {
        let url = Bundle.module.url(forResource: "metrics", withExtension: "json", subdirectory: "Fixtures")!
        let data = try! Data(contentsOf: url)
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    func load(_ key: String) throws -> Case {
        let raw = document[key] as! [String: Any]
        let p = try MemberProbabilities(
            members: raw["members"] as! Int, samples: raw["samples"] as! Int, classes: raw["classes"] as! Int,
            values: (raw["probabilities"] as! [NSNumber]).map(\.doubleValue))
        let labels = (raw["labels"] as? [NSNumber])?.map(\.intValue) ?? []
        return Case(probabilities: p, labels: labels, raw: raw)
    }

    func number(_ any: Any?) -> Double { (any as! NSNumber).doubleValue }
    func numbers(_ any: Any?) -> [Double] { (any as! [NSNumber]).map(\.doubleValue) }

    func assertClose(_ a: [Double], _ b: [Double], _ what: String, tol: Double = 1e-6) {
        XCTAssertEqual(a.count, b.count, what)
        for (i, (x, y)) in zip(a, b).enumerated() where abs(x - y) > tol {
            XCTFail("\(what)[\(i)]: \(x) vs reference \(y)")
            return
        }
    }

    func checkHeadlineMetrics(_ key: String) throws {
        let c = try load(key)
        let mean = c.probabilities.ensembleMean()
        assertClose(mean.values, numbers(c.raw["mean"]), "\(key) mean")
        XCTAssertEqual(try mean.accuracy(labels: c.labels), number(c.raw["accuracy"]), accuracy: 1e-12)
        XCTAssertEqual(try mean.negativeLogLikelihood(labels: c.labels), number(c.raw["nll"]), accuracy: 1e-6)
        XCTAssertEqual(try mean.brierScore(labels: c.labels), number(c.raw["brier"]), accuracy: 1e-6)
        let d = c.probabilities.decomposition()
        assertClose(d.total, numbers(c.raw["entropy"]), "\(key) entropy")
        assertClose(d.aleatoric, numbers(c.raw["aleatoric"]), "\(key) aleatoric")
        assertClose(d.epistemic, numbers(c.raw["epistemic"]), "\(key) epistemic")
        XCTAssertEqual(c.probabilities.disagreement(), number(c.raw["disagreement"]), accuracy: 1e-12)
        XCTAssertEqual(c.probabilities.meanPairwiseKL(), number(c.raw["pairwiseKL"]), accuracy: 1e-6)
        assertClose(try c.probabilities.memberAccuracies(labels: c.labels), numbers(c.raw["memberAccuracies"]), "\(key) member accuracy")

        let eceTable = c.raw["ece"] as! [String: Any]
        for (binsKey, value) in eceTable {
            let bins = Int(binsKey)!
            let ref = value as! [String: Any]
            let cal = try mean.calibration(labels: c.labels, binCount: bins)
            XCTAssertEqual(cal.binCount, bins)
            XCTAssertEqual(cal.expectedCalibrationError, number(ref["ece"]), accuracy: 1e-6, "\(key) ECE \(bins) bins")
            let rows = ref["bins"] as! [[String: Any]]
            XCTAssertEqual(cal.bins.count, rows.count)
            for (bin, row) in zip(cal.bins, rows) {
                XCTAssertEqual(bin.count, row["count"] as! Int)
                XCTAssertEqual(bin.lower, number(row["lower"]), accuracy: 1e-15)
                XCTAssertEqual(bin.upper, number(row["upper"]), accuracy: 1e-15)
                XCTAssertEqual(bin.accuracy, number(row["accuracy"]), accuracy: 1e-6)
                XCTAssertEqual(bin.confidence, number(row["confidence"]), accuracy: 1e-6)
            }
        }
        let selective = c.raw["selectiveArea"] as! [String: Any]
        for score in UncertaintyScore.allCases {
            let curve = try SelectivePrediction(probabilities: c.probabilities, labels: c.labels, score: score)
            XCTAssertEqual(curve.area, number(selective[score.rawValue]), accuracy: 1e-6, "\(key) selective \(score)")
            XCTAssertEqual(curve.accuracy.last!, number(c.raw["accuracy"]), accuracy: 1e-12)
        }
        let summary = try c.probabilities.summary(labels: c.labels, binCount: 15)
        XCTAssertEqual(summary.expectedCalibrationError, number((eceTable["15"] as! [String: Any])["ece"]), accuracy: 1e-6)
        XCTAssertEqual(summary.binCount, 15)
    }

    func testEnsembleMatchesNumpyAndSklearn() throws { try checkHeadlineMetrics("ensemble") }

    func testSingleNetworkMatchesNumpyAndSklearn() throws { try checkHeadlineMetrics("single") }

    func testOODDetectionMatchesSklearn() throws {
        let ind = try load("ensemble")
        let ood = try load("ood")
        for score in UncertaintyScore.allCases {
            let ref = ood.raw[score.rawValue] as! [String: Any]
            let result = try OODDetection(inDistribution: ind.probabilities, outOfDistribution: ood.probabilities, score: score)
            XCTAssertEqual(result.auroc, number(ref["auroc"]), accuracy: 1e-6, "AUROC \(score)")
            XCTAssertEqual(result.aupr, number(ref["aupr"]), accuracy: 1e-6, "AUPR \(score)")
            XCTAssertEqual(result.inScores.count, 150)
            XCTAssertEqual(result.outScores.count, 90)
        }
    }

    func testTiedScoresMatchSklearn() throws {
        let ties = document["ties"] as! [String: Any]
        let scores = numbers(ties["scores"])
        let positive = (ties["positive"] as! [NSNumber]).map { $0.intValue == 1 }
        XCTAssertEqual(try areaUnderROC(scores: scores, positive: positive), number(ties["auroc"]), accuracy: 1e-12)
        XCTAssertEqual(try averagePrecision(scores: scores, positive: positive), number(ties["aupr"]), accuracy: 1e-12)
    }
}
