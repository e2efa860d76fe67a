import Core
import XCTest
@testable import Tensor

final class OptimizerTests: XCTestCase {
    func testPlainSGDAndSkippedGrads() throws {
        let p = try Tensor(shape: [2], data: [1, 2]); p.requiresGrad = true
        let q = try Tensor(shape: [1], data: [5]); q.requiresGrad = true
        p.grad = try Tensor(shape: [2], data: [0.5, -1])
        let opt = SGD(learningRate: 0.1)
        try opt.step([p, q])
        XCTAssertEqual(p.data[0], 0.95, accuracy: 1e-7)
        XCTAssertEqual(p.data[1], 2.1, accuracy: 1e-7)
        XCTAssertEqual(q.data, [5])
        XCTAssertEqual(opt.stateBytes, 0)
        p.grad = Tensor.zeros([3])
        XCTAssertThrowsError(try opt.step([p]))
    }

    func testTrainingReducesLoss() throws {
        // Fit y = 2x - 1 with a linear layer and AdamW.
        var rng = RNG(seed: 3)
        let w = Tensor.randn([1, 1], rng: &rng), b = Tensor.zeros([1])
        w.requiresGrad = true; b.requiresGrad = true
        let xs = Tensor.uniform([32, 1], low: -1, high: 1, rng: &rng)
        let ys = xs * 2 - 1
        let opt = AdamW(learningRate: 0.1, weightDecay: 0)
        var first: Float = 0, last: Float = 0
        for step in 0..<200 {
            w.zeroGrad(); b.zeroGrad()
            let d = try Tensor.linear(xs, weight: w, bias: b) - ys
            let loss = try (d * d).mean()
            try loss.backward()
            try opt.step([w, b])
            if step == 0 { first = try loss.item() }
            last = try loss.item()
        }
        XCTAssertLessThan(last, first * 1e-3)
        XCTAssertEqual(w.data[0], 2, accuracy: 0.05)
        XCTAssertEqual(opt.stateBytes, 16)
    }

    func testClipGradNorm() throws {
        let a = Tensor.zeros([2]), b = Tensor.zeros([1])
        a.grad = try Tensor(shape: [2], data: [3, 0])
        b.grad = try Tensor(shape: [1], data: [4])
        let n = clipGradNorm([a, b, Tensor.zeros([1])], maxNorm: 1)
        XCTAssertEqual(n, 5, accuracy: 1e-6)
        XCTAssertEqual(a.grad!.data[0], 0.6, accuracy: 1e-5)
        XCTAssertEqual(b.grad!.data[0], 0.8, accuracy: 1e-5)
        let n2 = clipGradNorm([a, b], maxNorm: 10)
        XCTAssertEqual(n2, 1, accuracy: 1e-5)
        XCTAssertEqual(b.grad!.data[0], 0.8, accuracy: 1e-5)
    }

    func testSchedules() {
        XCTAssertEqual(LRSchedule.constant(0.3).learningRate(atStep: 99), 0.3)
        let s = LRSchedule.warmupCosine(base: 1, warmupSteps: 4, totalSteps: 14)
        XCTAssertEqual(s.learningRate(atStep: 0), 0.25, accuracy: 1e-6)
        XCTAssertEqual(s.learningRate(atStep: 3), 1, accuracy: 1e-6)
        XCTAssertEqual(s.learningRate(atStep: 4), 1, accuracy: 1e-6)
        XCTAssertEqual(s.learningRate(atStep: 9), 0.5, accuracy: 1e-6)
        XCTAssertEqual(s.learningRate(atStep: 14), 0, accuracy: 1e-6)
        XCTAssertEqual(s.learningRate(atStep: 100), 0, accuracy: 1e-6)
    }
}
