// lora-bench: the Swift side of scripts/bench. Prints machine-readable lines
// `key value` that scripts/bench pairs with scripts/bench_torch.py's.
//
//   lora-bench engine   [--threads N] [--steps S] [--profile] [--no-sgemm]
//                                                   sgemm GFLOP/s and one ViT training step;
//                                                   --profile: the step broken down by category
//   lora-bench ensemble [--threads N] [--steps S] [--members 1,4,16]
//                                                   LoRA-Ensemble training steps (--profile as engine)
//   lora-bench evaluate [--threads N] [--steps S]   inference: predict 1,024 images (eval mode, no graph)
//   lora-bench text     [--threads N] [--steps S] [--model DIR] [--profile]
//                                                   MiniLM forward, forward + backward (frozen
//                                                   backbone), 4-member LoRA-Ensemble step
//                                                   (--profile: that step broken down by category)
//   lora-bench textids FILE [--model DIR]           the text bench's token ids, for the peers
//   lora-bench textmem lora16|full [--model DIR] [--members-at-once K] [--steps S]
//                                                   peak RSS and time of MiniLM training steps
//   lora-bench gemmshapes [--threads N]             the own AVX-512 gemm vs OpenBLAS at the step's shapes
//   any mode: --blas-gemm (every product through OpenBLAS), --portable-kernels (no AVX-512 kernels, OpenBLAS gemm)
import Core
import Data
import Dispatch
import Foundation
import NN
import Tensor
import Uncertainty

/// Wall-clock seconds, or with --cpu this process's CPU seconds (robust when
/// other jobs share the machine; only meaningful with --threads 1).
let useCPUTime = CommandLine.arguments.contains("--cpu")
func now() -> Double {
    if useCPUTime {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
    return Double(DispatchTime.now().uptimeNanoseconds) * 1e-9
}
func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

let args = Array(CommandLine.arguments.dropFirst())
let mode = args.first ?? "engine"
func option(_ name: String) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}
let threads = Int(option("--threads") ?? "") ?? ProcessInfo.processInfo.activeProcessorCount
let steps = Int(option("--steps") ?? "") ?? 10
Engine.threads = threads
if !CommandLine.arguments.contains("--no-malloc-tuning") { Tensor.keepFreedMemory() }
if CommandLine.arguments.contains("--unfused-qkv") { MultiHeadAttention.fuseQKV = false }
if CommandLine.arguments.contains("--portable-kernels") { Engine.vectorKernels = false; Engine.ownGemm = false }
if CommandLine.arguments.contains("--blas-gemm") { Engine.ownGemm = false }

/// The ViT of the benchmark: batch 64, 28x28x1, patch 4, dim 64, depth 4, heads 4, MLP 128, 10 classes.
let benchConfig = ViTConfig(image: 28, channels: 1, patch: 4, dim: 64, depth: 4, heads: 4, mlp: 128, classes: 10)
let batch = 64

func benchData() throws -> Dataset {
    var rng = RNG(seed: 42)
    let n = batch
    let images = (0..<(n * 28 * 28)).map { _ in rng.uniform() }
    let labels = (0..<n).map { $0 % 10 }
    return try Dataset(name: "bench", images: images, labels: labels, channels: 1, height: 28, width: 28,
                       classNames: (0..<10).map { "\($0)" })
}

/// One training step (forward, loss, backward, clip, AdamW) of `network` on the bench batch.
func trainingStep(_ network: MemberNetwork, data: Dataset) -> () throws -> Void {
    let params = network.trainableParameters()
    let opt = AdamW(learningRate: 1e-4, weightDecay: 0)
    let (images, labels) = data.batch(Array(0..<batch))
    let m = network.members
    let all = [[Int]](repeating: labels, count: m).flatMap { $0 }
    return {
        let ctx = ForwardContext(training: true)
        let z = try network.memberLogits(images, count: batch, context: ctx)
        let loss = try Tensor.crossEntropy(logits: z.reshape([m * batch, benchConfig.classes]), labels: all)
        for p in params { p.zeroGrad() }
        try loss.backward()
        clipGradNorm(params, maxNorm: 1)
        try opt.step(params)
    }
}

