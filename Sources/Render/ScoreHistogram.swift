import Foundation

/// Overlaid histograms of an uncertainty score for in-distribution and
/// out-of-distribution inputs, each normalised to fractions of its own set,
/// with the AUROC of the score in the title.
public struct ScoreHistogram: SVGFigure, Equatable, Sendable {
    public var inDistribution: [Double]
    public var outOfDistribution: [Double]
    public var scoreName: String
    public var auroc: Double
    public var binCount: Int
    public var title: String

    public init(inDistribution: [Double], outOfDistribution: [Double], scoreName: String, auroc: Double,
                binCount: Int = 30, title: String = "In- vs out-of-distribution") throws {
        guard binCount > 0 else { throw RenderError.argument("a histogram needs a bin count > 0, got \(binCount)") }
        guard !inDistribution.isEmpty, !outOfDistribution.isEmpty else {
            throw RenderError.argument("the OOD histogram needs scores for both sets, got \(inDistribution.count) in-distribution and \(outOfDistribution.count) out-of-distribution")
        }
        guard (inDistribution + outOfDistribution).allSatisfy(\.isFinite) else {
            throw RenderError.argument("the OOD histogram's scores must be finite numbers")
        }
        self.inDistribution = inDistribution
        self.outOfDistribution = outOfDistribution
        self.scoreName = scoreName
        self.auroc = auroc
        self.binCount = binCount
        self.title = title
    }

    /// Shared bin edges over both sets: `binCount` equal bins from the smallest to
    /// the largest score; the last bin includes its upper edge.
    public func edges() -> [Double] {
        let all = inDistribution + outOfDistribution
        var lo = all.min()!, hi = all.max()!
        if lo == hi { lo -= 0.5; hi += 0.5 }
        return (0...binCount).map { lo + (hi - lo) * Double($0) / Double(binCount) }
    }

    /// Fraction of `values` in each bin of `edges()`.
    public func fractions(_ values: [Double]) -> [Double] {
        let e = edges()
        let lo = e[0], hi = e[binCount]
        var counts = [Int](repeating: 0, count: binCount)
        for v in values {
            let b = min(binCount - 1, max(0, Int((v - lo) / (hi - lo) * Double(binCount))))
            counts[b] += 1
        }
        return counts.map { Double($0) / Double(values.count) }
    }

    public func svg() -> String {
        let frame = ChartFrame(width: 640, height: 420)
        let e = edges()
        let fIn = fractions(inDistribution), fOut = fractions(outOfDistribution)
        let x = LinearAxis(min: e[0], max: e[binCount], pixels: (frame.plotLeft, frame.plotRight), count: 7, exact: true)
        let y = LinearAxis(min: 0, max: max(fIn.max()!, fOut.max()!) * 1.05, pixels: (frame.plotBottom, frame.plotTop), count: 6)
        var svg = SVGCanvas(width: frame.width, height: frame.height)
        let fullTitle = "\(title) — AUROC \(NumberFormatting.fixed(auroc, decimals: 3))"
        frame.draw(on: &svg, title: fullTitle, x: x, y: y, xLabel: scoreName, yLabel: "fraction of inputs")
        let colors = ["#3b6fb6", "#e07b24"]
        for (k, f) in [fIn, fOut].enumerated() {
            for b in 0..<binCount where f[b] > 0 {
                let x0 = x.pixel(e[b]), x1 = x.pixel(e[b + 1])
                let top = y.pixel(f[b])
                svg.rect(x: x0, y: top, width: x1 - x0, height: frame.plotBottom - top, fill: colors[k], stroke: colors[k], strokeWidth: 0.6, opacity: 0.5)
            }
        }
        frame.legend(on: &svg, entries: [
            ("in-distribution (n = \(NumberFormatting.grouped(inDistribution.count)))", colors[0], .box(opacity: 0.5)),
            ("out-of-distribution (n = \(NumberFormatting.grouped(outOfDistribution.count)))", colors[1], .box(opacity: 0.5)),
        ])
        return svg.document(title: fullTitle)
    }
}
