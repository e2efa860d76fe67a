/// One series of a grouped bar chart: one value per category.
public struct BarSeries: Equatable, Sendable {
    public var name: String
    public var values: [Double]
    public init(name: String, values: [Double]) {
        self.name = name
        self.values = values
    }
}

/// Grouped bar chart: categories along x, one coloured bar per series in each
/// group, the value printed above each bar, a legend of the series.
public struct GroupedBarChart: SVGFigure, Equatable, Sendable {
    public var categories: [String]
    public var series: [BarSeries]
    public var yLabel: String
    public var title: String

    public init(categories: [String], series: [BarSeries], yLabel: String, title: String) throws {
        guard !categories.isEmpty, !series.isEmpty else {
            throw RenderError.argument("a bar chart needs at least one category and one series, got \(categories.count) and \(series.count)")
        }
        for s in series where s.values.count != categories.count {
            throw RenderError.shape("bar series '\(s.name)' has \(s.values.count) values for \(categories.count) categories; give one value per category")
        }
        self.categories = categories
        self.series = series
        self.yLabel = yLabel
        self.title = title
    }

    public func svg() -> String {
        let legendRows = Double(series.count)
        let frame = ChartFrame(width: max(480, 90 + Double(categories.count * (series.count * 26 + 30))), height: 420, top: 48 + 0 * legendRows)
        let values = series.flatMap(\.values).filter(\.isFinite)
        let lo = min(0, values.min() ?? 0), hi = max(0, values.max() ?? 1)
        let y = LinearAxis(min: lo, max: hi + (hi - lo) * 0.12, pixels: (frame.plotBottom, frame.plotTop), count: 6)
        var svg = SVGCanvas(width: frame.width, height: frame.height)
        frame.draw(on: &svg, title: title, x: nil, y: y, xLabel: "", yLabel: yLabel)
        let groupWidth = (frame.plotRight - frame.plotLeft) / Double(categories.count)
        let barWidth = min(40, groupWidth * 0.8 / Double(series.count))
        let zero = y.pixel(0)
        for (c, category) in categories.enumerated() {
            let center = frame.plotLeft + groupWidth * (Double(c) + 0.5)
            let start = center - barWidth * Double(series.count) / 2
            for (s, ser) in series.enumerated() {
                let v = ser.values[c]
                guard v.isFinite else { continue }
                let x0 = start + barWidth * Double(s)
                let py = y.pixel(v)
                svg.rect(x: x0 + 1, y: min(py, zero), width: barWidth - 2, height: abs(zero - py), fill: SeriesPalette.color(s).hex)
                svg.text(NumberFormatting.compact(v, significant: 3), x: x0 + barWidth / 2, y: min(py, zero) - 4, size: 9, anchor: .middle, fill: "#333333")
            }
            svg.text(category, x: center, y: frame.plotBottom + 19, size: 11, anchor: .middle)
        }
        if lo < 0 { svg.line(x1: frame.plotLeft, y1: zero, x2: frame.plotRight, y2: zero, stroke: "#444444") }
        frame.legend(on: &svg, entries: series.enumerated().map { ($1.name, SeriesPalette.color($0).hex, .box(opacity: 1)) })
        return svg.document(title: title)
    }
}
