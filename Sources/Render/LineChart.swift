/// One curve of a line chart (e.g. training loss per epoch).
public struct LineSeries: Equatable, Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]

    public init(name: String, x: [Double], y: [Double]) {
        self.name = name
        self.x = x
        self.y = y
    }

    /// y against 1, 2, 3, ... (epochs or steps).
    public init(name: String, y: [Double]) {
        self.init(name: name, x: y.indices.map { Double($0 + 1) }, y: y)
    }
}

/// Line chart of several series on shared axes, with a legend; points are
/// marked when a series has at most 40 of them. Non-finite points break the line.
public struct LineChart: SVGFigure, Equatable, Sendable {
    public var series: [LineSeries]
    public var xLabel: String
    public var yLabel: String
    public var title: String

    public init(series: [LineSeries], xLabel: String, yLabel: String, title: String) throws {
        guard !series.isEmpty else { throw RenderError.argument("a line chart needs at least one series") }
        for s in series where s.x.count != s.y.count {
            throw RenderError.shape("line series '\(s.name)' has \(s.x.count) x values and \(s.y.count) y values; they must pair up")
        }
        self.series = series
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.title = title
    }

    public func svg() -> String {
        let frame = ChartFrame(width: 640, height: 420)
        let xs = series.flatMap(\.x).filter(\.isFinite), ys = series.flatMap(\.y).filter(\.isFinite)
        let x = LinearAxis(min: xs.min() ?? 0, max: xs.max() ?? 1, pixels: (frame.plotLeft, frame.plotRight), count: 7)
        let (ylo, yhi) = (ys.min() ?? 0, ys.max() ?? 1)
        let pad = (yhi - ylo) * 0.05
        let y = LinearAxis(min: ylo - pad, max: yhi + pad, pixels: (frame.plotBottom, frame.plotTop), count: 6)
        var svg = SVGCanvas(width: frame.width, height: frame.height)
        frame.draw(on: &svg, title: title, x: x, y: y, xLabel: xLabel, yLabel: yLabel)
        for (i, s) in series.enumerated() {
            let color = SeriesPalette.color(i).hex
            var run: [(Double, Double)] = []
            func flush() {
                if run.count > 1 { svg.polyline(run, stroke: color) }
                run = []
            }
            for (px, py) in zip(s.x, s.y) {
                if px.isFinite && py.isFinite { run.append((x.pixel(px), y.pixel(py))) } else { flush() }
            }
            flush()
            if s.x.count <= 40 {
                for (px, py) in zip(s.x, s.y) where px.isFinite && py.isFinite {
                    svg.circle(cx: x.pixel(px), cy: y.pixel(py), r: 3, fill: color)
                }
            }
        }
        frame.legend(on: &svg, entries: series.enumerated().map { ($1.name, SeriesPalette.color($0).hex, .line(dash: nil)) })
        return svg.document(title: title)
    }
}
