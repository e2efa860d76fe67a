import Foundation
import Data
import NN
import Render
import Uncertainty

/// `reliability`, `ood`, `selective`, `compare`, `curves`.
enum InspectionBuiltins {
    static func install(_ t: BuiltinTable) {
        t.register(Help("reliability", [.positional("model", "a Model or Ensemble"),
                                        .positional("data", "a labelled Dataset"),
                                        .named("bins", default: .int(Calibration.defaultBinCount), "equal-width confidence bins")],
                        summary: "The reliability diagram: accuracy against confidence per bin, with the ECE.",
                        example: "reliability(ens, test).save(\"reliability.svg\")", returns: "a Figure")) { args, ctx in
            let m = try model(args, "model")
            let data = try args.object("data", as: DatasetValue.self, typeName: "Dataset").dataset
            let bins = try Domain.binCount(args)
            let r = try m.evaluate(data, bins: bins, context: ctx)
            return .object(FigureValue.reliability(r.calibration, title: "\(m.label) on \(data.name)"))
        }
        t.register(Help("ood", [.positional("model", "a Model or Ensemble"),
                                .named("in", "in-distribution data (like the training data)", .required),
                                .named("out", "out-of-distribution data", .required),
                                .named("score", default: .string("entropy"), "entropy (total), mutual_info (epistemic) or max_prob"),
                                .named("bins", default: .int(30), "histogram bins")],
                        summary: "Histograms of an uncertainty score on in- and out-of-distribution data, with AUROC and AUPR (OOD = positive).",
                        example: "ood(ens, in: test, out: dataset(\"fashion-mnist-test\").resize(to: 8)[0..<500])",
                        returns: "a Figure (fields auroc, aupr of the score; auroc_entropy, auroc_mutual_info, auroc_max_prob of every score)")) { args, ctx in
            let m = try model(args, "model")
            let a = try args.object("in", as: DatasetValue.self, typeName: "Dataset").dataset
            let b = try args.object("out", as: DatasetValue.self, typeName: "Dataset").dataset
            let name = try args.string("score")
            guard let score = scores[name] else {
                throw args.error("score", "unknown score \(Value.quote(name))",
                                 remedy: Suggest.didYouMean(name, in: Array(scores.keys)) ?? "use entropy, mutual_info or max_prob")
            }
            let bins = try Domain.binCount(args)
            guard a.isText == b.isText else {
                let kind = { (d: Dataset) in d.isText ? "texts" : "images" }
                throw args.error("out", "out-of-distribution data '\(b.name)' holds \(kind(b)) but in-distribution data '\(a.name)' holds \(kind(a))",
                                 remedy: "give both data sets of the kind the model reads")
            }
            guard b.channels == a.channels, b.height == a.height, b.width == a.width else {
                throw args.error("out", "out-of-distribution images are \(b.channels)x\(b.height)x\(b.width) but in-distribution ones are \(a.channels)x\(a.height)x\(a.width)",
                                 remedy: "resize them first, e.g. other.resize(to: \(a.height))")
            }
            let pIn = try m.probabilities(a, context: ctx), pOut = try m.probabilities(b, context: ctx)
            let d = try OODDetection(inDistribution: pIn, outOfDistribution: pOut, score: score)
            // The AUROC of every score from the same predictions (no second pass over the data).
            let all = try [("auroc_entropy", UncertaintyScore.entropy), ("auroc_mutual_info", .mutualInformation), ("auroc_max_prob", .maxProbability)]
                .map { ($0.0, Value.double(try OODDetection(inDistribution: pIn, outOfDistribution: pOut, score: $0.1).auroc)) }
            let label = ["entropy": "predictive entropy H[p̄] (nats)", "mutual_info": "mutual information (nats)", "max_prob": "max probability"]
            let key = score == .entropy ? "entropy" : score == .mutualInformation ? "mutual_info" : "max_prob"
            let h = try ScoreHistogram(inDistribution: d.inScores, outOfDistribution: d.outScores, scoreName: label[key]!,
                                       auroc: d.auroc, binCount: bins, title: "\(m.label): \(a.name) vs \(b.name)")
            return .object(FigureValue(.ood(h, aupr: d.aupr), numbers: [("auroc", .double(d.auroc)), ("aupr", .double(d.aupr))] + all))
        }
        t.register(Help("selective", [.positional("models", "a Model or Ensemble, or a list of them"),
                                      .positional("data", "a labelled Dataset"),
                                      .named("score", default: .string("entropy"), "what counts as uncertain: entropy (total), mutual_info (epistemic) or max_prob")],
                        summary: "Selective prediction: accuracy on the most certain inputs as the most uncertain ones are rejected, with the area under the curve.",
                        example: "selective([base, ens], test).save(\"selective.svg\")", returns: "a Figure (field area: one per model)")) { args, ctx in
            let v = try args.value("models")
            var models: [ModelValue] = []
            if case .list(let items) = v {
                for item in items {
                    guard case .object(let o) = item, let m = o as? ModelValue else {
                        throw args.error("models", "selective needs Models and Ensembles, but the list holds \(item.typeWithArticle)")
                    }
                    models.append(m)
                }
            } else {
                models = [try model(args, "models")]
            }
            guard !models.isEmpty else { throw args.error("models", "selective needs at least one model") }
            let data = try args.object("data", as: DatasetValue.self, typeName: "Dataset").dataset
            let name = try args.string("score")
            guard let score = scores[name] else {
                throw args.error("score", "unknown score \(Value.quote(name))",
                                 remedy: Suggest.didYouMean(name, in: Array(scores.keys)) ?? "use entropy, mutual_info or max_prob")
            }
            var series: [LineSeries] = [], areas: [Value] = []
            for m in models {
                let curve = try SelectivePrediction(probabilities: m.probabilities(data, context: ctx), labels: data.labels, score: score)
                series.append(LineSeries(name: "\(m.label) (area \(Domain.fixed(curve.area, 4)))", x: curve.coverage, y: curve.accuracy))
                areas.append(.double(curve.area))
            }
            let chart = try LineChart(series: series, xLabel: "coverage (fraction of inputs kept, most certain first)", yLabel: "accuracy",
                                      title: "Selective prediction on \(data.name)")
            return .object(FigureValue(.curves(chart), numbers: [("area", models.count == 1 ? areas[0] : .list(areas))]))
        }
        t.register(Help("compare", [.positional("models", "a list of Models and Ensembles"),
                                    .named("on", "a labelled Dataset", .required),
                                    .named("bins", default: .int(Calibration.defaultBinCount), "equal-width ECE bins"),
                                    .named("ood", "out-of-distribution data: adds the OOD AUROC of score: (in-distribution = on:, OOD = positive)"),
                                    .named("score", default: .string("entropy"), "with ood: the uncertainty score, entropy (total), mutual_info (epistemic) or max_prob"),
                                    .named("costs", default: .bool(false), "adds what each model costs: memory to train it (parameters + AdamW state) and the time it took to predict on:")],
                        summary: "Methods side by side: accuracy, NLL, ECE, Brier, parameters total and trainable, train time; with ood: the OOD AUROC, with costs: true the training memory and prediction time; echo adds a chart.",
                        example: "compare([base, ens], on: test)\ncompare([base, ens], on: test, ood: clothes, costs: true)", returns: "a Comparison")) { args, ctx in
            let items = try args.list("models")
            guard !items.isEmpty else { throw args.error("models", "compare needs at least one model", remedy: "compare([base, ens], on: test)") }
            let models = try items.map { v -> ModelValue in
                guard case .object(let o) = v, let m = o as? ModelValue else {
                    throw args.error("models", "compare needs Models and Ensembles, but the list holds \(v.typeWithArticle)")
                }
                return m
            }
            let data = try args.object("on", as: DatasetValue.self, typeName: "Dataset").dataset
            let bins = try Domain.binCount(args)
            var outData: Dataset? = nil
            let name = try args.string("score")
            if args.has("ood") {
                let b = try args.object("ood", as: DatasetValue.self, typeName: "Dataset").dataset
                guard b.isText == data.isText, b.channels == data.channels, b.height == data.height, b.width == data.width else {
                    throw args.error("ood", "the out-of-distribution data '\(b.name)' is not of the kind of '\(data.name)' (\(b.isText ? "texts" : "\(b.channels)x\(b.height)x\(b.width) images") against \(data.isText ? "texts" : "\(data.channels)x\(data.height)x\(data.width) images"))",
                                     remedy: data.isText ? "give texts" : "resize them first, e.g. other.resize(to: \(data.height))")
                }
                outData = b
            } else if name != "entropy" {
                throw args.error("score", "score: chooses the OOD score, but no ood: data was given", remedy: "add ood: other_data, or leave out score:")
            }
            guard let score = scores[name] else {
                throw args.error("score", "unknown score \(Value.quote(name))",
                                 remedy: Suggest.didYouMean(name, in: Array(scores.keys)) ?? "use entropy, mutual_info or max_prob")
            }
            var reports: [ReportValue] = [], seconds: [Double] = [], aurocs: [Double] = []
            for m in models {
                let start = DispatchTime.now().uptimeNanoseconds
                let p = try m.probabilities(data, context: ctx, what: "evaluating")
                seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                reports.append(try ReportValue(model: m.label, data: data.name, probabilities: p, labels: data.labels, bins: bins))
                if let b = outData {
                    let pOut = try m.probabilities(b, context: ctx, what: "evaluating")
                    aurocs.append(try OODDetection(inDistribution: p, outOfDistribution: pOut, score: score).auroc)
                }
            }
            let ood = outData.map { b in ComparisonValue.OOD(data: b.name, score: scoreNames[score] ?? name, auroc: aurocs) }
            return .object(ComparisonValue(models: models, reports: reports, data: data.name, ood: ood,
                                           predictSeconds: seconds, costs: try args.bool("costs")))
        }
        t.register(Help("curves", [.positional("model", "a trained Model or Ensemble")],
                        summary: "Training curves (loss and accuracy per epoch) from the model's history, with validation loss, accuracy and ECE when fit had validation: data.",
                        example: "curves(ens).save(\"training.svg\")", returns: "a Figure")) { args, _ in
            .object(curves(try model(args, "model")))
        }
    }

