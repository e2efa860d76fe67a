/// A heatmap for the terminal: each value as a coloured block, optionally laid
/// over a grey-scale base image (the input the attention map belongs to).
///
/// The heat grid is stretched (nearest cell) over a raster of `pixelWidth` x
/// `pixelHeight` pixels; in colour modes each text cell shows two pixels, one
/// above the other, with "▀" (foreground = upper pixel, background = lower),
/// so pixels come out roughly square. Over a base image each pixel is
/// (1 - opacity) * grey + opacity * colour. In 256-colour mode blends would
/// land on greys and olives that are not on the scale, so every pixel is one
/// of the scale's `ColorScale.ansi256Steps` palette colours (those of the
/// legend), and the base image shows as a brighter variant of that colour
/// where it is light (the digit stays visible). In plain mode each text cell is
/// the shade (" .:-=+*#%@") of the mean heat of its two pixels; the base image is not shown.
public struct TerminalHeatmap: Equatable, Sendable {
    public let heat: Grid
    public let base: Grid?
    /// Values mapped to the bottom and top of the colour scale.
    public let low: Double
    public let high: Double
    public let scale: ColorScale
    public let opacity: Double
    public let pixelWidth: Int
    public let pixelHeight: Int

    /// - Parameters:
    ///   - range: values shown at the ends of the colour scale (default: the grid's min and max).
    ///   - base: a grey-scale image of any size and value range (shown min-max scaled to
    ///     black...white); the raster takes its size unless `width` is given.
    ///   - width: raster width in pixels (= terminal columns); default base width, else 2 per heat column.
    public init(heat: Grid, base: Grid? = nil, range: (low: Double, high: Double)? = nil,
                scale: ColorScale = .viridis, opacity: Double = 0.65, width: Int? = nil) throws {
        guard opacity >= 0, opacity <= 1 else {
            throw RenderError.argument("heatmap opacity must be in [0, 1], got \(opacity)")
        }
        if let width, width < 1 {
            throw RenderError.argument("heatmap width must be at least 1 column, got \(width)")
        }
        let natural = heat.finiteRange
        let r = range ?? (low: natural.min, high: natural.max)
        guard r.low.isFinite, r.high.isFinite, r.low <= r.high else {
            throw RenderError.argument("heatmap range must be finite with low <= high, got \(r.low)...\(r.high)")
        }
        self.heat = heat
        self.base = base?.minMaxNormalized()
        self.low = r.low
        self.high = r.high
        self.scale = scale
        self.opacity = opacity
        let naturalWidth = base?.columns ?? heat.columns * 2
        let naturalHeight = base?.rows ?? heat.rows * 2
        let w = width ?? naturalWidth
        pixelWidth = w
        pixelHeight = max(1, Int((Double(naturalHeight) * Double(w) / Double(naturalWidth)).rounded()))
    }

    /// Position of `v` on the colour scale, in [0, 1] (0.5 when the range is a single value).
    public func normalized(_ v: Double) -> Double {
        guard high > low else { return 0.5 }
        return max(0, min(1, (v - low) / (high - low)))
    }

    /// The colour of raster pixel (y, x).
    public func pixel(y: Int, x: Int) -> RGB {
        let t = normalized(heat.sample(y: y, x: x, height: pixelHeight, width: pixelWidth))
        let c = scale.color(at: t)
        guard let base else { return c }
        let g = base.sample(y: y, x: x, height: pixelHeight, width: pixelWidth)
        return RGB.grey(g).mixed(with: c, opacity)
    }

    /// The palette index of raster pixel (y, x) in 256-colour mode: the scale's
    /// step for its heat; over a light part of the base image (above 0.5), the
    /// step's colour lightened towards white by the opacity's complement.
    public func pixel256(y: Int, x: Int) -> Int { pixel256(y: y, x: x, levels: levels256, light: lightLevels256) }

    func pixel256(y: Int, x: Int, levels: [Int], light: [Int]) -> Int {
        let t = normalized(heat.sample(y: y, x: x, height: pixelHeight, width: pixelWidth))
        let k = ColorScale.ansi256Step(t)
        guard let base, base.sample(y: y, x: x, height: pixelHeight, width: pixelWidth) > 0.5 else { return levels[k] }
        return light[k]
    }