/// Median seconds of one training step, after warm-up; with --profile, then
/// prints the step broken down (`peak`: the sgemm GFLOP/s of this run).
func stepTime(_ network: MemberNetwork, data: Dataset, steps: Int, profilePeak peak: Double? = nil, label: String = "") throws -> Double {
    let step = trainingStep(network, data: data)
    var times: [Double] = []
    for i in 0..<(steps + 2) {
        let t0 = now()
        try step()
        let t = now() - t0
        if i >= 2 { times.append(t) }
    }
    if let peak = peak { try StepProfile.run(steps: steps, peak: peak, label: label, step) }
    return median(times)
}

let profiling = CommandLine.arguments.contains("--profile")

func sgemmGFlops(_ n: Int) throws -> Double {
    var rng = RNG(seed: 1)
    let a = Tensor.randn([n, n], rng: &rng), b = Tensor.randn([n, n], rng: &rng)
    _ = try Tensor.matmul(a, b)
    // Peak speed: the best of 10 short batches (the cores are shared with other
    // jobs; a longer window is more likely to be interrupted).
    let reps = n <= 256 ? 60 : 3
    var best = Double.infinity
    for _ in 0..<10 {
        let t0 = now()
        for _ in 0..<reps { _ = try Tensor.matmul(a, b) }
        best = min(best, (now() - t0) / Double(reps))
    }
    return 2 * Double(n * n * n) / best / 1e9
}

