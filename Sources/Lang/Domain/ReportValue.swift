import Render
import Uncertainty

/// The evaluation of a model on labelled data: `model.evaluate(test)`.
/// All metrics use the members' mean probabilities p̄ (see METHOD.md).
public final class ReportValue: DomainObject {
    public let model: String
    public let data: String
    public let probabilities: MemberProbabilities
    public let labels: [Int]
    public let metrics: MetricSummary
    public let calibration: Calibration

    public init(model: String, data: String, probabilities: MemberProbabilities, labels: [Int], bins: Int) throws {
        self.model = model
        self.data = data
        self.probabilities = probabilities
        self.labels = labels
        metrics = try probabilities.summary(labels: labels, binCount: bins)
        calibration = try probabilities.ensembleMean().calibration(labels: labels, binCount: bins)
    }

    public var typeName: String { "Report" }
    public var summary: String {
        "\(model) on \(data): accuracy \(Domain.fixed(metrics.accuracy, 4)), NLL \(Domain.fixed(metrics.negativeLogLikelihood, 4)), ECE \(Domain.fixed(metrics.expectedCalibrationError, 4)) (\(metrics.binCount) bins)"
    }

    /// An aligned table of the metrics, then per-member accuracy.
    public func echo(_ context: Context) -> String { display(context).text }

    /// The metrics as a table (text and HTML), per-member accuracy under it.
    public func display(_ context: Context) -> RichDisplay {
        let m = metrics
        var t = TextTable(title: "\(model) on \(data) (\(NumberFormatting.grouped(m.samples)) samples, \(NumberFormatting.grouped(m.members)) member\(m.members == 1 ? "" : "s"); ECE with \(m.binCount) equal-width bins)",
                          columns: [TableColumn("metric"), TableColumn("value", decimals: 4)])
        t.append(["accuracy", .number(m.accuracy)])
        t.append(["NLL", .number(m.negativeLogLikelihood)])
        t.append(["ECE", .number(m.expectedCalibrationError)])
        t.append(["Brier", .number(m.brierScore)])
        t.append(["entropy (total)", .number(m.meanEntropy)])
        t.append(["aleatoric", .number(m.meanAleatoric)])
        t.append(["epistemic", .number(m.meanEpistemic)])
        if m.members > 1 {
            t.append(["disagreement", .number(m.disagreement)])
            t.append(["pairwise KL", .number(m.meanPairwiseKL)])
        }
        var after: [String] = []
        if m.members > 1 {
            let accs = m.memberAccuracies
            let lo = accs.min() ?? 0, hi = accs.max() ?? 0, mean = accs.reduce(0, +) / Double(max(accs.count, 1))
            var line = "member accuracy: mean \(Domain.fixed(mean)), min \(Domain.fixed(lo)), max \(Domain.fixed(hi))"
            if accs.count <= 16 { line += "  [" + accs.map { Domain.fixed($0, 3) }.joined(separator: " ") + "]" }
            after.append(line)
        }
        return .table(t, after: after)
    }

    static let fieldList: [FieldHelp] = [
        FieldHelp("accuracy", "fraction of samples whose argmax of p̄ is the label"),
        FieldHelp("nll", "negative log-likelihood, mean of -log p̄(label)"),
        FieldHelp("ece", "expected calibration error (equal-width bins, see .bins)"),
        FieldHelp("brier", "Brier score, summed over classes, mean over samples"),
        FieldHelp("members", "per-member accuracy (list)"),
        FieldHelp("disagreement", "mean pairwise disagreement of member argmaxes"),
        FieldHelp("kl", "mean pairwise KL divergence between members"),
        FieldHelp("entropy", "mean predictive entropy H[p̄] (total uncertainty)"),
        FieldHelp("aleatoric", "mean expected member entropy E_i H[p_i]"),
        FieldHelp("epistemic", "mean mutual information H[p̄] - E_i H[p_i]"),
        FieldHelp("bins", "number of ECE bins"),
        FieldHelp("samples", "number of evaluated samples"),
        FieldHelp("reliability", "the reliability diagram (a Figure)"),
    ]
    public var fields: [FieldHelp] { ReportValue.fieldList }

    static var typeHelp: TypeHelp {
        TypeHelp(name: "Report", summary: "Metrics of a model on labelled data, from model.evaluate(data, bins: 15).", fields: fieldList)
    }

    public func field(_ name: String) throws -> Value? {
        let m = metrics
        switch name {
        case "accuracy": return .double(m.accuracy)
        case "nll": return .double(m.negativeLogLikelihood)
        case "ece": return .double(m.expectedCalibrationError)
        case "brier": return .double(m.brierScore)
        case "members": return .list(m.memberAccuracies.map { .double($0) })
        case "disagreement": return .double(m.disagreement)
        case "kl": return .double(m.meanPairwiseKL)
        case "entropy": return .double(m.meanEntropy)
        case "aleatoric": return .double(m.meanAleatoric)
        case "epistemic": return .double(m.meanEpistemic)
        case "bins": return .int(m.binCount)
        case "samples": return .int(m.samples)
        case "reliability": return .object(FigureValue.reliability(calibration, title: "\(model) on \(data)"))
        default: return nil
        }
    }
}