    /// The short name of each score, as tables show it.
    static let scoreNames: [UncertaintyScore: String] = [.entropy: "entropy", .mutualInformation: "mutual_info", .maxProbability: "max_prob"]

    /// Names of the uncertainty scores.
    static let scores: [String: UncertaintyScore] = ["entropy": .entropy, "total": .entropy, "mutual_info": .mutualInformation,
                                                     "epistemic": .mutualInformation, "max_prob": .maxProbability, "confidence": .maxProbability]

    static func model(_ args: Arguments, _ name: String) throws -> ModelValue {
        try args.object(name, as: ModelValue.self, typeName: "Model")
    }

    /// Loss and accuracy per epoch (one pair of series per member for explicit ensembles).
    static func curves(_ m: ModelValue) -> FigureValue {
        let h = m.model.history
        var series: [LineSeries] = []
        let members = Array(Set(h.map { $0.member })).sorted()
        for mem in members {
            let rows = h.filter { $0.member == mem }
            let suffix = members.count > 1 ? " (member \(mem))" : ""
            series.append(LineSeries(name: "loss" + suffix, y: rows.map { Double($0.loss) }))
            series.append(LineSeries(name: "accuracy" + suffix, y: rows.map { Double($0.accuracy) }))
            if rows.contains(where: { $0.validation != nil }) {
                series.append(LineSeries(name: "validation loss" + suffix, y: rows.map { $0.validation?.loss ?? .nan }))
                series.append(LineSeries(name: "validation accuracy" + suffix, y: rows.map { $0.validation?.accuracy ?? .nan }))
                series.append(LineSeries(name: "validation ECE" + suffix, y: rows.map { $0.validation?.expectedCalibrationError ?? .nan }))
            }
        }
        if series.isEmpty { series = [LineSeries(name: "loss", y: []), LineSeries(name: "accuracy", y: [])] }
        let validated = h.contains { $0.validation != nil }
        let chart = try! LineChart(series: series, xLabel: "epoch", yLabel: validated ? "loss / accuracy / ECE (training and validation)" : "training loss / accuracy",
                                   title: "Training of \(m.label)" + (h.isEmpty ? " (no training history)" : "")
                                       + (m.interruptions.isEmpty ? "" : " (" + m.interruptions.map { "\($0.stop)" }.joined(separator: "; ") + ")"))
        return FigureValue(.curves(chart), numbers: [("loss", .list(h.map { .double(Double($0.loss)) })),
                                                     ("accuracy", .list(h.map { .double(Double($0.accuracy)) })),
                                                     ("epochs", .int(h.count)),
                                                     ("val_loss", .list(h.map { $0.validation.map { .double($0.loss) } ?? .null })),
                                                     ("val_accuracy", .list(h.map { $0.validation.map { .double($0.accuracy) } ?? .null })),
                                                     ("val_ece", .list(h.map { $0.validation.map { .double($0.expectedCalibrationError) } ?? .null })),
                                                     ("interruptions", .list(m.interruptions.map { .string("\($0.stop)") }))])
    }
}

