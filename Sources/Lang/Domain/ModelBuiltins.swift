import Foundation
import Render
import Machine
import NN

/// `vit`, `load_model`, and the ensembles built on a backbone.
enum ModelBuiltins {
    /// Largest model `vit` builds (parameters), so absurd sizes fail up front.
    static let maxParameters = 500_000_000
    /// Most tokens per image (attention is tokens x tokens per head and image).
    static let maxTokens = 1025

    static func install(_ t: BuiltinTable) {
        t.register(Help("vit", [.named("image", default: .int(8), "image side in pixels (square images)"),
                                .named("patch", default: .int(2), "patch side; must divide image"),
                                .named("dim", default: .int(64), "token width"),
                                .named("depth", default: .int(4), "encoder layers"),
                                .named("heads", default: .int(4), "attention heads; must divide dim"),
                                .named("mlp", "MLP hidden width (default 4 x dim)"),
                                .named("classes", default: .int(10), "number of classes"),
                                .named("channels", default: .int(1), "image channels"),
                                .named("seed", "initialisation seed (default: the global seed)"),
                                .named("name", "the name compare and reports show (default: the variable it is first bound to)")],
                        summary: "A Vision Transformer (pre-LN, class token, separate q, k, v, o projections with bias), freshly initialised; .fit trains it in place.",
                        example: "let base = vit(image: 8, patch: 2, dim: 64, depth: 4, heads: 4, classes: 10)\nbase.fit(train, epochs: 3, lr: 1e-3)",
                        returns: "a Model")) { args, ctx in
            let image = try Domain.positive(args, "image", max: 4096)
            let patch = try Domain.positive(args, "patch", max: 4096)
            let dim = try Domain.positive(args, "dim", max: 65536)
            let depth = try Domain.positive(args, "depth", max: 1024)
            let heads = try Domain.positive(args, "heads", max: 1024)
            let classes = try Domain.positive(args, "classes", max: 1_000_000)
            let channels = try Domain.positive(args, "channels", max: 64)
            let mlp = try Domain.optionalPositive(args, "mlp", max: 1 << 20) ?? 4 * dim
            guard image % patch == 0 else {
                throw args.error("patch", "patch \(patch) does not divide the image side \(image)",
                                 remedy: "choose a patch among " + (1...image).filter { image % $0 == 0 }.map(String.init).joined(separator: ", "))
            }
            guard dim % heads == 0 else {
                throw args.error("heads", "\(heads) heads do not divide dim \(dim)", remedy: "choose dim a multiple of heads, e.g. dim: \(heads * max(1, dim / heads))")
            }
            guard classes >= 2 else { throw args.error("classes", "a classifier needs at least 2 classes, got \(classes)") }
            let tokens = (image / patch) * (image / patch) + 1
            guard tokens <= maxTokens else {
                throw LangError(.limit, "image \(image) with patch \(patch) makes \(tokens - 1) patches; attention over more than \(maxTokens - 1) patches needs too much memory",
                                at: args.location(of: "patch"), remedy: "use a larger patch, e.g. patch: \(max(patch, image / 32))")
            }
            let perLayer = 4 * (dim * dim + dim) + 2 * dim * mlp + mlp + dim + 4 * dim
            let estimate = Double(depth) * Double(perLayer) + Double(tokens * dim) + Double(channels * patch * patch * dim) + Double(dim * classes)
            guard estimate <= Double(maxParameters) else {
                throw LangError(.limit, "a ViT of these sizes would have about \(Int(estimate / 1e6)) million parameters, more than the \(maxParameters / 1_000_000) million lora builds",
                                at: args.location, remedy: "use a smaller dim, depth or mlp")
            }
            let config = ViTConfig(image: image, channels: channels, patch: patch, dim: dim, depth: depth, heads: heads, mlp: mlp, classes: classes)
            return try named(args, ModelValue(backbone: try ViT(config, seed: try Domain.seed(args, ctx))))
        }
        t.register(Help("load_model", [.positional("path", "a .safetensors file written by model.save, a BERT model folder, or an installed model's short name (\"minilm\")"),
                                       .named("classes", default: .int(2), "classes of a pre-trained model's fresh head (a saved checkpoint keeps its own)"),
                                       .named("max_tokens", default: .int(128), "longest text in word pieces, [CLS] and [SEP] included (pre-trained text models; at most the model's 512)"),
                                       .named("seed", "seed of a pre-trained model's fresh head (default: the global seed)"),
                                       .named("backbone", "for a file written by save_adapters: its backbone file (default: the one it names, beside it)")],
                        summary: "Loads a saved model or ensemble (its kind, sizes and parameters), or a pre-trained BERT-family encoder (config.json, model.safetensors, vocab.txt) with a fresh classification head. Short names are looked up in $LORA_MODELS (default ~/.cache/lora/models); scripts/get-model minilm installs all-MiniLM-L6-v2.",
                        example: "let ens = load_model(\"ens.safetensors\")\nlet bert = load_model(\"minilm\", classes: 2)", returns: "a Model or an Ensemble")) { args, ctx in
            let classes = try Domain.positive(args, "classes", max: 1_000_000)
            guard classes >= 2 else { throw args.error("classes", "a classifier needs at least 2 classes, got \(classes)") }
            let maxTokens = try Domain.positive(args, "max_tokens", max: 512)
            guard maxTokens >= 2 else { throw args.error("max_tokens", "max_tokens must leave room for [CLS] and [SEP], got \(maxTokens)", remedy: "use 2 to 512 (128 is usual)") }
            let backbone = args.has("backbone") ? try Domain.path(args, "backbone") : nil
            return .object(try ModelFiles.load(Domain.path(args, "path"), classes: classes, maxTokens: maxTokens,
                                               seed: try Domain.seed(args, ctx), backbone: backbone))
        }
        t.register(Help("lora_ensemble", [.positional("base", "a trained backbone (a Model from vit or load_model)"),
                                          .named("members", default: .int(16), "ensemble members M (the paper: 16)"),
                                          .named("rank", default: .int(4), "rank r of every adapter (the paper: 4 to 16)"),
                                          .named("targets", default: .list(["q", "k", "v", "o"].map { .string($0) }), "attention projections that get adapters"),
                                          .named("init", default: .string("xavier"), "init of A: xavier (uniform, with gain), gaussian (std 0.02) or kaiming"),
                                          .named("gain", default: .double(10), "Xavier gain (the paper's ViT-B/32 configs: 10; the init bound grows as gain / sqrt(width), so small widths such as dim 32 want 1 to 2)"),
                                          .named("alpha", "PEFT-style alpha: scales B A by alpha / rank (default: scale 1, as the paper)"),
                                          .named("copy_head", default: .bool(false), "start every member's head as a copy of the backbone's (default: fresh heads, as the paper)"),
                                          .named("layers", "encoder layers that get adapters, a range such as 4..<6 (default: every layer, as the paper); the layers below are shared by all members, run once, and on text their output is cached across epochs"),
                                          .named("seed", "seed of A and the heads (default: the global seed)"),
                                          .named("name", "the name compare and reports show (default: the variable it is first bound to)")],
                        summary: "M members sharing one frozen copy of the backbone, each with its own low-rank update W0 + B_i A_i of the attention projections (B = 0 at first) and its own head.",
                        example: "let ens = lora_ensemble(base, members: 8, rank: 4)\nens.fit(train, epochs: 5, lr: 1e-3)",
                        returns: "an Ensemble")) { args, ctx in
            let base = try backbone(args)
            let members = try Domain.positive(args, "members", max: 4096)
            let rank = try Domain.positive(args, "rank", max: 65536)
            let width = base.architecture.width
            do { try LoRAOptions.checkRank(rank, width: width) } catch NNError.invalidConfiguration(let m) { throw args.error("rank", m) }
            let targets = try projections(args)
            let initName = try args.string("init")
            var initA: LoRAInit
            do { initA = try LoRAInit.named(initName) } catch NNError.invalidConfiguration(let m) {
                throw args.error("init", m, remedy: Suggest.didYouMean(initName, in: LoRAInit.names) ?? "use " + LoRAInit.names.joined(separator: ", "))
            }
            if case .xavierUniform = initA {
                let gain = try args.double("gain")
                guard gain > 0, gain.isFinite else { throw args.error("gain", "gain must be positive, got \(Value.format(gain))") }
                initA = try LoRAInit.named(initName, gain: Float(gain))
            }
            var alpha: Float? = nil
            if let a = try args.optionalDouble("alpha") {
                guard a > 0, a.isFinite else { throw args.error("alpha", "alpha must be positive, got \(Value.format(a))") }
                alpha = Float(a)
            }
            var layers: Range<Int>? = nil
            if let v = args.optional("layers") {
                let depth = base.architecture.depth
                guard case .range(let lo, let hi) = v else {
                    throw args.error("layers", "layers must be a range such as \(max(0, depth - 2))..<\(depth), but got \(v.typeWithArticle)")
                }
                guard lo >= 0, lo < hi, hi <= depth else {
                    throw args.error("layers", "layers \(lo)..<\(hi) is not a non-empty range within the model's \(depth) layers",
                                     remedy: "choose a range within 0..<\(depth), e.g. \(max(0, depth - 2))..<\(depth)")
                }
                layers = lo..<hi
            }
            let options = LoRAOptions(members: members, rank: rank, targets: targets, initA: initA, alpha: alpha,
                                      copyHead: try args.bool("copy_head"), seed: try Domain.seed(args, ctx), layers: layers)
            // A frozen copy of the backbone, then per member: B and A (rank x dim each) per target and adapted layer, and a head.
            let arch = base.architecture
            let adapted = layers?.count ?? arch.depth
            let perMember = Double(adapted * targets.count) * Double(rank) * Double(2 * arch.width) + Double(arch.width * arch.classes + arch.classes)
            try requireMemory(parameters: Double(base.parameterCount) + Double(members) * perMember, trainable: Double(members) * perMember,
                              for: "a LoRA-Ensemble of \(members) members with rank \(rank)", args,
                              remedy: "use fewer members or a lower rank (the paper: 16 members, rank 4 to 16)")
            return try named(args, ModelValue(try LoRAEnsemble(backbone: base, options: options)))
        }
        t.register(Help("explicit_ensemble", [.positional("base", "a trained backbone"),
                                              .named("members", default: .int(4), "full copies, each fully fine-tuned"),
                                              .named("seed", "seed of the heads (default: the global seed)"),
                                .named("name", "the name compare and reports show (default: the variable it is first bound to)")],
                        summary: "A deep ensemble: M full copies of the backbone, each with a fresh head, trained one after another.",
                        example: "let deep = explicit_ensemble(base, members: 4)", returns: "an Ensemble")) { args, ctx in
            let base = try backbone(args)
            let members = try Domain.positive(args, "members", max: 1024)
            try requireMemory(parameters: Double(members) * Double(base.parameterCount), trainable: Double(base.parameterCount),
                              for: "an explicit ensemble of \(members) full copies", args, remedy: "use fewer members")
            return try named(args, ModelValue(try ExplicitEnsemble(backbone: base, members: members, seed: try Domain.seed(args, ctx))))
        }
        t.register(Help("mc_dropout", [.positional("base", "a trained backbone"),
                                       .named("samples", default: .int(16), "stochastic passes at test time"),
                                       .named("p", default: .double(0.2), "DropKey probability on the attention logits (the reference: 0.2)"),
                                       .named("seed", "seed of the dropout masks and the head (default: the global seed)"),
                                .named("name", "the name compare and reports show (default: the variable it is first bound to)")],
                        summary: "MC dropout: one fine-tuned copy with DropKey kept on at test time; the passes are the members.",
                        example: "let mc = mc_dropout(base, samples: 16, p: 0.2)", returns: "an Ensemble")) { args, ctx in
            let base = try backbone(args)
            let p = try args.double("p")
            guard p >= 0, p < 1 else { throw args.error("p", "p must be in [0, 1), got \(Value.format(p))") }
            return try named(args, ModelValue(try MCDropout(backbone: base, p: Float(p), samples: try Domain.positive(args, "samples", max: 4096),
                                                    seed: try Domain.seed(args, ctx))))
        }
        t.register(Help("batch_ensemble", [.positional("base", "a trained backbone"),
                                           .named("members", default: .int(4), "members"),
                                           .named("targets", default: .list(["q", "k", "v", "o"].map { .string($0) }), "attention projections with rank-1 factors"),
                                           .named("seed", "seed of the factors and heads (default: the global seed)"),
                                .named("name", "the name compare and reports show (default: the variable it is first bound to)")],
                        summary: "BatchEnsemble (Wen et al. 2020): W_i = W o (r_i s_i^T), rank-1 multiplicative factors per member, per-member heads.",
                        example: "let be = batch_ensemble(base, members: 4)", returns: "an Ensemble")) { args, ctx in
            let base = try backbone(args)
            let o = BatchEnsembleOptions(members: try Domain.positive(args, "members", max: 4096), targets: try projections(args),
                                         seed: try Domain.seed(args, ctx))
            return try named(args, ModelValue(try BatchEnsemble(backbone: base, options: o)))
        }
        t.register(Help("snapshot_ensemble", [.positional("base", "a trained backbone"),
                                              .named("cycles", default: .int(4), "cosine cycles; one snapshot (member) per cycle"),
                                              .named("seed", "seed of the head (default: the global seed)"),
                                .named("name", "the name compare and reports show (default: the variable it is first bound to)")],
                        summary: "Snapshot ensemble: one copy fine-tuned with a cyclic cosine learning rate; the end of each cycle is a member.",
                        example: "let snap = snapshot_ensemble(base, cycles: 4)", returns: "an Ensemble")) { args, ctx in
            let base = try backbone(args)
            return try named(args, ModelValue(try SnapshotEnsemble(backbone: base, cycles: try Domain.positive(args, "cycles", max: 1024),
                                                           seed: try Domain.seed(args, ctx))))
        }
        t.register(Help("single", [.positional("base", "a trained backbone"),
                                   .named("fresh_head", default: .bool(true), "start from a fresh head (the paper's single-network baseline)"),
                                   .named("seed", "seed of the fresh head (default: the global seed)"),
                                .named("name", "the name compare and reports show (default: the variable it is first bound to)")],
                        summary: "The single-network baseline: a copy of the backbone, every parameter fine-tuned.",
                        example: "let one = single(base)\none.fit(train, epochs: 3)", returns: "a Model")) { args, ctx in
            let base = try backbone(args)
            return try named(args, ModelValue(try SingleNetwork(backbone: base, freshHead: try args.bool("fresh_head"), seed: try Domain.seed(args, ctx)),
                                      label: "single network"))
        }
    }

