import Foundation
import Render
import Uncertainty

/// A figure: drawn in the terminal when echoed or `.plot()`ted, written as SVG
/// (or PNG for heatmaps) by `.save(path)`.
public final class FigureValue: DomainObject {
    public enum Content {
        case reliability(ReliabilityDiagram)
        case ood(ScoreHistogram, aupr: Double)
        case bars(GroupedBarChart)
        case curves(LineChart)
        case heatmap(HeatmapFigure, terminal: (ColorMode, Int) -> String)
        case tokens(TokenHeat)
    }
    public let content: Content
    /// Extra numbers the figure shows, as fields (`auroc`, `ece`, ...).
    public let numbers: [(String, Value)]

    public init(_ content: Content, numbers: [(String, Value)] = []) {
        self.content = content
        self.numbers = numbers
    }

    static func reliability(_ c: Calibration, title: String) -> FigureValue {
        let bars = c.bins.map { ReliabilityBar(lower: $0.lower, upper: $0.upper, count: $0.count, accuracy: $0.accuracy, confidence: $0.confidence) }
        return FigureValue(.reliability(ReliabilityDiagram(bins: bars, ece: c.expectedCalibrationError, title: title)),
                           numbers: [("ece", .double(c.expectedCalibrationError)), ("bins", .int(c.binCount))])
    }

    var svgFigure: SVGFigure {
        switch content {
        case .reliability(let f): return f
        case .ood(let f, _): return f
        case .bars(let f): return f
        case .curves(let f): return f
        case .heatmap(let f, _): return f
        case .tokens(let f): return f
        }
    }

    public var kind: String {
        switch content {
        case .reliability: return "reliability diagram"
        case .ood: return "OOD histogram"
        case .bars: return "bar chart"
        case .curves: return "training curves"
        case .heatmap: return "heatmap"
        case .tokens: return "token heatmap"
        }
    }

    public var title: String {
        switch content {
        case .reliability(let f): return f.title
        case .ood(let f, _): return f.title
        case .bars(let f): return f.title
        case .curves(let f): return f.title
        case .heatmap(let f, _): return f.title
        case .tokens(let f): return f.title
        }
    }

    public var typeName: String { "Figure" }
    public var summary: String { "\(kind): \(title)" }

    /// The terminal drawing in `mode`.
    public func terminal(mode: ColorMode, width: Int) -> String {
        switch content {
        case .reliability(let f): return f.terminal(mode: mode, width: max(10, min(40, width - 50))).text
        case .ood(let f, let aupr): return f.terminal(mode: mode).text + "\nAUROC \(Domain.fixed(f.auroc, 3))  AUPR \(Domain.fixed(aupr, 3))  (out-of-distribution = positive)"
        case .bars(let f): return f.terminal(mode: mode, width: max(10, min(40, width - 30))).text
        case .curves(let f): return FigureValue.thinned(f, to: max(20, min(60, width - 40))).terminal(mode: mode).text
        case .heatmap(_, let draw): return draw(mode, width)
        case .tokens(let f): return f.terminal(mode: mode, width: width)
        }
    }

    /// The chart with at most `points` evenly spaced points per series, so its
    /// terminal sparklines fit on a line (the SVG keeps every point).
    static func thinned(_ chart: LineChart, to points: Int) -> LineChart {
        let series = chart.series.map { s -> LineSeries in
            guard s.y.count > points else { return s }
            let picks = (0..<points).map { $0 * (s.y.count - 1) / (points - 1) }
            return LineSeries(name: s.name, x: picks.map { s.x[$0] }, y: picks.map { s.y[$0] })
        }
        return (try? LineChart(series: series, xLabel: chart.xLabel, yLabel: chart.yLabel, title: chart.title)) ?? chart
    }

    public func echo(_ context: Context) -> String {
        terminal(mode: Domain.colorMode(context), width: context.terminalWidth)
    }

    /// The terminal drawing as text, the SVG as the figure.
    public func display(_ context: Context) -> RichDisplay {
        RichDisplay(text: echo(context), svg: svgFigure.svg())
    }

    /// Computed: `Help` holds default `Value`s, which are not Sendable.
    static var methodList: [Help] { [
        Help("save", [.positional("path", "file name ending in .svg (any figure) or .png (heatmaps)")],
             summary: "Writes the figure to a file (atomically: a temporary file, then a rename).",
             example: "reliability(ens, test).save(\"reliability.svg\")", returns: "the path written"),
        Help("plot", [], summary: "Draws the figure in the terminal (what echoing it shows).",
             example: "fig.plot()", returns: "nil"),
    ] }
    static let baseFields: [FieldHelp] = [
        FieldHelp("svg", "the SVG document as text"),
        FieldHelp("title", "the figure's title"),
        FieldHelp("kind", "reliability diagram, OOD histogram, bar chart, training curves or heatmap"),
    ]
    public var methods: [Help] { FigureValue.methodList }
    public var fields: [FieldHelp] {
        FigureValue.baseFields + numbers.map { FieldHelp($0.0, "a number the figure shows") }
    }

    static var typeHelp: TypeHelp {
        TypeHelp(name: "Figure", summary: "A figure (reliability diagram, OOD histogram, comparison chart, training curves, heatmap): echo draws it in the terminal; .save(\"x.svg\") writes it.",
                 fields: baseFields, methods: methodList)
    }

    public func field(_ name: String) throws -> Value? {
        switch name {
        case "svg": return .string(svgFigure.svg())
        case "title": return .string(title)
        case "kind": return .string(kind)
        default: return numbers.first { $0.0 == name }?.1
        }
    }

    public func call(_ name: String, _ args: Arguments, _ context: Context) throws -> Value {
        switch name {
        case "save":
            let path = try Domain.path(args, "path")
            try FigureValue.save(svg: svgFigure, png: pngWriter, to: path, args: args)
            return .string(path)
        case "plot":
            context.echo(.object(self))
            return .null
        default:
            throw LangError(.name, "Figure has no method '\(name)'")
        }
    }

    var pngWriter: ((String) throws -> Void)? {
        if case .heatmap(let f, _) = content { return { try f.savePNG(to: $0, pixelsPerPoint: 1) } }
        return nil
    }

    /// Saves by extension: .svg always, .png when `png` is given.
    static func save(svg: SVGFigure, png: ((String) throws -> Void)?, to path: String, args: Arguments) throws {
        let ext = (path as NSString).pathExtension.lowercased()
        switch ext {
        case "svg":
            try svg.save(to: path)
        case "png":
            guard let png else {
                throw args.error("path", "this figure can only be saved as SVG",
                                 remedy: "use a .svg name; PNG export exists for heatmaps (attention maps)")
            }
            try png(path)
        default:
            throw args.error("path", "cannot tell the format of \(Value.quote(path)) from its extension",
                             remedy: png == nil ? "end the name in .svg" : "end the name in .svg or .png")
        }
    }
}
