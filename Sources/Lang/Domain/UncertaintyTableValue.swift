import Render
import Uncertainty

/// Per-sample uncertainty of a model on data: `model.uncertainty(test[0..<20])`.
/// Rows are most uncertain first (by total entropy) unless re-sorted.
public final class UncertaintyTableValue: DomainObject {
    public let rows: [SampleReport]
    public let classNames: [String]
    public let sortedBy: String
    public let title: String
    /// Rows shown by the echo; the rest are counted.
    static let shownRows = 20

    /// The number shown for sample n (its index in the data the user passed).
    public let ids: [Int]

    public init(rows: [SampleReport], classNames: [String], sortedBy: String, title: String, ids: [Int]? = nil) {
        self.rows = rows
        self.ids = ids ?? (0..<(rows.map { $0.sample }.max().map { $0 + 1 } ?? 0)).map { $0 }
        self.classNames = classNames
        self.sortedBy = sortedBy
        self.title = title
    }

    public var typeName: String { "UncertaintyTable" }
    public var count: Int? { rows.count }
    public var summary: String {
        "\(NumberFormatting.grouped(rows.count)) samples sorted by \(sortedBy); mean entropy \(Domain.fixed(mean(\.total)))"
    }

    func mean(_ key: KeyPath<SampleReport, Double>) -> Double {
        rows.isEmpty ? 0 : rows.reduce(0) { $0 + $1[keyPath: key] } / Double(rows.count)
    }

    func id(_ r: SampleReport) -> Int { r.sample < ids.count ? ids[r.sample] : r.sample }

    func name(_ c: Int) -> String { c >= 0 && c < classNames.count ? classNames[c] : String(c) }

    func votes(_ r: SampleReport) -> String {
        let order = r.votes.indices.filter { r.votes[$0] > 0 }.sorted { r.votes[$0] > r.votes[$1] || (r.votes[$0] == r.votes[$1] && $0 < $1) }
        return order.prefix(3).map { "\(name($0)):\(r.votes[$0])" }.joined(separator: " ") + (order.count > 3 ? " …" : "")
    }

    public func echo(_ context: Context) -> String { display(context).text }

    /// The rows as a table (text and HTML), the accuracy of the rows under it.
    public func display(_ context: Context) -> RichDisplay {
        var t = TextTable(title: "\(title): \(NumberFormatting.grouped(rows.count)) samples, most uncertain first (by \(sortedBy)); entropy in nats = aleatoric + epistemic",
                          columns: [TableColumn("sample"), TableColumn("label"), TableColumn("predicted"), TableColumn("ok"),
                                    TableColumn("confidence", decimals: 3), TableColumn("total", decimals: 4),
                                    TableColumn("aleatoric", decimals: 4), TableColumn("epistemic", decimals: 4),
                                    TableColumn("votes", alignment: .left)])
        for r in rows.prefix(UncertaintyTableValue.shownRows) {
            let label: TableCell = r.label.map { .text(name($0)) } ?? .text("-")
            let ok: TableCell = r.label.map { .text($0 == r.prediction ? "yes" : "NO") } ?? .text("")
            t.append([.integer(id(r)), label, .text(name(r.prediction)), ok, .number(r.confidence), .number(r.total),
                      .number(r.aleatoric), .number(r.epistemic), .text(votes(r))])
        }
        if rows.count > UncertaintyTableValue.shownRows {
            t.append([.text("… \(rows.count - UncertaintyTableValue.shownRows) more"), .empty, .empty, .empty, .empty, .empty, .empty, .empty, .empty])
        }
        let labelled = rows.filter { $0.label != nil }
        let accuracy = labelled.isEmpty ? nil : Double(labelled.filter { $0.label == $0.prediction }.count) / Double(labelled.count)
        t.append([.text("mean"), .empty, .empty, .empty,
                  .number(mean(\.confidence)), .number(mean(\.total)), .number(mean(\.aleatoric)), .number(mean(\.epistemic)), .empty])
        return .table(t, after: accuracy.map { ["accuracy of these \(labelled.count) rows: \(Domain.fixed($0, 3))"] } ?? [])
    }

