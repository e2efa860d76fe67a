// lora-bench text / textmem: all-MiniLM-L6-v2 (real weights) on 16 sequences
// of 128 word pieces. The PyTorch and JAX peers (scripts/bench_text_peer.py)
// read the same safetensors file and the same token ids (written by
// `lora-bench textids FILE`), and time the same work:
//   text_forward_ms        forward to the logits, no graph
//   text_head_backward_ms  forward + backward, backbone frozen, head trainable
//   text_lora4_step_ms     one training step of a 4-member LoRA-Ensemble (rank 4,
//                          q, k, v, o of every layer, fresh heads, mean of the
//                          members' cross-entropies, clip 1.0, AdamW)
import Core
import Foundation
import NN
import Tensor

enum TextBench {
    static let sequences = 16, tokens = 128, classes = 2

    static func modelDirectory(_ option: String?) -> String {
        if let o = option { return o }
        let env = ProcessInfo.processInfo.environment
        let root = env["LORA_MODELS"] ?? (NSHomeDirectory() + "/.cache/lora/models")
        return root + "/minilm"
    }

    static func load(_ dir: String) throws -> Bert {
        try BertFiles.load(dir, classes: classes, maxTokens: tokens, seed: 0)
    }

    /// 16 deterministic texts of whole-word vocabulary entries, each long
    /// enough to be truncated to exactly 128 word pieces ([CLS] ... [SEP]).
    static func texts(_ bert: Bert) throws -> [String] {
        let tok = bert.tokenizer
        let words = tok.vocabulary.filter { w in w.count >= 3 && w.unicodeScalars.allSatisfy { $0.value >= 97 && $0.value <= 122 } }
        var rng = RNG(seed: 7)
        let texts = (0..<sequences).map { _ in
            (0..<(tokens + 20)).map { _ in words[Int(rng.uniform() * Float(words.count)) % words.count] }.joined(separator: " ")
        }
        let batch = tok.encode(batch: texts, maxLength: tokens)
        guard batch.length == tokens, batch.lengths.allSatisfy({ $0 == tokens }) else {
            throw NNError.dataMismatch("the bench texts did not tokenize to \(sequences) x \(tokens) word pieces (lengths \(batch.lengths))")
        }
        return texts
    }

    static func ids(_ bert: Bert, _ texts: [String]) -> [Int] {
        bert.tokenizer.encode(batch: texts, maxLength: tokens).ids.map { Int($0) }
    }

    static var labels: [Int] { (0..<sequences).map { $0 % classes } }

    /// Logits [B, classes] of token ids (no tokenization), as Backbone.logits.
    static func logits(_ bert: Bert, ids: [Int], context ctx: ForwardContext) throws -> Tensor {
        let lengths = [Int](repeating: tokens, count: sequences)
        let e = try bert.embed(ids: ids, lengths: lengths, length: tokens)
        ctx.validTokens = e.validTokens
        defer { ctx.validTokens = nil }
        let h = try bert.finish(bert.encode(e.tokens, layers: 0..<bert.blocks.count, context: ctx))
        return try bert.head(bert.pool(h, validTokens: e.validTokens))
    }

    static func timed(_ steps: Int, warmUp: Int = 1, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for i in 0..<(warmUp + steps) {
            let t0 = now()
            try body()
            if i >= warmUp { times.append(now() - t0) }
        }
        return median(times)
    }

    /// One training step of a member network on the bench texts (forward,
    /// mean cross-entropy over members, backward, clip 1.0, AdamW), through
    /// the trainer's own step: all members at once (`plan` nil) or in groups.
    static func trainStep(_ net: MemberNetwork, texts: [String], params: [Tensor], opt: AdamW,
                          plan: MemberGroupPlan? = nil) throws {
        for p in params { p.zeroGrad() }
        _ = try MemberGroupStep.run(net, input: .texts(texts), labels: labels, plan: plan, context: ForwardContext(training: true))
        clipGradNorm(params, maxNorm: 1)
        try opt.step(params)
        for p in params { p.grad = nil }
    }

