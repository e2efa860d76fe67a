/// One cell of a `TextTable`.
public enum TableCell: Equatable, Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    case text(String)
    case integer(Int)
    /// A number; the column decides the decimals so points line up.
    case number(Double)
    case empty

    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }

    var isNumeric: Bool {
        switch self {
        case .integer, .number: return true
        default: return false
        }
    }
}

/// How a column's cells sit in its width.
public enum ColumnAlignment: Equatable, Sendable {
    case left, right, center
}

/// A column of a `TextTable`: a header, an alignment (nil: numbers right, text left),
/// and optionally a fixed number of decimals for its numbers.
public struct TableColumn: Equatable, Sendable, ExpressibleByStringLiteral {
    public var header: String
    public var alignment: ColumnAlignment?
    public var decimals: Int?

    public init(_ header: String, alignment: ColumnAlignment? = nil, decimals: Int? = nil) {
        self.header = header
        self.alignment = alignment
        self.decimals = decimals
    }

    public init(stringLiteral value: String) { self.init(value) }
}

/// An aligned plain-text table for the terminal or a log:
///
///     Evaluation (15 ECE bins)
///     model          accuracy     ECE  parameters
///     ─────────────  ────────  ──────  ──────────
///     single            0.912  0.0810      85,812
///     LoRA-Ensemble     0.940  0.0352     104,000
///
/// Numbers in a column share one decimal count (3 significant digits of the
/// smallest non-zero magnitude, at most 6; or `TableColumn.decimals`), so their
/// points line up; a column with values below 1e-4 or from 1e7 up uses scientific
/// notation. Integers from 10,000 get thousands separators.
public struct TextTable: Equatable, Sendable {
    public var title: String?
    public var columns: [TableColumn]
    public var rows: [[TableCell]]
    /// Use "-" instead of "─" for the rule under the header.
    public var ascii: Bool

    public init(title: String? = nil, columns: [TableColumn], rows: [[TableCell]] = [], ascii: Bool = false) {
        self.title = title
        self.columns = columns
        self.rows = rows
        self.ascii = ascii
    }

    public mutating func append(_ row: [TableCell]) { rows.append(row) }

    /// The formatted text of every cell, column by column.
    func formattedCells() -> [[String]] {
        var out = rows.map { _ in [String](repeating: "", count: columns.count) }
        for (c, column) in columns.enumerated() {
            let numbers = rows.compactMap { row -> Double? in
                guard c < row.count, case .number(let x) = row[c], x.isFinite else { return nil }
                return x
            }
            let nonzero = numbers.map(abs).filter { $0 > 0 }
            let useScientific = column.decimals == nil && nonzero.contains { $0 < 1e-4 || $0 >= 1e7 }
            let decimals = column.decimals ?? min(6, nonzero.map { NumberFormatting.decimalsFor($0, significant: 3) }.max() ?? 0)
            for (r, row) in rows.enumerated() {
                guard c < row.count else { continue }
                switch row[c] {
                case .text(let s): out[r][c] = s
                case .integer(let n): out[r][c] = NumberFormatting.grouped(n)
                case .number(let x):
                    out[r][c] = useScientific ? NumberFormatting.scientific(x, digits: 3) : NumberFormatting.fixed(x, decimals: decimals)
                case .empty: out[r][c] = ""
                }
            }
        }
        return out
    }

    /// How column `c` sits: its own alignment, else numbers right and text left.
    func alignment(_ c: Int) -> ColumnAlignment {
        if let a = columns[c].alignment { return a }
        let numeric = rows.contains { c < $0.count && $0[c].isNumeric }
        let textual = rows.contains { row in
            guard c < row.count, case .text = row[c] else { return false }
            return true
        }
        return numeric && !textual ? .right : .left
    }

    /// The table as lines joined by "\n" (no trailing newline).
    public func render() -> String {
        let cells = formattedCells()
        var widths = columns.map { $0.header.count }
        for row in cells {
            for (c, s) in row.enumerated() { widths[c] = max(widths[c], s.count) }
        }
        let aligns = columns.indices.map(alignment)
        func line(_ items: [String]) -> String {
            var parts: [String] = []
            for (c, s) in items.enumerated() { parts.append(pad(s, to: widths[c], aligns[c])) }
            var l = parts.joined(separator: "  ")
            while l.hasSuffix(" ") { l.removeLast() }
            return l
        }
        var lines: [String] = []
        if let title { lines.append(title) }
        lines.append(line(columns.map(\.header)))
        let rule: Character = ascii ? "-" : "─"
        lines.append(widths.map { String(repeating: rule, count: $0) }.joined(separator: "  "))
        for row in cells { lines.append(line(row)) }
        return lines.joined(separator: "\n")
    }
}

/// Pads `s` with spaces to `width` characters (grapheme clusters).
func pad(_ s: String, to width: Int, _ alignment: ColumnAlignment) -> String {
    let extra = max(0, width - s.count)
    switch alignment {
    case .left: return s + String(repeating: " ", count: extra)
    case .right: return String(repeating: " ", count: extra) + s
    case .center:
        let left = extra / 2
        return String(repeating: " ", count: left) + s + String(repeating: " ", count: extra - left)
    }
}