    var levels256: [Int] { scale.ansi256Levels }
    var lightLevels256: [Int] {
        (0..<ColorScale.ansi256Steps).map { k in
            let c = scale.color(at: (Double(k) + 0.5) / Double(ColorScale.ansi256Steps))
            return c.mixed(with: RGB(255, 255, 255), max(0.45, 1 - opacity)).ansi256Cube
        }
    }

    /// The heatmap as text for `mode`; width = `pixelWidth` columns, height = ⌈pixelHeight / 2⌉ lines.
    public func render(mode: ColorMode) -> TextBlock {
        var lines: [String] = []
        let (levels, light) = mode == .ansi256 ? (levels256, lightLevels256) : ([], [])
        var y = 0
        while y < pixelHeight {
            var line = ""
            if mode == .plain {
                for x in 0..<pixelWidth {
                    var t = normalized(heat.sample(y: y, x: x, height: pixelHeight, width: pixelWidth))
                    if y + 1 < pixelHeight {
                        t = (t + normalized(heat.sample(y: y + 1, x: x, height: pixelHeight, width: pixelWidth))) / 2
                    }
                    line.append(ColorMode.shade(t))
                }
            } else if mode == .ansi256 {
                var lastTop: Int? = nil, lastBottom: Int? = nil
                for x in 0..<pixelWidth {
                    let top = pixel256(y: y, x: x, levels: levels, light: light)
                    if top != lastTop { line += ColorMode.foreground256(top); lastTop = top }
                    if y + 1 < pixelHeight {
                        let bottom = pixel256(y: y + 1, x: x, levels: levels, light: light)
                        if bottom != lastBottom { line += ColorMode.background256(bottom); lastBottom = bottom }
                    }
                    line += "▀"
                }
                line += mode.reset
            } else {
                var lastTop: RGB? = nil, lastBottom: RGB? = nil
                for x in 0..<pixelWidth {
                    let top = pixel(y: y, x: x)
                    if top != lastTop { line += mode.foreground(top); lastTop = top }
                    if y + 1 < pixelHeight {
                        let bottom = pixel(y: y + 1, x: x)
                        if bottom != lastBottom { line += mode.background(bottom); lastBottom = bottom }
                    }
                    line += "▀"
                }
                line += mode.reset
            }
            lines.append(line)
            y += 2
        }
        return TextBlock(lines: lines, width: pixelWidth)
    }

    /// A one-line colour scale: "low ▕gradient▏ high" (plain: the shade ramp).
    public func legend(mode: ColorMode, width: Int = 20) -> TextBlock {
        ColorLegend(low: low, high: high, scale: scale).render(mode: mode, width: width)
    }
}

/// A horizontal colour scale with its end values.
public struct ColorLegend: Equatable, Sendable {
    public let low: Double
    public let high: Double
    public let scale: ColorScale

    public init(low: Double, high: Double, scale: ColorScale = .viridis) {
        self.low = low
        self.high = high
        self.scale = scale
    }

    /// "0.000 ▕█████▏ 0.412" with `width` gradient cells; plain mode uses
    /// "0.000 [ .:-=+*#%@] 0.412" (the shades stretched to `width`).
    public func render(mode: ColorMode, width: Int = 20) -> TextBlock {
        let w = max(2, width)
        let lo = NumberFormatting.compact(low, significant: 3)
        let hi = NumberFormatting.compact(high, significant: 3)
        var bar = ""
        let levels = mode == .ansi256 ? scale.ansi256Levels : []
        for i in 0..<w {
            let t = (Double(i) + 0.5) / Double(w)
            switch mode {
            case .plain: bar.append(ColorMode.shade(t))
            case .ansi256: bar += ColorMode.foreground256(levels[ColorScale.ansi256Step(t)]) + "█"
            case .truecolor: bar += mode.foreground(scale.color(at: t)) + "█"
            }
        }
        let line = mode == .plain ? "\(lo) [\(bar)] \(hi)" : "\(lo) ▕\(bar)\(mode.reset)▏ \(hi)"
        return TextBlock(lines: [line], width: lo.count + hi.count + w + 4)
    }
}
