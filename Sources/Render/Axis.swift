import Foundation

/// A linear map from data values to pixels with "nice" ticks (1, 2, 5 x 10^k).
struct LinearAxis {
    let low: Double
    let high: Double
    let pixelLow: Double
    let pixelHigh: Double
    let ticks: [Double]
    let decimals: Int

    /// Covers [min, max] extended outward to nice tick values (about `count` ticks),
    /// unless `exact` keeps the ends as given.
    init(min lo: Double, max hi: Double, pixels: (Double, Double), count: Int = 6, exact: Bool = false) {
        var a = lo.isFinite ? lo : 0, b = hi.isFinite ? hi : 1
        if a > b { swap(&a, &b) }
        if a == b { a -= a == 0 ? 1 : abs(a) * 0.1; b += b == 0 ? 1 : abs(b) * 0.1 }
        let step = LinearAxis.niceStep((b - a) / Double(max(count - 1, 1)))
        if !exact {
            a = (a / step).rounded(.down) * step
            b = (b / step).rounded(.up) * step
        }
        var t: [Double] = []
        var v = (a / step).rounded(.up) * step
        while v <= b + step * 1e-9 {
            t.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        low = a
        high = b
        pixelLow = pixels.0
        pixelHigh = pixels.1
        ticks = t
        decimals = max(0, -Int(floor(log10(step) + 1e-9)))
    }

    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let exp = floor(log10(raw))
        let f = raw / pow(10, exp)
        let nice: Double = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10
        return nice * pow(10, exp)
    }

    func pixel(_ v: Double) -> Double {
        pixelLow + (v - low) / (high - low) * (pixelHigh - pixelLow)
    }

    func label(_ v: Double) -> String { NumberFormatting.fixed(v, decimals: decimals + (LinearAxis.needsExtraDigit(ticks) ? 1 : 0)) }

    static func needsExtraDigit(_ ticks: [Double]) -> Bool {
        // Steps of 2.5 x 10^k need one more decimal than the step's magnitude.
        guard ticks.count > 1 else { return false }
        let step = ticks[1] - ticks[0]
        let f = step / pow(10, floor(log10(step)))
        return abs(f - 2.5) < 1e-6
    }
}

/// The frame shared by the charts: title, plot area, axes, grid, labels.
struct ChartFrame {
    let width: Double
    let height: Double
    let left: Double
    let right: Double
    let top: Double
    let bottom: Double

    init(width: Double = 640, height: Double = 420, left: Double = 72, right: Double = 24, top: Double = 48, bottom: Double = 60) {
        self.width = width; self.height = height
        self.left = left; self.right = right; self.top = top; self.bottom = bottom
    }

    var plotLeft: Double { left }
    var plotRight: Double { width - right }
    var plotTop: Double { top }
    var plotBottom: Double { height - bottom }

    /// Draws the title, grid lines, axes, tick labels and axis labels.
    func draw(on svg: inout SVGCanvas, title: String, x: LinearAxis?, y: LinearAxis, xLabel: String, yLabel: String) {
        svg.text(title, x: width / 2, y: 28, size: 16, anchor: .middle, bold: true)
        for t in y.ticks {
            let py = y.pixel(t)
            svg.line(x1: plotLeft, y1: py, x2: plotRight, y2: py, stroke: "#e4e4e4")
            svg.text(y.label(t), x: plotLeft - 8, y: py + 4, size: 11, anchor: .end, fill: "#444444")
        }
        if let x {
            for t in x.ticks {
                let px = x.pixel(t)
                svg.line(x1: px, y1: plotTop, x2: px, y2: plotBottom, stroke: "#f0f0f0")
                svg.line(x1: px, y1: plotBottom, x2: px, y2: plotBottom + 5, stroke: "#444444")
                svg.text(x.label(t), x: px, y: plotBottom + 19, size: 11, anchor: .middle, fill: "#444444")
            }
        }
        svg.line(x1: plotLeft, y1: plotBottom, x2: plotRight, y2: plotBottom, stroke: "#444444")
        svg.line(x1: plotLeft, y1: plotTop, x2: plotLeft, y2: plotBottom, stroke: "#444444")
        svg.text(xLabel, x: (plotLeft + plotRight) / 2, y: height - 16, size: 13, anchor: .middle)
        let cy = (plotTop + plotBottom) / 2
        svg.text(yLabel, x: 20, y: cy, size: 13, anchor: .middle, rotate: -90)
    }

    /// A legend box in the plot's top-left (`corner` .start) or top-right (.end) corner.
    func legend(on svg: inout SVGCanvas, entries: [(label: String, color: String, style: LegendMark)], corner: SVGCanvas.Anchor = .end) {
        guard !entries.isEmpty else { return }
        let rowH = 18.0
        let w = (entries.map { textWidth($0.label, size: 11) }.max() ?? 0) + 40
        let h = Double(entries.count) * rowH + 10
        let x0 = corner == .end ? plotRight - w - 10 : plotLeft + 10
        let y0 = plotTop + 10
        svg.rect(x: x0, y: y0, width: w, height: h, fill: "#ffffff", stroke: "#cccccc", opacity: 0.9)
        for (i, e) in entries.enumerated() {
            let cy = y0 + 5 + rowH * Double(i) + rowH / 2
            switch e.style {
            case .box(let opacity):
                svg.rect(x: x0 + 8, y: cy - 6, width: 18, height: 12, fill: e.color, opacity: opacity)
            case .line(let dash):
                svg.line(x1: x0 + 8, y1: cy, x2: x0 + 26, y2: cy, stroke: e.color, width: 2, dash: dash)
            }
            svg.text(e.label, x: x0 + 32, y: cy + 4, size: 11)
        }
    }
}

enum LegendMark {
    case box(opacity: Double)
    case line(dash: String?)
}
