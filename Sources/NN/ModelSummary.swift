import Tensor

/// Parameter counts of one part of a model (e.g. "backbone", "adapters", "heads").
public struct PartSummary: Equatable {
    public var name: String
    public var total: Int
    public var trainable: Int
    public var frozen: Int { total - trainable }
}

/// Parameters total / trainable / frozen, per part, and the bytes of the
/// parameters plus the optimizer state training needs (AdamW: two Float32
/// moments per trainable parameter).
public struct ModelSummary: Equatable, CustomStringConvertible {
    public var kind: String
    public var members: Int
    public var architecture: Architecture
    public var parts: [PartSummary]
    /// Free-form settings worth showing (rank, targets, init, ...).
    public var details: [String]
    /// Trainable parameters of one member (ensembles whose members own their
    /// adapters and heads); front ends format the number.
    public var trainablePerMember: Int? = nil

    public var total: Int { parts.reduce(0) { $0 + $1.total } }
    public var trainable: Int { parts.reduce(0) { $0 + $1.trainable } }
    public var frozen: Int { total - trainable }
    public var parameterBytes: Int { 4 * total }
    /// AdamW keeps two Float32 moments per trainable parameter.
    public var optimizerStateBytes: Int { 8 * trainable }
    /// Parameters plus optimizer state.
    public var trainingBytes: Int { parameterBytes + optimizerStateBytes }

    static func parts(of module: Module, group: (String) -> String) -> [PartSummary] {
        var order: [String] = []
        var acc: [String: PartSummary] = [:]
        for (n, t) in module.namedParameters() {
            let g = group(n)
            if acc[g] == nil { order.append(g); acc[g] = PartSummary(name: g, total: 0, trainable: 0) }
            acc[g]!.total += t.count
            if t.requiresGrad { acc[g]!.trainable += t.count }
        }
        return order.map { acc[$0]! }
    }

    static func formatBytes(_ b: Int) -> String {
        let d = Double(b)
        if b >= 1 << 30 { return String(format: "%.2f GiB", d / Double(1 << 30)) }
        if b >= 1 << 20 { return String(format: "%.2f MiB", d / Double(1 << 20)) }
        if b >= 1 << 10 { return String(format: "%.1f KiB", d / 1024) }
        return "\(b) B"
    }

    public var description: String {
        var s = "\(kind) (\(members) member\(members == 1 ? "" : "s")) on \(architecture)\n"
        for d in details { s += "  \(d)\n" }
        if let n = trainablePerMember { s += "  trainable per member: \(n)\n" }
        let w = max(10, parts.map { $0.name.count }.max() ?? 0)
        func pad(_ x: String, _ n: Int) -> String { x + String(repeating: " ", count: max(0, n - x.count)) }
        func lpad(_ x: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - x.count)) + x }
        s += "  " + pad("part", w) + lpad("total", 12) + lpad("trainable", 12) + lpad("frozen", 12) + "\n"
        for p in parts {
            s += "  " + pad(p.name, w) + lpad("\(p.total)", 12) + lpad("\(p.trainable)", 12) + lpad("\(p.frozen)", 12) + "\n"
        }
        s += "  " + pad("all", w) + lpad("\(total)", 12) + lpad("\(trainable)", 12) + lpad("\(frozen)", 12) + "\n"
        s += "  memory: parameters \(ModelSummary.formatBytes(parameterBytes)) + optimizer state \(ModelSummary.formatBytes(optimizerStateBytes)) = \(ModelSummary.formatBytes(trainingBytes))"
        return s
    }
}

import Foundation
