/// One confidence bin of a reliability diagram (Render's own copy of the
/// Uncertainty layer's `ReliabilityBin`, so Render stays standalone).
public struct ReliabilityBar: Equatable, Sendable {
    public var lower: Double
    public var upper: Double
    public var count: Int
    public var accuracy: Double
    public var confidence: Double

    public init(lower: Double, upper: Double, count: Int, accuracy: Double, confidence: Double) {
        self.lower = lower; self.upper = upper; self.count = count
        self.accuracy = accuracy; self.confidence = confidence
    }
}

/// Reliability diagram: per confidence bin, a bar of the accuracy, the gap to
/// the bin's mean confidence shaded, the diagonal of perfect calibration, and
/// the ECE (with its bin count) in the title. Empty bins draw nothing.
public struct ReliabilityDiagram: SVGFigure, Equatable, Sendable {
    public var bins: [ReliabilityBar]
    public var ece: Double
    public var title: String

    public init(bins: [ReliabilityBar], ece: Double, title: String = "Reliability diagram") {
        self.bins = bins
        self.ece = ece
        self.title = title
    }

    public func svg() -> String {
        let frame = ChartFrame(width: 480, height: 480, left: 72, right: 24, top: 56, bottom: 60)
        let x = LinearAxis(min: 0, max: 1, pixels: (frame.plotLeft, frame.plotRight), count: 6, exact: true)
        let y = LinearAxis(min: 0, max: 1, pixels: (frame.plotBottom, frame.plotTop), count: 6, exact: true)
        var svg = SVGCanvas(width: frame.width, height: frame.height)
        let fullTitle = "\(title) — ECE \(NumberFormatting.fixed(ece, decimals: 4)) (\(bins.count) bins)"
        frame.draw(on: &svg, title: fullTitle, x: x, y: y, xLabel: "confidence (max probability)", yLabel: "accuracy")
        let accuracyColor = "#3b6fb6", gapColor = "#e0564b"
        for b in bins where b.count > 0 {
            let x0 = x.pixel(b.lower) + 1, x1 = x.pixel(b.upper) - 1
            let top = y.pixel(b.accuracy)
            svg.rect(x: x0, y: top, width: x1 - x0, height: frame.plotBottom - top, fill: accuracyColor, stroke: "#1f3f73", strokeWidth: 0.8)
            let c = y.pixel(b.confidence)
            svg.rect(x: x0, y: min(top, c), width: x1 - x0, height: abs(top - c), fill: gapColor, stroke: "#a02a22", strokeWidth: 0.8, opacity: 0.45)
        }
        svg.line(x1: x.pixel(0), y1: y.pixel(0), x2: x.pixel(1), y2: y.pixel(1), stroke: "#555555", width: 1.5, dash: "6 4")
        let total = bins.reduce(0) { $0 + $1.count }
        frame.legend(on: &svg, entries: [
            ("accuracy (n = \(NumberFormatting.grouped(total)))", accuracyColor, .box(opacity: 1)),
            ("gap to mean confidence", gapColor, .box(opacity: 0.45)),
            ("perfect calibration", "#555555", .line(dash: "6 4")),
        ], corner: .start)
        return svg.document(title: fullTitle)
    }
}
