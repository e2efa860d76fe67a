/// Small text renderings of the figures, for showing them in the terminal
/// before (or instead of) saving the SVG. Colour modes use Unicode blocks and
/// colour; plain mode uses ASCII only.
public enum TerminalChart {
    static let eighths: [Character] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"]
    static let levels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// A bar of `fraction` (clamped to [0, 1]) of `width` cells: eighth blocks in
    /// colour modes, "#" in plain mode; always exactly `width` visible characters.
    public static func bar(_ fraction: Double, width: Int, mode: ColorMode, color: RGB? = nil) -> String {
        let f = fraction.isFinite ? max(0, min(1, fraction)) : 0
        if mode == .plain {
            let n = Int((f * Double(width)).rounded())
            return String(repeating: "#", count: n) + String(repeating: " ", count: width - n)
        }
        let units = Int((f * Double(width) * 8).rounded())
        var s = String(repeating: "█", count: units / 8)
        if units % 8 > 0 { s.append(eighths[units % 8]) }
        let visible = s.count
        let body = (color.map(mode.foreground) ?? "") + s + (color == nil ? "" : mode.reset)
        return body + String(repeating: " ", count: width - visible)
    }

    /// Horizontal bars, one per label: "label  ████▍      0.912". Bars scale to the
    /// largest |value| (or `maximum`); negative values draw no bar.
    public static func bars(labels: [String], values: [Double], width: Int = 30, maximum: Double? = nil,
                            mode: ColorMode, color: RGB? = nil) -> TextBlock {
        let top = maximum ?? values.filter(\.isFinite).map(abs).max() ?? 1
        let labelWidth = labels.map(\.count).max() ?? 0
        var lines: [String] = []
        for (label, v) in zip(labels, values) {
            let f = top > 0 ? v / top : 0
            lines.append(pad(label, to: labelWidth, .left) + "  " + bar(f, width: width, mode: mode, color: color) + "  " + NumberFormatting.compact(v, significant: 3))
        }
        let numberWidth = values.map { NumberFormatting.compact($0, significant: 3).count }.max() ?? 0
        return TextBlock(lines: lines, width: labelWidth + 4 + width + numberWidth)
    }

    /// A one-line sparkline of `values` scaled between their min and max:
    /// "▁▂▅▇█" in colour modes, the shade ramp " .:-=+*#%@" in plain mode;
    /// non-finite values show as a space.
    public static func sparkline(_ values: [Double], mode: ColorMode) -> String {
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return String(repeating: " ", count: values.count) }
        return String(values.map { v -> Character in
            guard v.isFinite else { return " " }
            let t = hi > lo ? (v - lo) / (hi - lo) : 0.5
            if mode == .plain { return ColorMode.shade(0.1 + 0.9 * t) }
            return levels[min(levels.count - 1, Int(t * Double(levels.count)))]
        })
    }
}

extension ReliabilityDiagram {
    /// The diagram as text: per bin its range, count, accuracy and mean confidence,
    /// and a bar of the accuracy with "|" marking the mean confidence.
    public func terminal(mode: ColorMode, width: Int = 30) -> TextBlock {
        var lines = ["\(title) — ECE \(NumberFormatting.fixed(ece, decimals: 4)) (\(bins.count) bins)"]
        lines.append("confidence         n  accuracy  confidence  accuracy bar, | = mean confidence")
        for b in bins {
            let range = "(\(NumberFormatting.fixed(b.lower, decimals: 2)), \(NumberFormatting.fixed(b.upper, decimals: 2))]"
            var line = pad(range, to: 12, .left) + pad(NumberFormatting.grouped(b.count), to: 8, .right)
            guard b.count > 0 else {
                lines.append(line + pad("-", to: 10, .right) + pad("-", to: 12, .right))
                continue
            }
            line += pad(NumberFormatting.fixed(b.accuracy, decimals: 3), to: 10, .right)
            line += pad(NumberFormatting.fixed(b.confidence, decimals: 3), to: 12, .right) + "  "
            // Draw the bar in plain characters first, then place the confidence marker.
            let marker = min(width - 1, max(0, Int((b.confidence * Double(width)).rounded(.down))))
            let filled = Int((b.accuracy * Double(width)).rounded())
            var cells = [Character](repeating: " ", count: width)
            for i in 0..<min(filled, width) { cells[i] = mode == .plain ? "#" : "█" }
            cells[marker] = "|"
            var barText = ""
            for (i, ch) in cells.enumerated() {
                if ch == "█" && (i == 0 || cells[i - 1] != "█") { barText += mode.foreground(RGB(hex: 0x3b6fb6)) }
                if ch != "█" && i > 0 && cells[i - 1] == "█" { barText += mode.reset }
                barText.append(ch)
            }
            if cells.last == "█" { barText += mode.reset }
            lines.append(line + barText)
        }
        return TextBlock(lines: lines, width: max(lines[0].count, lines[1].count, 44 + width))
    }
}