    /// The model as a value, named by the call's `name:` when given.
    static func named(_ args: Arguments, _ model: ModelValue) throws -> Value {
        if let n = try args.optionalString("name") {
            guard !n.trimmingCharacters(in: .whitespaces).isEmpty else { throw args.error("name", "the name must not be empty") }
            model.name = n
        }
        return .object(model)
    }

    /// Refuses, before anything is allocated, a model whose parameters plus the
    /// training state of its trainable ones (gradient and two AdamW moments)
    /// need more memory than is available.
    static func requireMemory(parameters: Double, trainable: Double, for what: String, _ args: Arguments, remedy: String) throws {
        let bytes = (parameters + 3 * trainable) * Double(MemoryLayout<Float>.size)
        do {
            try AvailableMemory.check(bytes, for: what + " (\(formatCount(parameters)) parameters, to train)", remedy: remedy)
        } catch let e as MemoryShortage {
            throw LangError(.limit, "\(e.what) would need about \(AvailableMemory.format(e.needed)) of memory, but only \(AvailableMemory.format(Double(e.available))) is available",
                            at: args.location, remedy: e.remedy)
        }
    }

    /// 34.4 billion, 13.2 million, 5,280.
    static func formatCount(_ n: Double) -> String {
        if n >= 1e9 { return String(format: "%.1f billion", n / 1e9) }
        if n >= 1e6 { return String(format: "%.1f million", n / 1e6) }
        return NumberFormatting.grouped(Int(n))
    }

