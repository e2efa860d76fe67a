import XCTest
@testable import Uncertainty

/// Every malformed input throws an error that names the problem.
final class ErrorTests: XCTestCase {
    func assertThrows(_ expr: @autoclosure () throws -> Any, contains text: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try expr()
            XCTFail("expected an error containing '\(text)'", file: file, line: line)
        } catch {
            XCTAssertTrue("\(error)".contains(text), "'\(error)' lacks '\(text)'", file: file, line: line)
        }
    }

    func testShapeAndProbabilityErrors() {
        assertThrows(try MemberProbabilities(members: 2, samples: 1, classes: 2, values: [0.5, 0.5]), contains: "need 4 values, got 2")
        assertThrows(try MemberProbabilities(members: 0, samples: 1, classes: 2, values: [Double]()), contains: "> 0")
        assertThrows(try MemberProbabilities(members: 1, samples: 1, classes: 2, values: [2.0, -1.0]), contains: "did you pass logits")
        assertThrows(try MemberProbabilities(members: 1, samples: 1, classes: 2, values: [0.5, 0.6]), contains: "sum to")
        assertThrows(try MemberProbabilities(members: 1, samples: 1, classes: 2, values: [Double.nan, 1]), contains: "finite")
        assertThrows(try MemberProbabilities([[[0.5, 0.5]], [[0.5, 0.5], [1, 0]]]), contains: "member 1 has 2 samples")
    }

    func testLabelAndArgumentErrors() throws {
        let p = try MemberProbabilities(single: [[0.5, 0.5]])
        assertThrows(try p.ensembleMean().accuracy(labels: [2]), contains: "outside 0..<2")
        assertThrows(try p.ensembleMean().accuracy(labels: [0, 1]), contains: "2 labels for 1 samples")
        assertThrows(try p.ensembleMean().calibration(labels: [0], binCount: 0), contains: "bin count > 0")
        assertThrows(try areaUnderROC(scores: [0.1, 0.2], positive: [true, true]), contains: "both positive")
        assertThrows(try averagePrecision(scores: [0.1, 0.2], positive: [false, false]), contains: "at least one positive")
        assertThrows(try areaUnderROC(scores: [0.1, .nan], positive: [true, false]), contains: "not finite")
        let two = try MemberProbabilities([[[0.5, 0.5]], [[0.5, 0.5]]])
        assertThrows(try OODDetection(inDistribution: p, outOfDistribution: two, score: .entropy), contains: "same ensemble")
    }
}