extension ScoreHistogram {
    /// Both histograms as columns of `height` rows, the two sets side by side
    /// in each bin (in-distribution "#" / blue, out-of-distribution "o" / orange).
    public func terminal(mode: ColorMode, height: Int = 8) -> TextBlock {
        let fIn = fractions(inDistribution), fOut = fractions(outOfDistribution)
        let top = max(fIn.max() ?? 0, fOut.max() ?? 0)
        let blue = RGB(hex: 0x3b6fb6), orange = RGB(hex: 0xe07b24)
        var lines = ["\(title) — AUROC \(NumberFormatting.fixed(auroc, decimals: 3))"]
        for row in stride(from: height, through: 1, by: -1) {
            var line = ""
            for b in 0..<binCount {
                for (f, color, mark) in [(fIn[b], blue, Character("#")), (fOut[b], orange, Character("o"))] {
                    let filled = top > 0 ? f / top * Double(height) : 0
                    if filled >= Double(row) - 0.5 {
                        line += mode == .plain ? String(mark) : mode.foreground(color) + "█" + mode.reset
                    } else {
                        line += " "
                    }
                }
            }
            lines.append(line)
        }
        let e = edges()
        let lo = NumberFormatting.compact(e[0], significant: 3), hi = NumberFormatting.compact(e[binCount], significant: 3)
        let w = binCount * 2
        lines.append(String(repeating: "─", count: w))
        lines.append(lo + String(repeating: " ", count: max(1, w - lo.count - hi.count)) + hi)
        let inKey = mode == .plain ? "#" : mode.foreground(blue) + "█" + mode.reset
        let outKey = mode == .plain ? "o" : mode.foreground(orange) + "█" + mode.reset
        lines.append("\(inKey) in-distribution (n = \(inDistribution.count))  \(outKey) out-of-distribution (n = \(outOfDistribution.count))")
        lines.append(scoreName)
        return TextBlock(lines: lines, width: max(w, lines[0].count, 60))
    }
}

extension GroupedBarChart {
    /// One block per category with a bar per series, bars scaled to the largest |value|.
    public func terminal(mode: ColorMode, width: Int = 30) -> TextBlock {
        let top = series.flatMap(\.values).filter(\.isFinite).map(abs).max() ?? 1
        var lines = [title]
        for (c, category) in categories.enumerated() {
            lines.append(category)
            let block = TerminalChart.bars(labels: series.map { "  " + $0.name }, values: series.map { $0.values[c] },
                                           width: width, maximum: top, mode: mode)
            for (s, line) in block.lines.enumerated() {
                lines.append(mode == .plain ? line : line.replacingFirstBar(with: SeriesPalette.color(s), mode: mode))
            }
        }
        return TextBlock(lines: lines, width: lines.map(visibleCount).max() ?? 0)
    }
}

extension LineChart {
    /// One sparkline per series with its first, last, min and max values.
    public func terminal(mode: ColorMode) -> TextBlock {
        var lines = [title]
        let nameWidth = series.map(\.name.count).max() ?? 0
        for (i, s) in series.enumerated() {
            let finite = s.y.filter(\.isFinite)
            let spark = TerminalChart.sparkline(s.y, mode: mode)
            let colored = mode == .plain ? spark : mode.foreground(SeriesPalette.color(i)) + spark + mode.reset
            let stats = finite.isEmpty ? "" : "  first \(NumberFormatting.compact(finite.first!, significant: 4))  last \(NumberFormatting.compact(finite.last!, significant: 4))  min \(NumberFormatting.compact(finite.min()!, significant: 4))  max \(NumberFormatting.compact(finite.max()!, significant: 4))"
            lines.append(pad(s.name, to: nameWidth, .left) + "  " + colored + stats)
        }
        lines.append(pad("", to: nameWidth, .left) + "  " + xLabel + " →")
        return TextBlock(lines: lines, width: lines.map(visibleCount).max() ?? 0)
    }
}

/// Number of visible characters of `s`, skipping ANSI escape sequences.
func visibleCount(_ s: String) -> Int {
    var n = 0
    var inEscape = false
    for ch in s {
        if inEscape {
            if ch.isLetter { inEscape = false }
        } else if ch == "\u{1B}" {
            inEscape = true
        } else {
            n += 1
        }
    }
    return n
}

extension String {
    /// Colours the first run of block characters.
    func replacingFirstBar(with color: RGB, mode: ColorMode) -> String {
        guard let start = firstIndex(where: { TerminalChart.eighths.dropFirst().contains($0) }) else { return self }
        var end = start
        while end < endIndex, TerminalChart.eighths.dropFirst().contains(self[end]) { end = index(after: end) }
        return String(self[..<start]) + mode.foreground(color) + String(self[start..<end]) + mode.reset + String(self[end...])
    }
}
