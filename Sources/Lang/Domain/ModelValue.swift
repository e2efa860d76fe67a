import Data
import NN
import Render
import Uncertainty

/// A model or ensemble as the language sees it. A bare backbone from
/// `vit(...)` or `load_model` (a ViT or a BERT) is trained in place by `.fit`;
/// ensembles (`lora_ensemble(base)`, ...) hold their own copies of the backbone.
public final class ModelValue: DomainObject {
    public let model: EnsembleModel
    /// The backbone a bare model trains in place (nil for ensembles).
    public let backbone: Backbone?
    /// Seconds spent in `.fit` so far (for `compare`).
    public internal(set) var trainSeconds: Double = 0
    /// The class names of the data last trained on (kept in checkpoints).
    public internal(set) var classNames: [String] = []
    /// The kind's name ("ViT", "LoRA-Ensemble"): fit messages and titles show it.
    public var label: String
    /// The model's own name: `name:` when it was made, else the variable it
    /// was first bound to (`let ens = ...`); nil until then.
    public internal(set) var name: String?
    /// What `compare` shows: "ens (LoRA-Ensemble)", or the label alone.
    public var displayName: String {
        guard let n = name, n != label else { return label }
        return "\(n) (\(label))"
    }

    public func bound(to variable: String) {
        if name == nil { name = variable }
    }
    /// Fits stopped by Ctrl-C, in order, each with the count of epoch records
    /// the history had then (curves and the echo show them).
    public internal(set) var interruptions: [(stop: FitStop, epochRecords: Int)] = []

    public init(_ model: EnsembleModel, backbone: Backbone? = nil, label: String? = nil) {
        self.model = model
        self.backbone = backbone
        self.label = label ?? backbone?.architecture.family ?? model.kind.rawValue
    }

    /// A backbone (ViT, BERT) trained in place.
    public convenience init(backbone: Backbone) {
        self.init(SingleNetwork(training: backbone), backbone: backbone, label: backbone.architecture.family)
    }

    public var isEnsemble: Bool { backbone == nil && model.kind != .single }
    public var typeName: String { isEnsemble ? "Ensemble" : "Model" }

    public var summary: String {
        let s = model.summary()
        let members = model.memberCount > 1 || isEnsemble ? ", \(model.memberCount) members" : ""
        return "\(label)\(members): \(NumberFormatting.grouped(s.total)) parameters (\(NumberFormatting.grouped(s.trainable)) trainable, \(NumberFormatting.grouped(s.frozen)) frozen)"
    }

    /// Summary: kind, sizes, parameters total / trainable / frozen per part, memory.
    public func echo(_ context: Context) -> String { display(context).text }

    /// The parameters per part as a table (text and HTML), details under it.
    public func display(_ context: Context) -> RichDisplay {
        let s = model.summary()
        let kind = label == s.kind ? "" : "\(s.kind), "
        var t = TextTable(title: "\(label) (\(kind)\(s.members) member\(s.members == 1 ? "" : "s")) on \(s.architecture)",
                          columns: [TableColumn("part"), TableColumn("total"), TableColumn("trainable"), TableColumn("frozen")])
        for p in s.parts { t.append([.text(p.name), .integer(p.total), .integer(p.trainable), .integer(p.frozen)]) }
        if s.parts.count > 1 { t.append(["all", .integer(s.total), .integer(s.trainable), .integer(s.frozen)]) }
        var after = s.details
        if let n = s.trainablePerMember { after.append("trainable per member: \(NumberFormatting.grouped(n))") }
        after.append("memory: parameters \(formatBytes(s.parameterBytes)) + optimizer state \(formatBytes(s.optimizerStateBytes)) = \(formatBytes(s.trainingBytes))")
        if !model.history.isEmpty {
            let last = model.history.last!
            after.append("trained \(model.history.count) epoch\(model.history.count == 1 ? "" : "s") in \(formatDuration(trainSeconds)); last epoch loss \(Domain.fixed(Double(last.loss))) acc \(Domain.fixed(Double(last.accuracy), 3))")
        } else {
            after.append("not trained yet")
        }
        if let last = lastFitInterruption {
            after.append("last fit \(last);")
            after.append("  the model is as after that step")
        }
        return .table(t, after: after)
    }