/// `compare([models], on: data)`: a table of metrics and sizes, and a chart.
public final class ComparisonValue: DomainObject {
    public let models: [ModelValue]
    public let reports: [ReportValue]
    public let data: String
    /// Out-of-distribution detection of every model (`ood:`), if asked for.
    public struct OOD {
        public let data: String
        public let score: String
        public let auroc: [Double]
    }
    public let ood: OOD?
    /// Seconds each model took to predict the compared data.
    public let predictSeconds: [Double]
    /// Whether the table shows the costs (training memory, prediction time).
    public let costs: Bool

    init(models: [ModelValue], reports: [ReportValue], data: String, ood: OOD? = nil, predictSeconds: [Double] = [], costs: Bool = false) {
        self.models = models
        self.reports = reports
        self.data = data
        self.ood = ood
        self.predictSeconds = predictSeconds
        self.costs = costs
    }

    public var typeName: String { "Comparison" }
    public var count: Int? { models.count }
    public var summary: String { "\(models.count) models on \(data)" }

    public func table() -> String { textTable().render() }

    func textTable() -> TextTable {
        let bins = reports.first?.metrics.binCount ?? Calibration.defaultBinCount
        var title = "Comparison on \(data) (\(reports.first?.metrics.samples ?? 0) samples; ECE with \(bins) bins; metrics of the members' mean probabilities"
        if let o = ood { title += "; OOD AUROC of \(o.score) against \(o.data)" }
        if costs { title += "; memory = parameters + AdamW state" }
        var columns = [TableColumn("model"), TableColumn("members"), TableColumn("accuracy", decimals: 4), TableColumn("NLL", decimals: 4),
                       TableColumn("ECE", decimals: 4), TableColumn("Brier", decimals: 4)]
        if ood != nil { columns.append(TableColumn("OOD AUROC", decimals: 4)) }
        columns += [TableColumn("params"), TableColumn("trainable")]
        if costs { columns.append(TableColumn("memory", alignment: .right)) }
        columns.append(TableColumn("train time", alignment: .right))
        if costs { columns.append(TableColumn("predict time", alignment: .right)) }
        var t = TextTable(title: title + ")", columns: columns)
        for (i, (m, r)) in zip(models, reports).enumerated() {
            let s = m.model.summary()
            var row: [TableCell] = [.text(m.displayName), .integer(m.model.memberCount), .number(r.metrics.accuracy), .number(r.metrics.negativeLogLikelihood),
                                    .number(r.metrics.expectedCalibrationError), .number(r.metrics.brierScore)]
            if let o = ood { row.append(.number(o.auroc[i])) }
            row += [.integer(s.total), .integer(s.trainable)]
            if costs { row.append(.text(m.formatBytes(s.trainingBytes))) }
            row.append(.text(m.trainSeconds > 0 ? formatDuration(m.trainSeconds) : "-"))
            if costs { row.append(.text(i < predictSeconds.count ? ComparisonValue.shortDuration(predictSeconds[i]) : "-")) }
            t.append(row)
        }
        return t
    }

