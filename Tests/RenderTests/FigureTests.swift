import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import Files
@testable import Render

/// Small figures used by the golden, XML and determinism tests.
enum SampleFigures {
    static func reliability() -> ReliabilityDiagram {
        let bins = (0..<5).map { b -> ReliabilityBar in
            let lower = Double(b) / 5, upper = Double(b + 1) / 5
            return ReliabilityBar(lower: lower, upper: upper, count: b == 0 ? 0 : 10 * b,
                                  accuracy: b == 0 ? 0 : Double(b) / 5 - 0.05, confidence: b == 0 ? 0 : (lower + upper) / 2)
        }
        return ReliabilityDiagram(bins: bins, ece: 0.0412, title: "Digits <test> & co")
    }

    static func heatmap() throws -> HeatmapFigure {
        let a = try Grid([[0.1, 0.2, 0.3], [0.2, 0.9, 0.4], [0.1, 0.3, 0.2]])
        let b = try Grid([[0.3, 0.1, 0.0], [0.1, 0.5, 0.2], [0.0, 0.2, 0.6]])
        let base = try Grid(rows: 6, columns: 6, values: (0..<36).map { Double(($0 * 7) % 11) / 10 })
        return try HeatmapFigure(panels: [HeatmapPanel(heat: a, caption: "member 1"),
                                          HeatmapPanel(heat: b, base: base, caption: "member 2")],
                                 title: "Attention, layer 1", panelSize: 96)
    }

    static func histogram() throws -> ScoreHistogram {
        let inScores = (0..<50).map { 0.05 + 0.3 * Double(($0 * 37) % 50) / 50 }
        let outScores = (0..<30).map { 0.3 + 0.6 * Double(($0 * 11) % 30) / 30 }
        return try ScoreHistogram(inDistribution: inScores, outOfDistribution: outScores, scoreName: "predictive entropy (nats)",
                                  auroc: 0.934, binCount: 12)
    }

    static func bars() throws -> GroupedBarChart {
        try GroupedBarChart(categories: ["accuracy", "ECE", "NLL"],
                            series: [BarSeries(name: "single", values: [0.91, 0.081, 0.32]),
                                     BarSeries(name: "LoRA-Ensemble", values: [0.94, 0.035, 0.21])],
                            yLabel: "value", title: "Compare on digits")
    }

    static func lines() throws -> LineChart {
        try LineChart(series: [LineSeries(name: "train loss", y: [2.1, 1.2, 0.8, 0.6, 0.5]),
                               LineSeries(name: "val loss", y: [2.0, 1.3, 0.9, .nan, 0.7])],
                      xLabel: "epoch", yLabel: "loss", title: "Training curves")
    }

    static func all() throws -> [(String, SVGFigure)] {
        [("reliability", reliability()), ("heatmap", try heatmap()), ("histogram", try histogram()),
         ("bars", try bars()), ("lines", try lines())]
    }
}

final class FigureTests: XCTestCase {
    static let goldenDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Golden/Render")

    /// Parses `svg` as XML and returns the element names seen, in order.
    func parse(_ svg: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        final class Collector: NSObject, XMLParserDelegate {
            var names: [String] = []
            var text = ""
            func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                        qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
                names.append(elementName)
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
        }
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        XCTAssertTrue(parser.parse(), "SVG does not parse: \(String(describing: parser.parserError))", file: file, line: line)
        return collector.names
    }

    func testEveryFigureParsesAsXMLWithTitleAndLabels() throws {
        for (name, figure) in try SampleFigures.all() {
            let svg = figure.svg()
            let names = parse(svg)
            XCTAssertEqual(names.first, "svg", name)
            XCTAssertTrue(names.contains("title"), name)
            XCTAssertTrue(names.contains("text"), name)
            XCTAssertEqual(svg, figure.svg(), "\(name) is not deterministic")
        }
    }

    func testTitlesCarryTheMetric() throws {
        let reliability = SampleFigures.reliability().svg()
        XCTAssertTrue(reliability.contains("ECE 0.0412 (5 bins)"))
        XCTAssertTrue(reliability.contains("Digits &lt;test&gt; &amp; co"))
        XCTAssertTrue(reliability.contains("confidence (max probability)"))
        XCTAssertTrue(try SampleFigures.histogram().svg().contains("AUROC 0.934"))
        XCTAssertTrue(try SampleFigures.histogram().svg().contains("out-of-distribution (n = 30)"))
    }

    func testReliabilityBarsFollowAccuracy() {
        // Plot area: x 72...456, y 56...420 for [0, 1]; bin 3 (0.6, 0.8] has accuracy 0.55.
        let svg = SampleFigures.reliability().svg()
        let height = 0.55 * (420 - 56)
        let top = 420 - height
        let expected = "<rect x=\"\(NumberFormatting.svg(72 + 0.6 * 384 + 1))\" y=\"\(NumberFormatting.svg(top))\" width=\"\(NumberFormatting.svg(0.2 * 384 - 2))\" height=\"\(NumberFormatting.svg(height))\""
        XCTAssertTrue(svg.contains(expected), expected)
        // The empty first bin draws no bar at x = 73.
        XCTAssertFalse(svg.contains("<rect x=\"73\""))
    }

