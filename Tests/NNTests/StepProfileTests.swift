import Core
import XCTest
import NN
@testable import Tensor

/// The engine's profile (what `lora-bench --profile` prints) on a tiny ViT step:
/// flop counts against the model's closed form, categories against the wall time.
final class StepProfileTests: XCTestCase {
    func testProfileOfATinyViTStep() throws {
        // image 8, patch 2: 16 patches of 4 features, 17 tokens.
        let cfg = ViTConfig(image: 8, channels: 1, patch: 2, dim: 16, depth: 2, heads: 2, mlp: 24, classes: 5)
        let vit = try ViT(cfg, seed: 1)
        let n = 6, t = 17, p = 16, f = 4, d = 16, h = 2, dh = 8, mlp = 24, classes = 5
        var rng = RNG(seed: 2)
        let images = (0..<(n * 64)).map { _ in rng.uniform() }
        let labels = (0..<n).map { $0 % classes }
        let params = vit.parameters()
        let opt = AdamW(learningRate: 1e-3)
        func step() throws {
            let z = try vit.logits(images, count: n, context: ForwardContext(training: true))
            let loss = try Tensor.crossEntropy(logits: z, labels: labels)
            for q in params { q.zeroGrad() }
            try loss.backward()
            clipGradNorm(params, maxNorm: 1)
            try opt.step(params)
        }
        for threads in [1, 2] {
            let saved = Engine.threads
            Engine.threads = threads
            defer { Engine.threads = saved }
            try step()   // warm-up
            XCTAssertFalse(Profile.isOn)
            let steps = 3
            Profile.start()
            XCTAssertTrue(Profile.isOn)
            let t0 = monotonicNanos()
            for _ in 0..<steps { try step() }
            let wall = Double(monotonicNanos() - t0) * 1e-9
            let r = Profile.stop()
            XCTAssertFalse(Profile.isOn)

            // Gemm flops: forward, dW, and dx where the input needs a gradient
            // (not for the patches), 2 m n k each.
            let rows = Double(n * t)
            let perBlock = 2 * rows * Double(d * 3 * d + d * d + d * mlp + mlp * d)
            let gemm = 2 * 2 * Double(n * p * f * d) + Double(cfg.depth) * 3 * perBlock + 3 * 2 * Double(n * d * classes)
            let gemmFlops = r.categories[.gemm]?.flops ?? 0
            XCTAssertEqual(gemmFlops / Double(steps), gemm, accuracy: gemm * 1e-12, "threads \(threads)")
            XCTAssertEqual(r.gemms.values.reduce(0) { $0 + $1.flops }, gemmFlops, accuracy: gemmFlops * 1e-12)
            // The packed q, k, v projection: [n t, 3d] = x [n t, d] W^T, forward once per block and step.
            let qkv = GemmShape(m: n * t, n: 3 * d, k: d, transA: false, transB: true, batch: 1, site: "linear")
            XCTAssertEqual(r.gemms[qkv]?.calls, steps * cfg.depth, "\(r.gemms.keys)")
            // Attention: q k^T and p v forward, four products backward, per block.
            let attention = Double(cfg.depth) * 2 * Double(n * h * t * t) * Double(2 * dh + 4 * dh)
            XCTAssertEqual((r.categories[.attention]?.flops ?? 0) / Double(steps), attention, accuracy: attention * 1e-12)
            XCTAssertEqual(r.categories[.attention]?.calls, steps * cfg.depth * 2)
            // LayerNorm forward and backward: two per block and the final one.
            XCTAssertEqual(r.categories[.normalisation]?.calls, steps * (2 * cfg.depth + 1) * 2)
            XCTAssertGreaterThanOrEqual(r.categories[.optimizer]?.calls ?? 0, steps * 2)

            // Exclusive times nest inside the wall time and cover most of it.
            let measured = r.measuredSeconds
            XCTAssertLessThanOrEqual(measured, wall * 1.0001, "threads \(threads)")
            XCTAssertLessThanOrEqual(measured, r.wallSeconds * 1.0001)
            XCTAssertGreaterThan(measured, 0.5 * wall, "categories cover \(measured / wall) of the step")
            for (c, e) in r.categories { XCTAssertGreaterThanOrEqual(e.seconds, 0, c.name) }
        }
        // Off again: nothing recorded.
        try step()
        XCTAssertTrue(Profile.stop().categories.isEmpty)
    }
}