    /// Where the most recent fit stopped, if Ctrl-C stopped it (nil once a later fit ran to the end).
    public var lastFitInterruption: FitStop? {
        guard let last = interruptions.last, last.epochRecords == model.history.count else { return nil }
        return last.stop
    }

    func formatBytes(_ b: Int) -> String {
        let d = Double(b)
        if b >= 1 << 20 { return NumberFormatting.fixed(d / Double(1 << 20), decimals: 2) + " MiB" }
        if b >= 1 << 10 { return NumberFormatting.fixed(d / 1024, decimals: 1) + " KiB" }
        return "\(b) B"
    }

    // MARK: help

    static let fieldList: [FieldHelp] = [
        FieldHelp("params", "parameters in total"),
        FieldHelp("trainable", "trainable parameters"),
        FieldHelp("frozen", "frozen parameters"),
        FieldHelp("bytes", "bytes of parameters plus optimizer state"),
        FieldHelp("summary", "parameters per part (the echo), as text"),
        FieldHelp("members", "number of members (MC samples, snapshots)"),
        FieldHelp("kind", "single network, LoRA-Ensemble, explicit ensemble, MC dropout, snapshot ensemble, BatchEnsemble"),
        FieldHelp("history", "training curves (a Figure; .loss and .accuracy hold the numbers, .val_loss, .val_accuracy and .val_ece those of fit(..., validation: data))"),
        FieldHelp("train_time", "seconds spent in fit so far"),
        FieldHelp("class_names", "the class names of the data it was last trained on (kept by save and load_model)"),
        FieldHelp("name", "the name compare shows: name: when made, else the variable it was first bound to"),
        FieldHelp("config", "the backbone's sizes (ViT or BERT), as text"),
        FieldHelp("layers", "encoder layers (depth)"),
        FieldHelp("heads", "attention heads per layer"),
        FieldHelp("temperature", "the temperature T its predictions divide the logits by: 1 unless calibrate(model, on: data) fitted one"),
    ]

    /// One row per method: its help (signature, defaults, docs and example, which
    /// drive argument checking, completion and `:help`) and its body.
    struct Method {
        let help: Help
        let run: (ModelValue, Arguments, Context) throws -> Value
    }