    func testHistogramFractionsSumToOne() throws {
        let h = try SampleFigures.histogram()
        XCTAssertEqual(h.fractions(h.inDistribution).reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(h.fractions(h.outOfDistribution).reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(h.edges().count, 13)
        // Max score lands in the last bin.
        XCTAssertGreaterThan(h.fractions([h.outOfDistribution.max()!]).last!, 0)
    }

    func testNiceAxisTicks() {
        let a = LinearAxis(min: 0.03, max: 0.94, pixels: (0, 100), count: 6)
        XCTAssertEqual(a.ticks, [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
        XCTAssertEqual(a.label(0.2), "0.2")
        let b = LinearAxis(min: 1, max: 5, pixels: (0, 100), count: 7)
        XCTAssertEqual(b.low, 1)
        XCTAssertEqual(b.high, 5)
        XCTAssertEqual(b.pixel(3), 50)
    }

    func testFigureErrors() {
        XCTAssertThrowsError(try GroupedBarChart(categories: ["a"], series: [BarSeries(name: "s", values: [1, 2])], yLabel: "", title: ""))
        XCTAssertThrowsError(try LineChart(series: [LineSeries(name: "s", x: [1], y: [])], xLabel: "", yLabel: "", title: ""))
        XCTAssertThrowsError(try ScoreHistogram(inDistribution: [], outOfDistribution: [1], scoreName: "", auroc: 0.5))
        XCTAssertThrowsError(try HeatmapFigure(panels: [], title: ""))
    }

    /// Golden files pin two small figures byte for byte. To accept a deliberate
    /// change, run with LORA_UPDATE_GOLDEN=1 and review the diff.
    func testGoldenFigures() throws {
        let update = ProcessInfo.processInfo.environment["LORA_UPDATE_GOLDEN"] == "1"
        for (name, figure) in [("reliability", SampleFigures.reliability() as SVGFigure), ("heatmap", try SampleFigures.heatmap())] {
            let url = Self.goldenDirectory.appendingPathComponent("\(name).svg")
            if update { try figure.save(to: url.path) }
            let golden = try String(contentsOf: url, encoding: .utf8)
            XCTAssertEqual(figure.svg(), golden, "\(name).svg differs from its golden file")
        }
    }

    func testAtomicSaveWritesAndReplaces() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lora-render-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("r.svg").path
        try AtomicFile.write("old", to: path)
        try SampleFigures.reliability().save(to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), SampleFigures.reliability().svg())
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["r.svg"])
        XCTAssertThrowsError(try AtomicFile.write("x", to: dir.path + "/missing/r.svg")) { error in
            XCTAssertTrue("\(error)".contains("does not exist"))
        }
    }
}

/// Writes every sample figure, the heatmap PNG and the terminal renderings into
/// $LORA_RENDER_GALLERY for review by eye; skipped when the variable is unset.
final class GalleryTests: XCTestCase {
    func testWriteGallery() throws {
        guard let dir = ProcessInfo.processInfo.environment["LORA_RENDER_GALLERY"] else {
            throw XCTSkip("set LORA_RENDER_GALLERY=<dir> to write the gallery")
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, figure) in try SampleFigures.all() {
            try figure.save(to: "\(dir)/\(name).svg")
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/\(name).svg"))
        }
        try SampleFigures.heatmap().savePNG(to: "\(dir)/heatmap.png", pixelsPerPoint: 2)
        // A 28 x 28 "digit" with a 7 x 7 attention map per member, as the REPL would show it.
        let digit = try Grid(rows: 28, columns: 28, values: (0..<784).map { i in
            let y = Double(i / 28) - 13.5, x = Double(i % 28) - 13.5
            let r = (x * x + y * y).squareRoot()
            return r > 6 && r < 10 ? 1 : 0.05
        })
        var blocks: [TextBlock] = []
        var maps: [HeatmapPanel] = []
        for m in 0..<4 {
            let heat = try Grid(rows: 7, columns: 7, values: (0..<49).map { i in
                let y = Double(i / 7), x = Double(i % 7)
                return exp(-((x - 1.5 - Double(m)) * (x - 1.5 - Double(m)) + (y - 3) * (y - 3)) / 3)
            })
            maps.append(HeatmapPanel(heat: heat, base: digit, caption: "member \(m + 1)"))
            blocks.append(try TerminalHeatmap(heat: heat, base: digit, range: (low: 0, high: 1)).render(mode: .truecolor))
        }
        try HeatmapFigure(panels: maps, title: "Class-token attention, layer 2 (mean over heads)").save(to: "\(dir)/attention.svg")
        var text = ""
        for mode in ColorMode.allCases {
            var bs: [TextBlock] = []
            for p in maps { bs.append(try TerminalHeatmap(heat: p.heat, base: p.base, range: (low: 0, high: 1)).render(mode: mode)) }
            text += TextBlock.sideBySide(bs, captions: maps.map(\.caption), gap: 2).text + "\n"
            text += ColorLegend(low: 0, high: 1).render(mode: mode, width: 24).text + "\n\n"
        }
        let table = TextTable(title: "Evaluation on digits (test, 15 ECE bins)", columns: ["model", "accuracy", "NLL", "ECE", "Brier", "parameters", "trainable"],
                              rows: [["single", 0.9123, 0.3012, 0.0712, 0.1423, 85812, 85812],
                                     ["LoRA-Ensemble (16)", 0.9452, 0.1921, 0.0234, 0.0871, 104000, 18188]])
        text += table.render() + "\n\n"
        for mode in [ColorMode.truecolor, .plain] {
            text += "\n" + SampleFigures.reliability().terminal(mode: mode).text + "\n\n"
            text += try SampleFigures.histogram().terminal(mode: mode).text + "\n\n"
            text += try SampleFigures.bars().terminal(mode: mode).text + "\n\n"
            text += try SampleFigures.lines().terminal(mode: mode).text + "\n"
        }
        try AtomicFile.write(text, to: "\(dir)/terminal.txt")
    }
}
