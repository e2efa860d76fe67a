import Foundation

/// One panel of a heatmap figure: a grid (e.g. class-token attention over
/// patches), an optional grey-scale base image (any value range; shown min-max
/// scaled to black...white), and a caption.
public struct HeatmapPanel: Equatable, Sendable {
    public var heat: Grid
    public var base: Grid?
    public var caption: String

    public init(heat: Grid, base: Grid? = nil, caption: String = "") {
        self.heat = heat
        self.base = base?.minMaxNormalized()
        self.caption = caption
    }
}

/// One or more heatmaps in a grid of panels with captions, a shared colour
/// range and a colour-scale bar with ticks. Over a base image the heat cells are
/// drawn with `opacity` over the grey pixels.
public struct HeatmapFigure: SVGFigure, Equatable, Sendable {
    public var panels: [HeatmapPanel]
    public var columns: Int
    public var title: String
    public var low: Double
    public var high: Double
    public var scale: ColorScale
    public var opacity: Double
    /// Side of one panel in pixels.
    public var panelSize: Double

    public init(panels: [HeatmapPanel], columns: Int? = nil, title: String, range: (low: Double, high: Double)? = nil,
                scale: ColorScale = .viridis, opacity: Double = 0.65, panelSize: Double = 160) throws {
        guard !panels.isEmpty else { throw RenderError.argument("a heatmap figure needs at least one panel") }
        if let columns, columns < 1 { throw RenderError.argument("a heatmap figure needs columns >= 1, got \(columns)") }
        let all = panels.flatMap { $0.heat.values }.filter(\.isFinite)
        let r = range ?? (low: all.min() ?? 0, high: all.max() ?? 1)
        guard r.low <= r.high else { throw RenderError.argument("heatmap range needs low <= high, got \(r.low)...\(r.high)") }
        self.panels = panels
        self.columns = min(columns ?? min(panels.count, 4), panels.count)
        self.title = title
        self.low = r.low
        self.high = r.high
        self.scale = scale
        self.opacity = opacity
        self.panelSize = panelSize
    }

    func normalized(_ v: Double) -> Double {
        high > low ? max(0, min(1, (v - low) / (high - low))) : 0.5
    }

    /// Pixel layout shared by the SVG and PNG renderers.
    struct Layout {
        let cellW: Double, cellH: Double, gap: Double, top: Double, left: Double, captionH: Double
        let barX: Double, barW: Double, width: Double, height: Double
    }

    func layout() -> Layout {
        let rows = (panels.count + columns - 1) / columns
        let gap = 16.0, top = 52.0, left = 16.0, captionH = 22.0
        let barX = left + Double(columns) * (panelSize + gap) + 4
        return Layout(cellW: panelSize, cellH: panelSize, gap: gap, top: top, left: left, captionH: captionH,
                      barX: barX, barW: 16, width: barX + 16 + 56,
                      height: top + Double(rows) * (panelSize + captionH + gap) + 8)
    }

    /// Origin of panel `i`.
    func origin(_ i: Int, _ l: Layout) -> (x: Double, y: Double) {
        (l.left + Double(i % columns) * (l.cellW + l.gap), l.top + Double(i / columns) * (l.cellH + l.captionH + l.gap))
    }

    public func svg() -> String {
        let l = layout()
        var svg = SVGCanvas(width: l.width, height: l.height)
        svg.text(title, x: l.width / 2, y: 30, size: 16, anchor: .middle, bold: true)
        for (i, p) in panels.enumerated() {
            let o = origin(i, l)
            if let base = p.base, let png = try? greyPNG(base) {
                // The base image as an embedded PNG, one raster pixel per base pixel, drawn unsmoothed.
                svg.raw("<image x=\"\(SVGCanvas.n(o.x))\" y=\"\(SVGCanvas.n(o.y))\" width=\"\(SVGCanvas.n(l.cellW))\" height=\"\(SVGCanvas.n(l.cellH))\" preserveAspectRatio=\"none\" image-rendering=\"pixelated\" style=\"image-rendering:pixelated\" href=\"data:image/png;base64,\(Data(png).base64EncodedString())\"/>")
            }
            svg.raw("<g shape-rendering=\"crispEdges\">")
            let hw = l.cellW / Double(p.heat.columns), hh = l.cellH / Double(p.heat.rows)
            for r in 0..<p.heat.rows {
                for c in 0..<p.heat.columns {
                    let color = scale.color(at: normalized(p.heat[r, c])).hex
                    svg.rect(x: o.x + Double(c) * hw, y: o.y + Double(r) * hh, width: hw + (p.base == nil ? 0.3 : 0), height: hh + (p.base == nil ? 0.3 : 0),
                             fill: color, opacity: p.base == nil ? nil : opacity)
                }
            }
            svg.raw("</g>")
            svg.rect(x: o.x, y: o.y, width: l.cellW, height: l.cellH, fill: "none", stroke: "#888888", strokeWidth: 0.8)
            svg.text(p.caption, x: o.x + l.cellW / 2, y: o.y + l.cellH + 16, size: 12, anchor: .middle)
        }
        // Colour scale: a vertical gradient through the scale's stops, low at the bottom, nice ticks.
        let barTop = l.top, barH = l.cellH
        var gradient = "<defs><linearGradient id=\"colour-scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
        for (k, stop) in scale.stops.enumerated() {
            gradient += "<stop offset=\"\(SVGCanvas.n(Double(k) / Double(scale.stops.count - 1)))\" stop-color=\"\(stop.hex)\"/>"
        }
        svg.raw(gradient + "</linearGradient></defs>")
        svg.rect(x: l.barX, y: barTop, width: l.barW, height: barH, fill: "url(#colour-scale)", stroke: "#888888", strokeWidth: 0.8)
        if high > low {
            let axis = LinearAxis(min: low, max: high, pixels: (barTop + barH, barTop), count: 5, exact: true)
            for v in axis.ticks {
                let y = axis.pixel(v)
                svg.line(x1: l.barX + l.barW, y1: y, x2: l.barX + l.barW + 4, y2: y, stroke: "#444444")
                svg.text(axis.label(v), x: l.barX + l.barW + 6, y: y + 4, size: 10, anchor: .start, fill: "#444444")
            }
        } else {
            svg.text(NumberFormatting.compact(low, significant: 3), x: l.barX + l.barW + 6, y: barTop + barH / 2 + 4, size: 10, anchor: .start, fill: "#444444")
        }
        return svg.document(title: title)
    }
}

/// A grey-scale grid (values in [0, 1]) as a PNG.
func greyPNG(_ g: Grid) throws -> [UInt8] {
    var rgb: [UInt8] = []
    rgb.reserveCapacity(g.values.count * 3)
    for v in g.values {
        let c = RGB.grey(v)
        rgb += [c.r, c.g, c.b]
    }
    return try PNGEncoder.encode(width: g.columns, height: g.rows, rgb: rgb)
}