    /// Computed: `Help` holds default `Value`s, which are not Sendable.
    static var methodTable: [Method] { [
        Method(help:
            Help("fit", [.positional("data", "a Dataset to train on"),
                         .named("epochs", default: .int(1), "passes over the data"),
                         .named("lr", default: .double(1e-3), "peak learning rate (AdamW); the paper's 1e-4 suits fine-tuning a large pre-trained ViT, small models from scratch want 1e-3 or more"),
                         .named("batch", default: .int(32), "mini-batch size"),
                         .named("seed", "shuffling seed (default: the global seed)"),
                         .named("warmup", "linear warm-up steps (default: min(500, a tenth of the steps))"),
                         .named("weight_decay", default: .double(0), "AdamW weight decay"),
                         .named("clip", default: .double(1.0), "global gradient-norm clip (0 = off)"),
                         .named("augment", default: .bool(false), "random shifts (up to an eighth of the side) and rotations (up to 10 degrees) of the training images; no flips"),
                         .named("validation", "labelled held-out data: after every epoch its loss (NLL), accuracy and ECE are recorded in .history and drawn by curves (explicit ensembles: each member on its own; snapshot ensembles: the current network)"),
                         .named("members_at_once", "LoRA-Ensembles: how many members each step runs forward and backward together (the rest wait; gradients accumulate, one optimizer step, the same result); fewer need less memory, all at once is fastest. Default: as many as fit in half the available memory ($LORA_MEMORY_LIMIT caps it); the summary after fit shows the grouping"),
                         .named("parallel", default: .string("automatic"), "under mpirun -np N: \"members\" (each rank trains M/N members of a LoRA-Ensemble or explicit ensemble, no gradient exchange, results equal one process bit for bit), \"data\" (each rank a share of every batch, gradients summed in one buffer per step; equal to one process within float rounding), \"automatic\" (members when the members train independently and M >= N, else data); no effect in one process")],
                 summary: "Trains the model: warm-up then cosine decay, members' mean cross-entropy. Ctrl-C stops after the current step and keeps the model.",
                 example: "ens.fit(train, epochs: 5, lr: 1e-3, batch: 32, seed: 1)\nens.fit(train, epochs: 5, validation: val)\nens.history.val_ece\nens.fit(train, members_at_once: 4)     # 16 members in 4 groups: less memory", returns: "nil"),
        run: { m, args, context in try Training.fit(m, args, context) }),
        Method(help:
            Help("evaluate", [.positional("data", "a labelled Dataset"),
                              .named("bins", default: .int(Calibration.defaultBinCount), "equal-width ECE bins (the paper's code uses 10)")],
                 summary: "Accuracy, NLL, ECE, Brier, uncertainty and member diversity of the mean prediction.",
                 example: "let r = ens.evaluate(test)\nr.ece", returns: "a Report"),
        run: { m, args, context in
                let data = try args.object("data", as: DatasetValue.self, typeName: "Dataset").dataset
                let bins = try Domain.binCount(args)
                return .object(try m.evaluate(data, bins: bins, context: context))
        }),
        Method(help:
            Help("predict", [.positional("x", "a Sample (data[i]) or a Dataset")],
                 summary: "Predicted class: for a Sample a Prediction (class, confidence, votes), for a Dataset a list of classes.",
                 example: "ens.predict(test[0])", returns: "a Prediction or a list"),
        run: { m, args, context in
                let x = try args.value("x")
                if case .object(let o) = x, let s = o as? SampleValue {
                    let p = try m.probabilities(s.single, context: context)
                    return .object(PredictionValue(probabilities: p, classNames: s.dataset.classNames, label: s.label))
                }
                let data = try args.object("x", as: DatasetValue.self, typeName: "Sample or Dataset").dataset
                let p = try m.probabilities(data, context: context)
                return .list(p.ensembleMean().predictedClasses().map { .int($0) })
        }),
        Method(help:
            Help("uncertainty", [.positional("data", "a Dataset or a Sample"),
                                 .named("sort", default: .string("total"), "order: total, epistemic, aleatoric, confidence or sample")],
                 summary: "Per-sample prediction, confidence, total = aleatoric + epistemic uncertainty and member votes, most uncertain first.",
                 example: "ens.uncertainty(test[0..<20])", returns: "an UncertaintyTable"),
        run: { m, args, context in
                let x = try args.value("data")
                let data: Dataset
                if case .object(let o) = x, let s = o as? SampleValue { data = s.single } else {
                    data = try args.object("data", as: DatasetValue.self, typeName: "Dataset or Sample").dataset
                }
                let key = try args.string("sort")
                guard UncertaintyTableValue.sortKeys.contains(key) else {
                    throw args.error("sort", "cannot sort by \(Value.quote(key))",
                                     remedy: Suggest.didYouMean(key, in: UncertaintyTableValue.sortKeys) ?? "sort by one of: " + UncertaintyTableValue.sortKeys.joined(separator: ", "))
                }
                let reports = try m.probabilities(data, context: context).sampleReports(labels: data.labels)
                var ids: [Int]? = nil
                if case .object(let o) = x, let s = o as? SampleValue { ids = [s.index] }
                return .object(UncertaintyTableValue(rows: UncertaintyTableValue.sorted(reports, by: key), classNames: data.classNames,
                                                     sortedBy: key == "entropy" ? "total" : key, title: "\(m.label) on \(data.name)", ids: ids))
        }),
        Method(help:
            Help("attention", [.positional("x", "a Sample (data[i])"),
                               .named("member", "member index (default: all members side by side)"),
                               .named("layer", "encoder layer, 0-based, negative from the end (default: the last)"),
                               .named("head", "attention head (default: the mean over heads)"),
                               .named("rollout", default: .bool(false), "attention rollout across layers (Abnar & Zuidema 2020) instead of one layer")],
                 summary: "Class-token attention over the image patches, drawn over the image; .spread shows where members disagree.",
                 example: "ens.attention(test[3], member: 2)\nens.attention(test[3]).spread", returns: "an Attention"),
        run: { m, args, context in .object(try AttentionValue.make(m, args, context: context)) }),
        Method(help:
            Help("save", [.positional("path", "file name, e.g. \"ens.safetensors\"")],
                 summary: "Writes the model (kind, sizes, options, training history, class names, every parameter) as a safetensors file, atomically (an existing file keeps its permissions; a device, FIFO or directory is refused); load_model reads it.",
                 example: "ens.save(\"ens.safetensors\")", returns: "the path written"),
        run: { m, args, context in
                let path = try Domain.path(args, "path")
                try ModelFiles.save(m, to: path)
                return .string(path)
        }),
        Method(help:
            Help("save_adapters", [.positional("path", "file name, e.g. \"ens.adapters.safetensors\""),
                                   .named("backbone", "the backbone's file (default: PATH's name with .backbone.safetensors); written when missing, else it must hold this backbone")],
                 summary: "LoRA-Ensembles: writes the adapters and heads only (PEFT-style names), naming the backbone file and its SHA-256; load_model(path) finds the backbone beside it (or backbone:) and refuses one whose hash differs.",
                 example: "ens.save_adapters(\"ens.adapters.safetensors\", backbone: \"base.safetensors\")", returns: "the path written"),
        run: { m, args, context in
                let path = try Domain.path(args, "path")
                try ModelFiles.saveAdapters(m, to: path, backbone: args.has("backbone") ? try Domain.path(args, "backbone") : nil)
                return .string(path)
        }),
    ] }