    func chart() throws -> GroupedBarChart {
        let series = [BarSeries(name: "accuracy", values: reports.map { $0.metrics.accuracy }),
                      BarSeries(name: "ECE", values: reports.map { $0.metrics.expectedCalibrationError }),
                      BarSeries(name: "NLL", values: reports.map { $0.metrics.negativeLogLikelihood }),
                      BarSeries(name: "Brier", values: reports.map { $0.metrics.brierScore })]
            + (ood.map { [BarSeries(name: "OOD AUROC", values: $0.auroc)] } ?? [])
        return try GroupedBarChart(categories: models.map { $0.displayName }, series: series, yLabel: "value", title: "Comparison on \(data)")
    }

    /// A duration to a millisecond below a second ("46 ms"), else as fit prints it.
    static func shortDuration(_ seconds: Double) -> String {
        seconds < 1 ? "\(max(1, Int((seconds * 1000).rounded()))) ms" : formatDuration(seconds)
    }

    public func echo(_ context: Context) -> String {
        var out = table()
        if let c = try? chart() { out += "\n\n" + c.terminal(mode: Domain.colorMode(context), width: max(10, min(40, context.terminalWidth - 40))).text }
        return out
    }

    /// The table in HTML with the chart's SVG under it (HTML is what Jupyter
    /// shows when both are there); the chart alone as the SVG.
    public func display(_ context: Context) -> RichDisplay {
        let t = textTable()
        guard let c = try? chart() else { return RichDisplay(text: echo(context), html: t.html()) }
        let svg = c.svg()
        return RichDisplay(text: echo(context), html: t.html() + "\n<div>" + svg + "</div>", svg: svg)
    }

