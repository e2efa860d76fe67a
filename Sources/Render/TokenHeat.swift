/// Weights over the tokens of a text (attention over word pieces), drawn as
/// the text itself: in the terminal each token on a background from the colour
/// scale, wrapped to the width; in SVG the same, with a colour bar. Every
/// rendering also names the strongest tokens, so plain output says it too.
public struct TokenHeat: SVGFigure, Equatable, Sendable {
    public struct Row: Equatable, Sendable {
        public var caption: String
        /// One weight per token.
        public var weights: [Double]
        public init(caption: String, weights: [Double]) {
            self.caption = caption
            self.weights = weights
        }
    }

    public var tokens: [String]
    public var rows: [Row]
    public var title: String
    public var low: Double
    public var high: Double
    public var scale: ColorScale
    /// How many of the strongest tokens to name per row.
    public var strongest: Int

    public init(tokens: [String], rows: [Row], title: String, range: (low: Double, high: Double)? = nil,
                scale: ColorScale = .viridis, strongest: Int = 5) throws {
        for r in rows where r.weights.count != tokens.count {
            throw RenderError.shape("\(r.weights.count) weights for \(tokens.count) tokens in row '\(r.caption)'")
        }
        self.tokens = tokens
        self.rows = rows
        self.title = title
        let all = rows.flatMap { $0.weights }.filter(\.isFinite)
        let lo = range?.low ?? 0, hi = range?.high ?? max(all.max() ?? 1, 1e-12)
        self.low = lo
        self.high = hi > lo ? hi : lo + 1
        self.scale = scale
        self.strongest = strongest
    }

    /// Position of `w` on the scale, in [0, 1].
    func position(_ w: Double) -> Double {
        guard w.isFinite else { return 0 }
        return min(1, max(0, (w - low) / (high - low)))
    }

    /// "deficit 0.214, trade 0.153, ..." for one row.
    public func strongestTokens(_ row: Row) -> String {
        let order = row.weights.indices.sorted { row.weights[$0] > row.weights[$1] || (row.weights[$0] == row.weights[$1] && $0 < $1) }
        return order.prefix(strongest).map { "\(tokens[$0]) \(NumberFormatting.fixed(row.weights[$0], decimals: 3))" }.joined(separator: ", ")
    }

    /// Tokens wrapped to `width` columns, each on its colour (plain: as text).
    public func terminal(mode: ColorMode, width: Int) -> String {
        var out = title
        let w = max(20, width)
        for row in rows {
            out += "\n" + row.caption + ":\n"
            var line = "", used = 0
            for (t, weight) in zip(tokens, row.weights) {
                let cell = " " + t + " "
                if used > 0 && used + cell.count > w {
                    out += line + "\n"
                    line = ""; used = 0
                }
                let c = scale.color(at: position(weight))
                if mode == .plain {
                    line += cell
                } else {
                    // Dark text on light colours, light text on dark ones.
                    let luminance = 0.299 * Double(c.r) + 0.587 * Double(c.g) + 0.114 * Double(c.b)
                    let ink = luminance > 140 ? RGB(0, 0, 0) : RGB(255, 255, 255)
                    line += mode.background(c) + mode.foreground(ink) + cell + mode.reset
                }
                used += cell.count
            }
            if used > 0 { out += line + "\n" }
            out += "strongest: " + strongestTokens(row)
        }
        if mode != .plain {
            out += "\nscale: " + ColorLegend(low: low, high: high, scale: scale).render(mode: mode, width: 20).text
        }
        return out
    }

    public func svg() -> String {
        let size = 12.0, lineHeight = 20.0, margin = 16.0, maxWidth = 720.0
        // Lay out every row first to know the height.
        var layouts: [[(x: Double, y: Double, w: Double, i: Int)]] = []
        var y = margin + 24
        for _ in rows {
            y += lineHeight   // caption
            var x = margin, items: [(x: Double, y: Double, w: Double, i: Int)] = []
            for (i, t) in tokens.enumerated() {
                let w = textWidth(t, size: size) + 6
                if x + w > maxWidth - margin && x > margin { x = margin; y += lineHeight }
                items.append((x, y, w, i))
                x += w + 2
            }
            y += lineHeight + 6 + lineHeight   // last line, strongest tokens
            layouts.append(items)
        }
        let height = y + 40
        var c = SVGCanvas(width: maxWidth, height: height)
        c.text(title, x: margin, y: margin + 8, size: 13, bold: true)
        var cy = margin + 24
        for (row, items) in zip(rows, layouts) {
            cy += lineHeight
            c.text(row.caption, x: margin, y: cy - 4, size: 12, bold: true)
            for it in items {
                let col = scale.color(at: position(row.weights[it.i]))
                let luminance = 0.299 * Double(col.r) + 0.587 * Double(col.g) + 0.114 * Double(col.b)
                c.rect(x: it.x, y: it.y + 2, width: it.w, height: lineHeight - 4, fill: col.hex)
                c.text(tokens[it.i], x: it.x + 3, y: it.y + lineHeight - 6, size: size, fill: luminance > 140 ? "#000000" : "#ffffff")
            }
            cy = (items.last?.y ?? cy) + lineHeight + 6
            c.text("strongest: " + strongestTokens(row), x: margin, y: cy + 8, size: 11, fill: "#444444")
            cy += lineHeight
        }
        // Colour bar.
        let barX = margin, barY = height - 30, barW = 200.0
        for k in 0..<50 {
            let t = Double(k) / 49
            c.rect(x: barX + barW * Double(k) / 50, y: barY, width: barW / 50 + 0.5, height: 10, fill: scale.color(at: t).hex)
        }
        c.text(NumberFormatting.fixed(low, decimals: 3), x: barX, y: barY + 22, size: 10)
        c.text(NumberFormatting.fixed(high, decimals: 3), x: barX + barW, y: barY + 22, size: 10, anchor: .end)
        return c.document(title: title)
    }
}