    static var methodList: [Help] { methodTable.map(\.help) }

    public var fields: [FieldHelp] { ModelValue.fieldList }
    public var methods: [Help] { ModelValue.methodList }

    static func typeHelp(ensemble: Bool) -> TypeHelp {
        ensemble
            // The methods are listed once, under Model, so `:help fit` shows one entry.
            ? TypeHelp(name: "Ensemble", summary: "An ensemble on a backbone: lora_ensemble, explicit_ensemble, mc_dropout, batch_ensemble, snapshot_ensemble. Echo shows parameters total / trainable / frozen. Methods as a Model (see :help Model): fit, evaluate, predict, uncertainty, attention, save.",
                       fields: fieldList, methods: [])
            : TypeHelp(name: "Model", summary: "A backbone, a Vision Transformer (vit(...)) or a pre-trained BERT (load_model(\"minilm\")), or single(base); .fit trains it in place.",
                       fields: fieldList, methods: methodList)
    }

    public func field(_ name: String) throws -> Value? {
        switch name {
        case "params": return .int(model.summary().total)
        case "trainable": return .int(model.summary().trainable)
        case "frozen": return .int(model.summary().frozen)
        case "bytes": return .int(model.summary().trainingBytes)
        case "summary": return .string(model.summary().description)
        case "members": return .int(model.memberCount)
        case "kind": return .string(backbone?.architecture.family ?? model.kind.rawValue)
        case "history": return .object(InspectionBuiltins.curves(self))
        case "train_time": return .double(trainSeconds)
        case "class_names": return .list(classNames.map { .string($0) })
        case "name": if let n = self.name { return .string(n) } else { return .null }
        case "config": return .string(model.architecture.description)
        case "layers": return .int(model.architecture.depth)
        case "heads": return .int(model.architecture.heads)
        case "temperature": return .double(Double((model as? CalibratedModel)?.temperature ?? 1))
        default: return nil
        }
    }

    public func call(_ name: String, _ args: Arguments, _ context: Context) throws -> Value {
        guard let method = ModelValue.methodTable.first(where: { $0.help.name == name }) else {
            throw LangError(.name, "\(typeName) has no method '\(name)'")
        }
        return try method.run(self, args, context)
    }

    /// Member-images predicted between two looks at Ctrl-C: a chunk of the
    /// data holds this many images divided by the members (MC passes).
    static let memberImagesPerChunk = 16_384

    /// Per-member probabilities on `data`, predicted chunk by chunk: Ctrl-C
    /// stops between chunks with an "interrupted" error (variables keep their
    /// values), and a terminal shows progress when it takes more than a moment.
    public func probabilities(_ data: Dataset, context: Context? = nil, what: String = "predicting") throws -> MemberProbabilities {
        try WatchedEvaluation.run(self, context, what: what, memberSamples: model.memberCount * data.count) {
            try chunkedProbabilities(data, context: context)
        }
    }