    static let sortKeys = ["total", "entropy", "epistemic", "aleatoric", "confidence", "sample"]

    static let fieldList: [FieldHelp] = [
        FieldHelp("count", "number of rows"),
        FieldHelp("samples", "sample indices, in the table's order"),
        FieldHelp("predictions", "predicted classes"),
        FieldHelp("labels", "true labels"),
        FieldHelp("confidence", "max of p̄ per sample"),
        FieldHelp("total", "predictive entropy H[p̄] per sample"),
        FieldHelp("aleatoric", "expected member entropy per sample"),
        FieldHelp("epistemic", "mutual information per sample"),
        FieldHelp("votes", "per sample, how many members voted for each class"),
    ]
    static let methodList: [Help] = [
        Help("sort", [.named("by", default: .string("total"), "total (= entropy), epistemic, aleatoric, confidence (lowest first) or sample")],
             summary: "The same rows in another order (most uncertain first).",
             example: "ens.uncertainty(test).sort(by: \"epistemic\")", returns: "an UncertaintyTable"),
        Help("top", [.positional("n", "number of rows to keep")], summary: "The first n rows.",
             example: "ens.uncertainty(test).top(5)", returns: "an UncertaintyTable"),
    ]
    public var fields: [FieldHelp] { UncertaintyTableValue.fieldList }
    public var methods: [Help] { UncertaintyTableValue.methodList }

    static var typeHelp: TypeHelp {
        TypeHelp(name: "UncertaintyTable", summary: "Per-sample prediction, confidence, total/aleatoric/epistemic uncertainty and member votes, from model.uncertainty(data).",
                 fields: fieldList, methods: methodList)
    }

    public func field(_ name: String) throws -> Value? {
        switch name {
        case "count": return .int(rows.count)
        case "samples": return .list(rows.map { .int(id($0)) })
        case "predictions": return .list(rows.map { .int($0.prediction) })
        case "labels": return .list(rows.map { $0.label.map { .int($0) } ?? .null })
        case "confidence": return .list(rows.map { .double($0.confidence) })
        case "total": return .list(rows.map { .double($0.total) })
        case "aleatoric": return .list(rows.map { .double($0.aleatoric) })
        case "epistemic": return .list(rows.map { .double($0.epistemic) })
        case "votes": return .list(rows.map { .list($0.votes.map { .int($0) }) })
        default: return nil
        }
    }

    /// Rows ordered by `key` (one of `sortKeys`), most uncertain first; ties keep sample order.
    static func sorted(_ rows: [SampleReport], by key: String) -> [SampleReport] {
        switch key {
        case "sample": return rows.sorted { $0.sample < $1.sample }
        case "epistemic": return rows.mostUncertainFirst(by: .mutualInformation)
        case "confidence": return rows.mostUncertainFirst(by: .maxProbability)
        case "aleatoric": return rows.sorted { $0.aleatoric > $1.aleatoric || ($0.aleatoric == $1.aleatoric && $0.sample < $1.sample) }
        default: return rows.mostUncertainFirst(by: .entropy)
        }
    }

    public func call(_ name: String, _ args: Arguments, _ context: Context) throws -> Value {
        switch name {
        case "sort":
            let key = try args.string("by")
            guard UncertaintyTableValue.sortKeys.contains(key) else {
                throw args.error("by", "cannot sort by \(Value.quote(key))",
                                 remedy: Suggest.didYouMean(key, in: UncertaintyTableValue.sortKeys) ?? "sort by one of: " + UncertaintyTableValue.sortKeys.joined(separator: ", "))
            }
            return .object(UncertaintyTableValue(rows: UncertaintyTableValue.sorted(rows, by: key), classNames: classNames,
                                                 sortedBy: key == "entropy" ? "total" : key, title: title, ids: ids))
        case "top":
            let n = try args.int("n")
            guard n >= 0 else { throw args.error("n", "top() needs n >= 0, got \(n)") }
            return .object(UncertaintyTableValue(rows: Array(rows.prefix(n)), classNames: classNames, sortedBy: sortedBy, title: title, ids: ids))
        default:
            throw LangError(.name, "UncertaintyTable has no method '\(name)'")
        }
    }
}