    /// `profilePeak`: also print the LoRA-Ensemble step broken down by category
    /// (`--profile`), against that sgemm GFLOP/s of this run.
    static func run(model: String?, threads: Int, steps: Int, profilePeak: Double? = nil) throws {
        let dir = modelDirectory(model)
        let bert = try load(dir)
        let texts = try texts(bert)
        let ids = ids(bert, texts)
        print("text_model \(dir)")
        print(String(format: "text_tokenize_ms %.3f", timed(steps) { _ = bert.tokenizer.encode(batch: texts, maxLength: tokens) } * 1000))

        // (a) forward, no graph.
        let fwd = try timed(steps) {
            _ = try Tensor.noGrad { try logits(bert, ids: ids, context: ForwardContext(training: false)) }
        }
        print(String(format: "text_forward_ms threads=%d %.3f", threads, fwd * 1000))

        // (b) forward + backward, backbone frozen, gradient of the head only.
        let frozen = try bert.copy()
        frozen.freeze()
        for p in frozen.head.parameters() { p.requiresGrad = true }
        let headParams = frozen.head.parameters()
        let bwd = try timed(steps) {
            let z = try logits(frozen, ids: ids, context: ForwardContext(training: true))
            let loss = try Tensor.crossEntropy(logits: z, labels: labels)
            for p in headParams { p.zeroGrad() }
            try loss.backward()
        }
        print(String(format: "text_head_backward_ms threads=%d %.3f", threads, bwd * 1000))

        // (c) one step of a 4-member LoRA-Ensemble. The frozen-prefix cache is
        // cleared every step, so lora tokenizes and embeds every step like the peers.
        let ens = try LoRAEnsembleNetwork(backbone: bert, options: LoRAOptions(members: 4, rank: 4))
        let params = ens.trainableParameters()
        let opt = AdamW(learningRate: 1e-4, weightDecay: 0)
        let step = try timed(max(2, steps / 2)) {
            ens.prefixCache.removeAll()
            try trainStep(ens, texts: texts, params: params, opt: opt)
        }
        print(String(format: "text_lora4_step_ms threads=%d %.3f", threads, step * 1000))
        if let peak = profilePeak {
            try StepProfile.run(steps: max(2, steps / 2), peak: peak, label: "MiniLM LoRA-Ensemble M = 4 step") {
                ens.prefixCache.removeAll()
                try trainStep(ens, texts: texts, params: params, opt: opt)
            }
        }
    }

    /// Writes the bench's token ids (16 rows of 128, one row a line) for the peers.
    static func writeIDs(model: String?, to path: String) throws {
        let bert = try load(modelDirectory(model))
        let ids = ids(bert, try texts(bert))
        let lines = (0..<sequences).map { i in ids[(i * tokens)..<((i + 1) * tokens)].map(String.init).joined(separator: " ") }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Peak resident memory (VmHWM, reset after the model is loaded) of
    /// training steps of `kind`: "lora16" (a 16-member LoRA-Ensemble, rank 4
    /// on q, k, v, o of every layer; `membersAtOnce` members per group, nil =
    /// the trainer's automatic choice) or "full" (every MiniLM parameter
    /// trained), on the bench's 16 x 128 batch, with an accounting of
    /// parameters, gradients and AdamW state, and the median step time.
    /// Run each kind in its own process.
    static func memory(model: String?, kind: String, membersAtOnce: Int?, steps: Int) throws {
        Tensor.keepFreedMemory()                        // as the trainer does
        let bert = try load(modelDirectory(model))
        let texts = try texts(bert)
        let net: MemberNetwork
        switch kind {
        case "lora16": net = try LoRAEnsembleNetwork(backbone: bert, options: LoRAOptions(members: 16, rank: 4))
        case "full": net = bert
        default: throw NNError.invalidConfiguration("textmem kind '\(kind)' is unknown; use lora16 or full")
        }
        let plan = try MemberGroupPlan.make(for: net, batch: sequences, requested: membersAtOnce)
        let params = net.trainableParameters()
        let all = net.parameters()
        let opt = AdamW(learningRate: 1e-4, weightDecay: 0)
        let before = residentKiB().current
        let reset = resetPeakResident()
        var times: [Double] = []
        for _ in 0..<max(2, steps) {                                  // AdamW's state is created in the first step
            let t0 = now()
            try trainStep(net, texts: texts, params: params, opt: opt, plan: plan)
            times.append(now() - t0)
        }
        let (_, peak) = residentKiB()
        let mib = { (bytes: Int) in Double(bytes) / 1048576 }
        let p = all.reduce(0) { $0 + $1.count } * 4, t = params.reduce(0) { $0 + $1.count } * 4
        print("textmem_\(kind) grouping \(plan.map { "\($0)" } ?? "one pass")")
        print("textmem_\(kind) members_at_once \(plan?.size ?? 1)")
        print("textmem_\(kind) peak_measure \(reset ? "VmHWM reset after loading" : "VmHWM since start (reset refused)")")
        print(String(format: "textmem_%@ parameters_mib %.1f", kind, mib(p)))
        print(String(format: "textmem_%@ trainable_mib %.1f", kind, mib(t)))
        print(String(format: "textmem_%@ gradients_and_adamw_mib %.1f", kind, mib(3 * t)))
        if let g = plan, g.automatic { print(String(format: "textmem_%@ estimate_per_member_mib %.1f", kind, g.bytesPerMember / 1048576)) }
        print(String(format: "textmem_%@ rss_before_step_mib %.1f", kind, Double(before) / 1024))
        print(String(format: "textmem_%@ peak_rss_mib %.1f", kind, Double(peak) / 1024))
        print(String(format: "textmem_%@ step_ms %.1f", kind, median(Array(times.dropFirst())) * 1000))
    }

    /// Resets VmHWM to the current RSS (Linux: "5" into /proc/self/clear_refs).
    static func resetPeakResident() -> Bool {
        guard let f = fopen("/proc/self/clear_refs", "w") else { return false }
        defer { fclose(f) }
        return fputs("5", f) >= 0
    }

    /// (VmRSS, VmHWM) of this process in KiB.
    static func residentKiB() -> (current: Int, peak: Int) {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int {
            for line in s.split(separator: "\n") where line.hasPrefix(name + ":") {
                return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
            }
            return 0
        }
        return (field("VmRSS"), field("VmHWM"))
    }
}
