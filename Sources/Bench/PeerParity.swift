// What scripts/bench needs beside the step times to compare lora with its
// peers (scripts/bench_torch.py, scripts/bench_jax.py) on equal terms: the
// step's floating-point work (for GFLOP/s against the sgemm peak) and the
// inference throughput of `evaluate`'s path.
import Core
import Data
import Foundation
import NN
import Tensor

enum PeerParity {
    /// Floating-point operations of the matrix products of one training step of
    /// the bench ViT on `batch` images (a multiply-add counts 2): the forward
    /// pass (patch embedding, q, k, v, o, q k^T, attention x v, the MLP, the
    /// head on the class token) and the backward pass, twice the forward
    /// (input and weight gradients), except the patch embedding, whose input
    /// (the images) needs no gradient. Elementwise work, LayerNorm, softmax and
    /// AdamW are left out (a few percent).
    static func vitStepFlop(_ c: ViTConfig, batch: Int) -> Double {
        let t = Double(c.tokens), d = Double(c.dim), p = Double(c.tokens - 1)
        let patch = 2 * p * Double(c.patchFeatures) * d
        let block = 4 * (2 * t * d * d)              // q, k, v, o
            + 2 * (2 * t * t * d)                    // q k^T and attention x v over all heads
            + 2 * (2 * t * d * Double(c.mlp))        // fc1, fc2
        let head = 2 * d * Double(c.classes)
        let forward = patch + Double(c.depth) * block + head
        return Double(batch) * (3 * forward - 2 * patch)
    }

    /// Prints `KEY_parameters SUFFIX N` (trainable parameters), `KEY_step_flop F`
    /// when given, and `KEY_initial_loss SUFFIX L`: the loss of the bench batch
    /// before any step (what the first training step computes), for the peers'
    /// parity check.
    static func describe(_ network: MemberNetwork, data: Dataset, batch: Int, classes: Int, key: String, suffix: String = "",
                         flop: Double? = nil) throws {
        print("\(key)_parameters\(suffix) \(network.trainableParameters().reduce(0) { $0 + $1.count })")
        if let f = flop { print(String(format: "%@_step_flop %.0f", key, f)) }
        let (images, labels) = data.batch(Array(0..<batch))
        let m = network.members
        let loss = try Tensor.noGrad {
            let z = try network.memberLogits(images, count: batch, context: ForwardContext(training: true))
            return try Tensor.crossEntropy(logits: z.reshape([m * batch, classes]),
                                           labels: [[Int]](repeating: labels, count: m).flatMap { $0 })
        }
        print(String(format: "%@_initial_loss%@ %.4f", key, suffix, try loss.item()))
    }

    static let evaluateImages = 1024

    /// `evaluate`'s path: `predict` over 1,024 images in batches of 256 (eval
    /// mode, no graph, softmax), the median of `steps` calls after one warm-up;
    /// prints `evaluate_ms images=1024 threads=N`.
    static func evaluate(_ config: ViTConfig, threads: Int, steps: Int) throws {
        var rng = RNG(seed: 42)
        let n = evaluateImages, pixels = config.channels * config.height * config.width
        let images = (0..<(n * pixels)).map { _ in rng.uniform() }
        let data = try Dataset(name: "bench-evaluate", images: images, labels: (0..<n).map { $0 % config.classes },
                               channels: config.channels, height: config.height, width: config.width,
                               classNames: (0..<config.classes).map { "\($0)" })
        let model = SingleNetwork(training: try ViT(config, seed: 0))
        var times: [Double] = []
        for i in 0..<(max(1, steps) + 1) {
            let t0 = now()
            let p = try model.predict(data, batchSize: 256)
            let t = now() - t0
            guard p.samples == n else { throw NNError.dataMismatch("predict returned \(p.samples) samples, expected \(n)") }
            if i >= 1 { times.append(t) }
        }
        print(String(format: "evaluate_ms images=%d threads=%d %.3f", n, threads, median(times) * 1000))
    }
}