    static let fieldList: [FieldHelp] = [
        FieldHelp("count", "number of models"),
        FieldHelp("reports", "one Report per model"),
        FieldHelp("chart", "the grouped bar chart (a Figure)"),
        FieldHelp("table", "the table as text"),
        FieldHelp("ood_auroc", "each model's OOD AUROC (compare(..., ood: data)); nil without ood:"),
        FieldHelp("predict_time", "seconds each model took to predict the compared data"),
    ]
    /// Computed: `Help` holds default `Value`s, which are not Sendable.
    static var methodList: [Help] { [
        Help("save", [.positional("path", "a .svg file name")], summary: "Writes the chart as SVG.",
             example: "compare([base, ens], on: test).save(\"compare.svg\")", returns: "the path written"),
    ] }
    public var fields: [FieldHelp] { ComparisonValue.fieldList }
    public var methods: [Help] { ComparisonValue.methodList }

    public func field(_ name: String) throws -> Value? {
        switch name {
        case "count": return .int(reports.count)
        case "reports": return .list(reports.map { .object($0) })
        case "chart": return .object(FigureValue(.bars(try chart())))
        case "table": return .string(table())
        case "ood_auroc": return ood.map { .list($0.auroc.map { .double($0) }) } ?? .null
        case "predict_time": return .list(predictSeconds.map { .double($0) })
        default: return nil
        }
    }

    public func index(_ index: Value) throws -> Value? {
        guard case .int(let i) = index else { return nil }
        guard i >= 0, i < reports.count else {
            throw LangError(.index, "index \(i) is out of range for a comparison of \(reports.count) models")
        }
        return .object(reports[i])
    }

    public func call(_ name: String, _ args: Arguments, _ context: Context) throws -> Value {
        guard name == "save" else { throw LangError(.name, "Comparison has no method '\(name)'") }
        let path = try Domain.path(args, "path")
        try FigureValue.save(svg: try chart(), png: nil, to: path, args: args)
        return .string(path)
    }
}
