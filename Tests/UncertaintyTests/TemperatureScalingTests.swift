import Foundation
import XCTest
@testable import Uncertainty

/// Temperature scaling against scipy's bounded Brent fit on log T
/// (scripts/gen_calibration_fixtures.py, Fixtures/temperature.json) and
/// against closed forms.
final class TemperatureScalingTests: XCTestCase {
    // Parsed once per test case instance: `[String: Any]` is not Sendable, so no shared static.
    lazy var document: [String: Any] = {
        let url = Bundle.module.url(forResource: "temperature", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONSerialization.jsonObject(with: try! Data(contentsOf: url)) as! [String: Any]
    }()

    func load(_ key: String) throws -> (MemberLogits, [Int], [String: Any]) {
        let raw = document[key] as! [String: Any]
        let z = try MemberLogits(members: raw["members"] as! Int, samples: raw["samples"] as! Int, classes: raw["classes"] as! Int,
                                 values: (raw["logits"] as! [NSNumber]).map(\.doubleValue))
        return (z, (raw["labels"] as! [NSNumber]).map(\.intValue), raw)
    }

    func testFitsMatchScipy() throws {
        for key in ["single_overconfident", "ensemble_underconfident", "ensemble_many_classes"] {
            let (z, y, raw) = try load(key)
            let fit = try TemperatureScaling.fit(logits: z, labels: y)
            let t = (raw["temperature"] as! NSNumber).doubleValue
            XCTAssertEqual(fit.temperature, t, accuracy: 1e-5 * t, key)
            XCTAssertEqual(fit.nllAfter, (raw["nll_after"] as! NSNumber).doubleValue, accuracy: 1e-10, key)
            XCTAssertEqual(fit.nllBefore, (raw["nll_before"] as! NSNumber).doubleValue, accuracy: 1e-10, key)
            XCTAssertFalse(fit.atBracketEnd, key)
            for (tt, v) in raw["nll_at"] as! [String: NSNumber] {
                XCTAssertEqual(try TemperatureScaling.negativeLogLikelihood(z, labels: y, temperature: Double(tt)!), v.doubleValue,
                               accuracy: 1e-10, "\(key) NLL at T = \(tt)")
            }
        }
    }

    /// The fitted T scales an over-confident model up and an under-confident one down.
    func testDirection() throws {
        XCTAssertGreaterThan(try TemperatureScaling.fit(logits: load("single_overconfident").0, labels: load("single_overconfident").1).temperature, 2)
        XCTAssertLessThan(try TemperatureScaling.fit(logits: load("ensemble_underconfident").0, labels: load("ensemble_underconfident").1).temperature, 1)
    }

    /// One member: NLL is convex in beta = 1/T with derivative
    /// (1/N) Σ_n (E_{softmax(beta z_n)}[z_n] - z_{n,y_n}), which must vanish at the fit.
    /// The search looks at its caller before every pass over the logits, and
    /// stops with the caller's error (Ctrl-C) at the first one that throws.
    func testTheSearchStopsWhenTheCallerSays() throws {
        let (z, y, _) = try load("single_overconfident")
        var looks = 0
        let fit = try TemperatureScaling.fit(logits: z, labels: y, beforeEvaluation: { looks += 1 })
        XCTAssertEqual(looks, fit.evaluations)
        XCTAssertGreaterThan(looks, TemperatureScaling.gridPoints)
        struct Stop: Error {}
        looks = 0
        XCTAssertThrowsError(try TemperatureScaling.fit(logits: z, labels: y, beforeEvaluation: {
            looks += 1
            if looks == 3 { throw Stop() }
        })) { e in XCTAssertTrue(e is Stop, "\(e)") }
        XCTAssertEqual(looks, 3)
    }

    func testStationarityForOneMember() throws {
        let (z, y, _) = try load("single_overconfident")
        let fit = try TemperatureScaling.fit(logits: z, labels: y)
        let p = try z.probabilities(temperature: fit.temperature)
        var grad = 0.0
        for n in 0..<z.samples {
            var expected = 0.0
            for c in 0..<z.classes { expected += p.probability(member: 0, sample: n, class: c) * z.values[n * z.classes + c] }
            grad += expected - z.values[n * z.classes + y[n]]
        }
        XCTAssertEqual(grad / Double(z.samples), 0, accuracy: 1e-6)
    }

    /// Labels drawn from softmax(z / T*): with many samples the fit recovers T*
    /// (T* = 1: an already calibrated model keeps T close to 1).
    func testRecoversTheTemperatureThatMadeTheLabels() throws {
        for tStar in [1.0, 0.5, 3.0] {
            var rng = SplitMix(seed: 42)
            let n = 20_000, c = 4
            var logits: [Double] = [], labels: [Int] = []
            for _ in 0..<n {
                let row = (0..<c).map { _ in rng.normal() * 2 }
                logits += row
                let e = row.map { exp($0 / tStar) }, s = e.reduce(0, +)
                var u = rng.uniform() * s, k = 0
                while k < c - 1 && u > e[k] { u -= e[k]; k += 1 }
                labels.append(k)
            }
            let fit = try TemperatureScaling.fit(logits: MemberLogits(members: 1, samples: n, classes: c, values: logits), labels: labels)
            XCTAssertEqual(fit.temperature, tStar, accuracy: 0.06 * tStar, "T* = \(tStar)")
            XCTAssertLessThanOrEqual(fit.nllAfter, fit.nllBefore + 1e-12)
        }
    }

    /// Logits that separate the classes perfectly want T at the bracket's lower end.
    func testSeparableDataHitsTheBracket() throws {
        let z = try MemberLogits(members: 1, samples: 3, classes: 2, values: [2, -2, -2, 2, 1, -1] as [Double])
        let fit = try TemperatureScaling.fit(logits: z, labels: [0, 1, 0])
        XCTAssertTrue(fit.atBracketEnd)
        XCTAssertEqual(fit.temperature, TemperatureScaling.minimumTemperature, accuracy: 1e-8)
    }

    func testScaledProbabilitiesAreSoftmaxOfScaledLogits() throws {
        let z = try MemberLogits(members: 2, samples: 1, classes: 3, values: [1, 2, 3, 0, 0, 1] as [Double])
        let p = try z.probabilities(temperature: 2)
        let e = [0.5, 1.0, 1.5].map { exp($0) }, s = e.reduce(0, +)
        for c in 0..<3 { XCTAssertEqual(p.probability(member: 0, sample: 0, class: c), e[c] / s, accuracy: 1e-12) }
        XCTAssertEqual(p.probability(member: 1, sample: 0, class: 2), exp(0.5) / (2 + exp(0.5)), accuracy: 1e-12)
    }

    func testErrors() throws {
        XCTAssertThrowsError(try MemberLogits(members: 1, samples: 1, classes: 2, values: [1, Double.nan])) {
            XCTAssertTrue("\($0)".contains("member 0, sample 0, class 1"), "\($0)")
        }
        XCTAssertThrowsError(try MemberLogits(members: 1, samples: 2, classes: 2, values: [1, 2, 3] as [Double]))
        let z = try MemberLogits(members: 1, samples: 2, classes: 2, values: [1, 2, 3, 4] as [Double])
        XCTAssertThrowsError(try TemperatureScaling.fit(logits: z, labels: [0]))
        XCTAssertThrowsError(try TemperatureScaling.fit(logits: z, labels: [0, 2]))
        XCTAssertThrowsError(try z.probabilities(temperature: 0))
        XCTAssertThrowsError(try TemperatureScaling.negativeLogLikelihood(z, labels: [0, 1], temperature: -1))
    }
}

/// A small seeded generator for the synthetic case (independent of the code under test).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func normal() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return sqrt(-2 * log(u)) * cos(2 * .pi * v)
    }
}