    /// Ctrl-C is looked at after every forward batch (see WatchedEvaluation),
    /// and between chunks of the data.
    private func chunkedProbabilities(_ data: Dataset, context: Context?) throws -> MemberProbabilities {
        let n = data.count
        let chunk = max(1, ModelValue.memberImagesPerChunk / max(1, model.memberCount))
        guard n > chunk else {
            try context?.checkCancelled()
            let p = try model.predict(data, batchSize: 256)
            return try p.memberProbabilities()
        }
        var parts: [MemberPredictions] = []
        for start in stride(from: 0, to: n, by: chunk) {
            try context?.checkCancelled()
            parts.append(try model.predict(try data.slice(start..<min(n, start + chunk)), batchSize: 256))
        }
        // Chunks are [members, chunk, classes]; the whole is [members, n, classes].
        let members = parts[0].members, classes = parts[0].classes
        var values = [Float](repeating: 0, count: members * n * classes)
        var offset = 0
        for part in parts {
            for m in 0..<members {
                let from = m * part.samples * classes
                let to = (m * n + offset) * classes
                for j in 0..<(part.samples * classes) { values[to + j] = part.values[from + j] }
            }
            offset += part.samples
        }
        return try MemberProbabilities(members: members, samples: n, classes: classes, values: values)
    }

    public func evaluate(_ data: Dataset, bins: Int = Calibration.defaultBinCount, context: Context? = nil) throws -> ReportValue {
        try ReportValue(model: label, data: data.name, probabilities: probabilities(data, context: context, what: "evaluating"),
                        labels: data.labels, bins: bins)
    }
}

/// The prediction for one sample: `model.predict(test[0])`.
public final class PredictionValue: DomainObject {
    public let probabilities: MemberProbabilities
    public let classNames: [String]
    public let label: Int?

    init(probabilities: MemberProbabilities, classNames: [String], label: Int?) {
        self.probabilities = probabilities
        self.classNames = classNames
        self.label = label
    }

    var mean: [Double] { (0..<probabilities.classes).map { probabilities.ensembleMean().probability(sample: 0, class: $0) } }
    var predicted: Int { probabilities.ensembleMean().predictedClasses()[0] }
    var votes: [Int] {
        var v = [Int](repeating: 0, count: probabilities.classes)
        for m in probabilities.memberVotes() { v[m[0]] += 1 }
        return v
    }
    func name(_ c: Int) -> String { c < classNames.count ? classNames[c] : String(c) }

    public var typeName: String { "Prediction" }
    public var summary: String {
        "class \(predicted) (\(name(predicted))) with probability \(Domain.fixed(mean[predicted], 3))" + (label.map { $0 == predicted ? ", correct" : ", label \($0) (\(name($0)))" } ?? "")
    }

    public func echo(_ context: Context) -> String {
        let p = mean
        let order = p.indices.sorted { p[$0] > p[$1] }.prefix(5)
        let v = votes
        let block = TerminalChart.bars(labels: order.map { "\(name($0))" + (v[$0] > 0 && probabilities.members > 1 ? " (\(v[$0]) vote\(v[$0] == 1 ? "" : "s"))" : "") },
                                       values: order.map { p[$0] }, width: 30, maximum: 1, mode: Domain.colorMode(context),
                                       color: RGB(hex: 0x3b6fb6))
        return summary + "\n" + block.text
    }

    static let fieldList: [FieldHelp] = [
        FieldHelp("class", "the predicted class index"),
        FieldHelp("class_name", "the predicted class name"),
        FieldHelp("confidence", "the mean probability of the predicted class"),
        FieldHelp("probabilities", "the members' mean probabilities, per class"),
        FieldHelp("votes", "members voting for each class"),
        FieldHelp("label", "the sample's label"),
    ]
    public var fields: [FieldHelp] { PredictionValue.fieldList }
    static var typeHelp: TypeHelp {
        TypeHelp(name: "Prediction", summary: "A model's prediction for one sample, from model.predict(data[i]).", fields: fieldList)
    }

    public func field(_ name: String) throws -> Value? {
        switch name {
        case "class": return .int(predicted)
        case "class_name": return .string(self.name(predicted))
        case "confidence": return .double(mean[predicted])
        case "probabilities": return .list(mean.map { .double($0) })
        case "votes": return .list(votes.map { .int($0) })
        case "label": return label.map { .int($0) } ?? .null
        default: return nil
        }
    }
}