    /// The backbone inside argument `base` (a bare backbone or a single network).
    static func backbone(_ args: Arguments) throws -> Backbone {
        let v = try args.value("base")
        guard case .object(let o) = v, let m = o as? ModelValue else {
            throw args.error("base", "\(args.callee) needs a backbone Model (from vit(...) or load_model), but got \(v.typeWithArticle)")
        }
        if let b = m.backbone { return b }
        if let s = m.model as? SingleNetwork { return s.network }
        throw args.error("base", "\(args.callee) needs a backbone, but got \(m.typeWithArticleName)",
                         remedy: "build ensembles on the backbone itself, e.g. lora_ensemble(base), not on another ensemble")
    }

    /// The `targets:` argument as projections.
    static func projections(_ args: Arguments) throws -> Set<Projection> {
        var out = Set<Projection>()
        for v in try args.list("targets") {
            guard case .string(let s) = v, let p = Projection(rawValue: s.lowercased()) else {
                throw args.error("targets", "targets must name attention projections \"q\", \"k\", \"v\", \"o\", but got \(v.repr(limit: 4))")
            }
            out.insert(p)
        }
        guard !out.isEmpty else { throw args.error("targets", "targets is empty", remedy: "name at least one of \"q\", \"k\", \"v\", \"o\"") }
        return out
    }
}

extension ModelValue {
    var typeWithArticleName: String { (typeName == "Ensemble" ? "an " : "a ") + "\(typeName) (\(label))" }
}
