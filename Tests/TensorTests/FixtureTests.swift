// Checks against PyTorch references written by scripts/gen_tensor_fixtures.py.
import XCTest
@testable import Tensor

final class FixtureTests: XCTestCase {
    func testAttentionMatchesTorch() throws {
        let f = try fixture("attention.json")
        let q = f["q"]!.tensor, k = f["k"]!.tensor, v = f["v"]!.tensor
        for t in [q, k, v] { t.requiresGrad = true }
        let (o, w) = try Tensor.attention(q: q, k: k, v: v, keepWeights: true)
        assertClose(o.data, f["out"]!.floats, atol: 1e-5, "out")
        assertClose(w!.data, f["weights"]!.floats, atol: 1e-6, "weights")
        try (o * f["dout"]!.tensor).sum().backward()
        assertClose(q.grad!.data, f["dq"]!.floats, atol: 1e-5, "dq")
        assertClose(k.grad!.data, f["dk"]!.floats, atol: 1e-5, "dk")
        assertClose(v.grad!.data, f["dv"]!.floats, atol: 1e-5, "dv")
    }

    func testLayerNormMatchesTorch() throws {
        let f = try fixture("layernorm.json")
        let x = f["x"]!.tensor, g = f["gamma"]!.tensor, b = f["beta"]!.tensor
        for t in [x, g, b] { t.requiresGrad = true }
        let y = try Tensor.layerNorm(x, gamma: g, beta: b, eps: 1e-5)
        assertClose(y.data, f["y"]!.floats, atol: 1e-5, "y")
        try (y * f["dy"]!.tensor).sum().backward()
        assertClose(x.grad!.data, f["dx"]!.floats, atol: 1e-5, "dx")
        assertClose(g.grad!.data, f["dgamma"]!.floats, atol: 1e-5, "dgamma")
        assertClose(b.grad!.data, f["dbeta"]!.floats, atol: 1e-5, "dbeta")
    }

    func testCrossEntropyMatchesTorch() throws {
        let f = try fixture("cross_entropy.json")
        let logits = f["logits"]!.tensor
        logits.requiresGrad = true
        let labels = f["labels"]!.data.map { Int($0) }
        let loss = try Tensor.crossEntropy(logits: logits, labels: labels)
        XCTAssertEqual(try loss.item(), f["loss"]!.floats[0], accuracy: 1e-5)
        try loss.backward()
        assertClose(logits.grad!.data, f["dlogits"]!.floats, atol: 1e-6, "dlogits")
    }

    private func runOptimizer(_ opt: Optimizer, _ name: String, _ f: [String: FixtureEntry]) throws {
        let p = f["p0"]!.tensor
        p.requiresGrad = true
        for i in 0..<3 {
            p.grad = f["grad\(i)"]!.tensor
            try opt.step([p])
            assertClose(p.data, f["\(name)_step\(i)"]!.floats, atol: 2e-6, rtol: 1e-5, "\(name) step \(i)")
        }
        XCTAssertGreaterThan(opt.stateBytes, 0)
    }

    func testAdamWStepsMatchTorch() throws {
        try runOptimizer(AdamW(learningRate: 0.01, weightDecay: 0.1), "adamw", fixture("optimizers.json"))
    }

    func testAdamStepsMatchTorch() throws {
        try runOptimizer(Adam(learningRate: 0.01, weightDecay: 0.05), "adam", fixture("optimizers.json"))
    }

    func testSGDMomentumStepsMatchTorch() throws {
        try runOptimizer(SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01), "sgd", fixture("optimizers.json"))
    }
}