do {
    switch mode {
    case "engine":
        print("blas_core \(Engine.blasCoreName)")
        var peak = 0.0
        for t in [1, 2] where !args.contains("--no-sgemm") {
            Engine.threads = t
            for n in [256, 1024] {
                let g = try sgemmGFlops(n)
                if t == threads { peak = max(peak, g) }
                print(String(format: "sgemm_gflops n=%d threads=%d %.1f", n, t, g))
            }
        }
        Engine.threads = threads
        let vit = try ViT(benchConfig, seed: 0)
        try PeerParity.describe(vit, data: benchData(), batch: batch, classes: benchConfig.classes, key: "vit",
                                flop: PeerParity.vitStepFlop(benchConfig, batch: batch))
        let s = try stepTime(vit, data: benchData(), steps: steps, profilePeak: profiling ? peak : nil, label: "ViT step")
        print(String(format: "vit_step_ms threads=%d %.3f", threads, s * 1000))
    case "evaluate":
        print("blas_core \(Engine.blasCoreName)")
        try PeerParity.evaluate(benchConfig, threads: threads, steps: steps)
    case "gemmsplit":
        // Where splitting a gemm over the threads starts to pay: [m, k] x [k, n]
        // on 1 thread vs split over `threads` (gemmParallelMin forced to 0).
        let saved = Engine.gemmParallelMin
        for (m, n, k) in [(256, 64, 64), (544, 64, 64), (1024, 64, 64), (2048, 64, 64), (3200, 64, 64),
                          (3200, 192, 64), (12800, 64, 64), (12800, 192, 64), (51200, 64, 64), (51200, 192, 64)] {
            var rng = RNG(seed: 3)
            let a = Tensor.randn([m, k], rng: &rng), b = Tensor.randn([k, n], rng: &rng)
            func t(_ th: Int) throws -> Double {
                Engine.threads = th
                Engine.gemmParallelMin = 0
                let reps = max(3, 20_000_000 / (m * n * k))
                var best = Double.infinity
                for _ in 0..<5 {
                    let t0 = now()
                    for _ in 0..<reps { _ = try Tensor.matmul(a, b) }
                    best = min(best, (now() - t0) / Double(reps))
                }
                return best
            }
            let t1 = try t(1), t2 = try t(threads)
            print(String(format: "gemm m=%d n=%d k=%d mnk=%d: 1 thread %.1f us, %d threads %.1f us, speed-up %.2f",
                         m, n, k, m * n * k, t1 * 1e6, threads, t2 * 1e6, t1 / t2))
        }
        Engine.gemmParallelMin = saved
    case "gemmshapes":
        // The own AVX-512 gemm against OpenBLAS at the step's shapes, alternating
        // in one process (op(A) m x k, op(B) k x n; T = transposed operand).
        let shapes: [(Bool, Bool, Int, Int, Int)] = [
            (true, false, 64, 64, 3200), (true, false, 192, 64, 3200), (true, false, 64, 192, 3200),
            (true, false, 128, 64, 3200), (true, false, 64, 128, 3200), (true, false, 8, 64, 200),
            (false, true, 3200, 192, 64), (false, true, 3200, 64, 64), (false, true, 3200, 128, 64),
            (false, true, 3200, 64, 128), (false, false, 3200, 64, 64), (false, false, 3200, 64, 128),
            (false, false, 3200, 64, 192), (false, false, 200, 64, 8), (false, true, 200, 8, 64),
            (false, false, 256, 256, 256), (false, false, 1024, 1024, 1024), (false, true, 2048, 384, 384),
            (true, false, 384, 384, 2048), (true, false, 384, 1536, 2048)]
        let savedOwn = Engine.ownGemm
        for (ta, tb, m, n, k) in shapes {
            var rng = RNG(seed: 3)
            let a = Tensor.randn(ta ? [k, m] : [m, k], rng: &rng), b = Tensor.randn(tb ? [n, k] : [k, n], rng: &rng)
            let reps = max(3, 200_000_000 / (m * n * k))
            var best = [Double.infinity, Double.infinity]
            for _ in 0..<5 {
                for own in [false, true] {
                    Engine.ownGemm = own
                    let t0 = now()
                    for _ in 0..<reps { _ = try Tensor.matmul(a, b, transposeA: ta, transposeB: tb) }
                    best[own ? 1 : 0] = min(best[own ? 1 : 0], (now() - t0) / Double(reps))
                }
            }
            Engine.ownGemm = savedOwn
            let flop = 2 * Double(m * n * k)
            print(String(format: "gemm %@%@ m=%d n=%d k=%d threads=%d: OpenBLAS %.1f GFLOP/s, own %.1f GFLOP/s (x%.2f)%@",
                         ta ? "T" : "N", tb ? "T" : "N", m, n, k, threads, flop / best[0] / 1e9, flop / best[1] / 1e9,
                         best[0] / best[1], Engine.usesOwnGemm(ta, tb, m, n, k) ? "" : " [OpenBLAS chosen]"))
        }
    case "linearblock":
        // Row-block size of linear (bias written per block): [rows, in] x [out, in]^T + bias.
        for (rows, inF, outF) in [(3200, 64, 192), (3200, 64, 128), (3200, 128, 64), (51200, 64, 192)] {
            var rng = RNG(seed: 3)
            let x = Tensor.randn([rows, inF], rng: &rng), w = Tensor.randn([outF, inF], rng: &rng), b = Tensor.randn([outF], rng: &rng)
            var best: [Int: Double] = [:]
            for _ in 0..<5 {
                for blk in [32, 64, 128, 256, 100_000, 0] {
                    Engine.linearBlockRows = blk
                    let reps = max(3, 30_000_000 / (rows * inF * outF) * 10)
                    let t0 = now()
                    for _ in 0..<reps { _ = try Tensor.linear(x, weight: w, bias: b) }
                    best[blk] = min(best[blk] ?? .infinity, (now() - t0) / Double(reps))
                }
            }
            Engine.linearBlockRows = 0
            print("linear rows=\(rows) in=\(inF) out=\(outF): " + best.keys.sorted().map { String(format: "block %@ %.1f us", $0 == 0 ? "auto" : "\($0)", best[$0]! * 1e6) }.joined(separator: ", "))
        }
    case "compare":
        // Full fine-tuning step vs LoRA (M = 1) step on the same backbone, same run.
        let data = try benchData()
        let vit = try ViT(benchConfig, seed: 0)
        let lora = try LoRAEnsembleNetwork(backbone: vit, options: LoRAOptions(members: 1, rank: 4))
        for _ in 0..<2 {
            print(String(format: "vit_step_ms %.3f", try stepTime(vit, data: data, steps: steps) * 1000))
            print(String(format: "lora1_step_ms %.3f", try stepTime(lora, data: data, steps: steps) * 1000))
        }
    case "digits":
        // End-to-end check on the embedded digits: backbone, LoRA-Ensemble, single network.
        let (train, test) = try Datasets.load("digits").split(0.8, seed: 7)
        let cfg = ViTConfig(image: 8, channels: 1, patch: 2, dim: 64, depth: 4, heads: 4, mlp: 128, classes: 10)
        let epochsBase = Int(option("--base-epochs") ?? "") ?? 15
        let epochsEns = Int(option("--epochs") ?? "") ?? 5
        let lr = Float(option("--lr") ?? "") ?? 1e-3
        let members = Int(option("--members") ?? "") ?? 8
        func report(_ name: String, _ m: EnsembleModel, _ secs: Double) throws {
            let s = try m.predict(test).memberProbabilities().summary(labels: test.labels)
            print(String(format: "%-18@ acc %.3f  ece %.3f  (%.1f s)", name as NSString, s.accuracy, s.expectedCalibrationError, secs))
        }
        var t0 = now()
        let base = try ViT(cfg, seed: 1)
        let pre = SingleNetwork(training: base)
        try pre.fit(train, config: TrainConfig(epochs: epochsBase, batchSize: 32, learningRate: lr, seed: 1))
        try report("backbone", pre, now() - t0)
        t0 = now()
        let ens = try LoRAEnsemble(backbone: base, options: LoRAOptions(members: members, rank: 4))
        try ens.fit(train, config: TrainConfig(epochs: epochsEns, batchSize: 32, learningRate: lr, seed: 2))
        try report("lora-ensemble", ens, now() - t0)
        t0 = now()
        let single = try SingleNetwork(backbone: base)
        try single.fit(train, config: TrainConfig(epochs: epochsEns, batchSize: 32, learningRate: lr, seed: 2))
        try report("single (fine-tune)", single, now() - t0)
    case "ensemble":
        print("blas_core \(Engine.blasCoreName)")
        let members = (option("--members") ?? "1,4,16").split(separator: ",").compactMap { Int($0) }
        let peak = profiling ? max(try sgemmGFlops(256), try sgemmGFlops(1024)) : 0
        let data = try benchData()
        let base = try ViT(benchConfig, seed: 0)
        for m in members {
            let net = try LoRAEnsembleNetwork(backbone: base, options: LoRAOptions(members: m, rank: 4))
            try PeerParity.describe(net, data: data, batch: batch, classes: benchConfig.classes, key: "lora_ensemble", suffix: " members=\(m)")
            let s = try stepTime(net, data: data, steps: max(3, steps * 4 / max(m, 4)),
                                 profilePeak: profiling ? peak : nil, label: "LoRA-Ensemble M = \(m) step")
            print(String(format: "lora_ensemble_step_ms members=%d threads=%d %.3f", m, threads, s * 1000))
        }
    case "text":
        print("blas_core \(Engine.blasCoreName)")
        let peak = profiling ? max(try sgemmGFlops(256), try sgemmGFlops(1024)) : nil
        try TextBench.run(model: option("--model"), threads: threads, steps: Int(option("--steps") ?? "") ?? 5, profilePeak: peak)
    case "textids":
        guard args.count > 1 else { throw NNError.invalidConfiguration("usage: lora-bench textids FILE [--model DIR]") }
        try TextBench.writeIDs(model: option("--model"), to: args[1])
    case "textmem":
        guard args.count > 1 else { throw NNError.invalidConfiguration("usage: lora-bench textmem lora16|full [--model DIR] [--members-at-once K|auto] [--steps S]") }
        let k = option("--members-at-once").flatMap { Int($0) }
        try TextBench.memory(model: option("--model"), kind: args[1], membersAtOnce: k, steps: Int(option("--steps") ?? "") ?? 3)
    default:
        FileHandle.standardError.write("usage: lora-bench engine|ensemble|evaluate|text|textids|textmem [--threads N] [--steps S] [--members 1,4,16]\n".data(using: .utf8)!)
        exit(2)
    }
} catch {
    FileHandle.standardError.write("lora-bench: error: \(error)\n".data(using: .utf8)!)
    exit(1)
}
