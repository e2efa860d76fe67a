import XCTest
import Foundation
@testable import Tensor

final class ElementwiseTests: XCTestCase {
    func testBroadcastForwardValues() throws {
        let a = try Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        let b = try Tensor(shape: [3], data: [10, 20, 30])
        XCTAssertEqual(try (a + b).data, [11, 22, 33, 14, 25, 36])
        let c = try Tensor(shape: [2, 1], data: [2, 3])
        XCTAssertEqual(try (a * c).data, [2, 4, 6, 12, 15, 18])
        XCTAssertEqual(try (c - b).shape, [2, 3])
        XCTAssertEqual(try (c - b).data, [-8, -18, -28, -7, -17, -27])
        XCTAssertEqual(try (a / Tensor(scalar: 2)).data, [0.5, 1, 1.5, 2, 2.5, 3])
        XCTAssertEqual((2 - a).data, [1, 0, -1, -2, -3, -4])
        XCTAssertEqual((6 / a).data, [6, 3, 2, 1.5, 1.2, 1])
        XCTAssertEqual((-a).data, [-1, -2, -3, -4, -5, -6])
    }

    func testBroadcastShapeMismatchNamesOpAndShapes() {
        let a = Tensor.zeros([2, 3]), b = Tensor.zeros([4])
        XCTAssertThrowsError(try a + b) { e in
            let msg = "\(e)"
            XCTAssertTrue(msg.contains("add"), msg)
            XCTAssertTrue(msg.contains("[2, 3]") && msg.contains("[4]"), msg)
        }
        XCTAssertThrowsError(try a * Tensor.zeros([3, 3]))
        XCTAssertThrowsError(try a.greater(Tensor.zeros([2])))
    }

    func testBinaryGradients() throws {
        let cases: [([Int], [Int])] = [([3, 5], [3, 5]), ([3, 5], [5]), ([2, 1, 4], [3, 1]), ([1], [2, 3]), ([4, 3], [4, 1]), ([], [2, 3])]
        for (sa, sb) in cases {
            let a = randomTensor(sa, seed: 1), b = randomTensor(sb, seed: 2)
            try checkGradients("add \(sa) \(sb)", [a, b]) { try $0[0] + $0[1] }
            try checkGradients("sub \(sa) \(sb)", [a, b]) { try $0[0] - $0[1] }
            try checkGradients("mul \(sa) \(sb)", [a, b]) { try $0[0] * $0[1] }
            let bPos = try (b * b) + 0.5   // keep the divisor away from zero
            let bp = bPos.detached()
            try checkGradients("div \(sa) \(sb)", [a, bp], eps: 1e-3) { try $0[0] / $0[1] }
        }
    }

    func testSameTensorTwice() throws {
        let x = randomTensor([4, 3], seed: 5)
        try checkGradients("x*x", [x]) { try $0[0] * $0[0] }
        try checkGradients("x/x+x", [x.detached() + 2]) { try $0[0] / $0[0] + $0[0] }
    }

    func testScalarOpGradients() throws {
        let x = randomTensor([3, 4], seed: 3)
        try checkGradients("x+s", [x]) { $0[0] + 1.5 }
        try checkGradients("s-x", [x]) { 2 - $0[0] }
        try checkGradients("x*s", [x]) { $0[0] * -3 }
        try checkGradients("x/s", [x]) { $0[0] / 4 }
        try checkGradients("neg", [x]) { -$0[0] }
        let pos = try (x * x + 0.5).detached()
        try checkGradients("s/x", [pos], eps: 1e-3) { 2 / $0[0] }
    }

    func testUnaryGradients() throws {
        let x = randomTensor([5, 7], seed: 4)
        let pos = try (x * x + 0.3).detached()
        try checkGradients("exp", [x]) { $0[0].exp() }
        try checkGradients("log", [pos], eps: 1e-3) { $0[0].log() }
        try checkGradients("sqrt", [pos], eps: 1e-3) { $0[0].sqrt() }
        try checkGradients("pow 3", [x]) { $0[0].pow(3) }
        try checkGradients("pow 2", [x]) { $0[0].pow(2) }
        try checkGradients("pow 1.5", [pos], eps: 1e-3) { $0[0].pow(1.5) }
        try checkGradients("tanh", [x]) { $0[0].tanh() }
        try checkGradients("sigmoid", [x]) { $0[0].sigmoid() }
        try checkGradients("gelu", [x]) { $0[0].gelu() }
        // relu: keep inputs away from the kink
        let away = Tensor(x.shape, x.data.map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 })
        try checkGradients("relu", [away]) { $0[0].relu() }
    }

    func testUnaryValues() throws {
        let x = try Tensor(shape: [4], data: [-2, -0.5, 0.5, 3])
        assertClose(x.exp().data, x.data.map { Foundation.exp($0) }, "exp")
        assertClose(x.tanh().data, x.data.map { Foundation.tanh($0) }, "tanh")
        assertClose(x.sigmoid().data, x.data.map { 1 / (1 + Foundation.exp(-$0)) }, "sigmoid")
        XCTAssertEqual(x.relu().data, [0, 0, 0.5, 3])
        assertClose(x.pow(3).data, [-8, -0.125, 0.125, 27], "pow")
    }

    func testGeluMatchesTorchFixture() throws {
        let f = try fixture("gelu.json")
        let x = f["x"]!.tensor
        x.requiresGrad = true
        let y = x.gelu()
        assertClose(y.data, f["y"]!.floats, atol: 1e-6, rtol: 1e-5, "gelu forward")
        try y.sum().backward()
        assertClose(x.grad!.data, f["dx"]!.floats, atol: 1e-6, rtol: 1e-5, "gelu backward")
    }

    func testFastExpAndErfAccuracy() {
        var worstE: Float = 0, worstErf: Float = 0
        var x: Float = -80
        while x < 80 {
            let r = abs(fastExp(x) - Foundation.exp(x)) / Foundation.exp(x)
            worstE = max(worstE, r)
            x += 0.0137
        }
        x = -6
        while x < 6 { worstErf = max(worstErf, abs(fastErf(x) - Foundation.erf(x))); x += 0.001 }
        XCTAssertLessThan(worstE, 1e-6)
        XCTAssertLessThan(worstErf, 1e-6)
        XCTAssertEqual(fastExp(-Float.infinity), 0, accuracy: 1e-37)
    }

    func testComparisons() throws {
        let a = try Tensor(shape: [2, 2], data: [1, 2, 3, 4])
        let b = try Tensor(shape: [2], data: [1, 4])
        XCTAssertEqual(try a.greater(b).data, [0, 0, 1, 0])
        XCTAssertEqual(try a.less(b).data, [0, 1, 0, 0])
        XCTAssertEqual(try a.equal(b).data, [1, 0, 0, 1])
        XCTAssertEqual(a.greater(2.5).data, [0, 0, 1, 1])
        a.requiresGrad = true
        XCTAssertFalse(try a.greater(b).requiresGrad)
    }

    func testLargeParallelElementwiseMatchesSerial() throws {
        let n = 300_001
        let x = randomTensor([n], seed: 9)
        let y = randomTensor([n], seed: 10)
        let z = try x * y + x.gelu()
        for i in stride(from: 0, to: n, by: 9973) {
            let xi = x.data[i]
            let g = 0.5 * Double(xi) * (1 + Foundation.erf(Double(xi) / 2.0.squareRoot()))
            XCTAssertEqual(z.data[i], xi * y.data[i] + Float(g), accuracy: 1e-5)
        }
        try z.sum().backward()
        XCTAssertEqual(y.grad!.data[12345], x.data[12345])
    }
}
