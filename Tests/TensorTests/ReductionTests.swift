import XCTest
import Foundation
@testable import Tensor

final class ReductionTests: XCTestCase {
    func testValues() throws {
        let x = try Tensor(shape: [2, 3], data: [1, 5, 3, 4, 2, 6])
        XCTAssertEqual(try x.sum().item(), 21)
        XCTAssertEqual(try x.sum(axis: 0).data, [5, 7, 9])
        XCTAssertEqual(try x.sum(axis: 1, keepDims: true).shape, [2, 1])
        XCTAssertEqual(try x.mean(axis: -1).data, [3, 4])
        XCTAssertEqual(try x.max(axis: 1).data, [5, 6])
        XCTAssertEqual(try x.max().item(), 6)
        XCTAssertEqual(try x.argmax(axis: 1), [1, 2])
        XCTAssertEqual(try x.argmax(axis: 0), [1, 0, 1])
        let lse = try x.logsumexp(axis: 1).data
        XCTAssertEqual(lse[0], Foundation.log(Foundation.exp(1) + Foundation.exp(5) + Foundation.exp(3)), accuracy: 1e-5)
        XCTAssertThrowsError(try x.sum(axis: 2)) { e in XCTAssertTrue("\(e)".contains("sum") && "\(e)".contains("[2, 3]"), "\(e)") }
        XCTAssertThrowsError(try x.argmax(axis: -3))
        let big = try Tensor(shape: [2], data: [1000, 1000])
        XCTAssertEqual(try big.logsumexp().item(), 1000 + Foundation.log(2), accuracy: 1e-3)
    }

    func testGradients() throws {
        let x = randomTensor([3, 4, 5], seed: 1)
        try checkGradients("sum all", [x]) { try $0[0].sum() }
        for ax in [0, 1, 2, -1] {
            try checkGradients("sum \(ax)", [x]) { try $0[0].sum(axis: ax) }
            try checkGradients("mean \(ax) keep", [x]) { try $0[0].mean(axis: ax, keepDims: true) }
            try checkGradients("max \(ax)", [x], eps: 1e-3) { try $0[0].max(axis: ax) }
            try checkGradients("logsumexp \(ax)", [x]) { try $0[0].logsumexp(axis: ax) }
        }
        try checkGradients("mean all", [x]) { try $0[0].mean() }
        try checkGradients("max all", [x], eps: 1e-3) { try $0[0].max() }
        try checkGradients("logsumexp all", [x]) { try $0[0].logsumexp() }
    }
}
