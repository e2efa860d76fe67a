import XCTest
@testable import Render

final class HeatmapTests: XCTestCase {
    func testColourScaleAndShadeMapping() {
        XCTAssertEqual(ColorScale.viridis.color(at: 0), RGB(hex: 0x440154))
        XCTAssertEqual(ColorScale.viridis.color(at: 1), RGB(hex: 0xfde725))
        XCTAssertEqual(ColorScale.viridis.color(at: 0.5), RGB(hex: 0x26828e))
        XCTAssertEqual(ColorScale.viridis.color(at: 2), RGB(hex: 0xfde725))
        // Halfway between the first two stops.
        XCTAssertEqual(ColorScale.viridis.color(at: 0.0625), RGB(0x46, 0x15, 0x66))
        XCTAssertEqual(ColorMode.shade(0), " ")
        XCTAssertEqual(ColorMode.shade(0.5), "+")
        XCTAssertEqual(ColorMode.shade(0.95), "@")
        XCTAssertEqual(ColorMode.shade(1), "@")
        XCTAssertEqual(ColorMode.shade(0.15), ".")
    }

    func testAnsi256Quantisation() {
        XCTAssertEqual(RGB(255, 0, 0).ansi256, 196)
        XCTAssertEqual(RGB(0, 0, 0).ansi256, 16)
        XCTAssertEqual(RGB(255, 255, 255).ansi256, 231)
        XCTAssertEqual(RGB(128, 128, 128).ansi256, 244)
        XCTAssertEqual(RGB(0, 95, 135).ansi256, 24)
    }

    func testModeDetection() {
        XCTAssertEqual(ColorMode.detect(environment: ["TERM": "xterm-256color", "COLORTERM": "truecolor"], isTerminal: true), .truecolor)
        XCTAssertEqual(ColorMode.detect(environment: ["TERM": "xterm-256color"], isTerminal: true), .ansi256)
        XCTAssertEqual(ColorMode.detect(environment: ["TERM": "xterm-256color", "COLORTERM": "truecolor"], isTerminal: false), .plain)
        XCTAssertEqual(ColorMode.detect(environment: ["TERM": "xterm", "NO_COLOR": "1"], isTerminal: true), .plain)
        XCTAssertEqual(ColorMode.detect(environment: ["TERM": "dumb"], isTerminal: true), .plain)
    }

    func testPlainHeatmapShowsShades() throws {
        let heat = try TerminalHeatmap(heat: Grid([[0, 1], [1, 0.5]]))
        let block = heat.render(mode: .plain)
        XCTAssertEqual(block.lines, ["  @@", "@@++"])
        XCTAssertEqual(block.width, 4)
    }

    func testTruecolorHeatmapUsesHalfBlocksWithBothPixels() throws {
        let heat = try TerminalHeatmap(heat: Grid([[0], [1]]), width: 1)
        // One column, 2 pixel rows: upper pixel low (dark purple), lower high (yellow).
        XCTAssertEqual(heat.pixelHeight, 2)
        XCTAssertEqual(heat.render(mode: .truecolor).lines, ["\u{1B}[38;2;68;1;84m\u{1B}[48;2;253;231;37m▀\u{1B}[0m"])
        // 256 colours: the first and last of the scale's 12 palette steps.
        // Reference: viridis's stops interpolated at (k + 0.5) / 12 and the
        // nearest xterm cube colour, computed in Python (a separate implementation).
        XCTAssertEqual(ColorScale.viridis.ansi256Levels, [53, 54, 60, 60, 60, 30, 30, 36, 36, 71, 77, 185])
        XCTAssertEqual(heat.render(mode: .ansi256).lines, ["\u{1B}[38;5;53m\u{1B}[48;5;185m▀\u{1B}[0m"])
    }

    /// In 256 colours every cell of a map is a colour of its legend (no greys or
    /// olives off the scale), and a digit under the heat stays visible.
    func testAnsi256HeatmapUsesOnlyTheLegendsColoursAndKeepsTheDigit() throws {
        var values: [[Double]] = []
        for r in 0..<8 { values.append((0..<8).map { c in Double(r * 8 + c) / 63 }) }
        // A "digit": a light vertical bar in the base image.
        let digit = try Grid((0..<16).map { _ in (0..<16).map { c in c >= 6 && c < 10 ? 1.0 : 0.0 } })
        let map = try TerminalHeatmap(heat: Grid(values), base: digit, range: (low: 0, high: 1), width: 16)
        func indices(_ text: String) -> Set<Int> {
            var out = Set<Int>()
            for part in text.components(separatedBy: "\u{1B}[").dropFirst() {
                let fields = part.split(separator: ";")
                if fields.count >= 3, fields[0] == "38" || fields[0] == "48", fields[1] == "5" { out.insert(Int(fields[2].prefix { $0.isNumber })!) }
            }
            return out
        }
        let cells = indices(map.render(mode: .ansi256).lines.joined())
        let legend = indices(map.legend(mode: .ansi256, width: 24).lines.joined())
        XCTAssertEqual(legend, Set(ColorScale.viridis.ansi256Levels))
        XCTAssertFalse(cells.contains { $0 >= 232 }, "grey-ramp colours are not on the scale: \(cells.sorted())")
        let onLegend = cells.intersection(legend), digitCells = cells.subtracting(legend)
        XCTAssertGreaterThan(onLegend.count, 6, "the heat outside the digit uses the legend's colours")
        XCTAssertFalse(digitCells.isEmpty, "the digit shows in lighter colours")
        // Same heat, inside and outside the digit: different colours.
        XCTAssertNotEqual(map.pixel256(y: 0, x: 7), map.pixel256(y: 0, x: 5))
        XCTAssertEqual(ColorScale.ansi256Step(map.normalized(map.heat.sample(y: 0, x: 7, height: 16, width: 16))),
                       ColorScale.ansi256Step(map.normalized(map.heat.sample(y: 0, x: 5, height: 16, width: 16))))
    }

    func testBaseImageIsBlendedUnderTheHeat() throws {
        let base = try Grid([[0, 1], [1, 0]])
        let heat = try TerminalHeatmap(heat: Grid([[0]]), base: base, range: (low: 0, high: 1), opacity: 0.5)
        XCTAssertEqual(heat.pixelWidth, 2)
        XCTAssertEqual(heat.pixelHeight, 2)
        let purple = RGB(hex: 0x440154)
        XCTAssertEqual(heat.pixel(y: 0, x: 0), RGB.grey(0).mixed(with: purple, 0.5))
        XCTAssertEqual(heat.pixel(y: 0, x: 1), RGB(0xa2, 0x80, 0xaa))
    }

    func testLegendAndSideBySide() throws {
        let legend = ColorLegend(low: 0, high: 0.4123).render(mode: .plain, width: 10)
        XCTAssertEqual(legend.lines, ["0 [ .:-=+*#%@] 0.412"])
        XCTAssertEqual(legend.width, legend.lines[0].count)
        let a = try TerminalHeatmap(heat: Grid([[0, 1]])).render(mode: .plain)   // 4 wide, 1 line
        let b = try TerminalHeatmap(heat: Grid([[1], [0]])).render(mode: .plain)  // 2 wide, 2 lines
        let both = TextBlock.sideBySide([a, b], captions: ["member 1", "m2"], gap: 1)
        XCTAssertEqual(both.lines[0], "  @@ @@")
        XCTAssertEqual(both.lines[1], "mem…   ")
        XCTAssertEqual(both.lines[2], "     m2")
        XCTAssertEqual(both.width, 7)
        let wrapped = TextBlock.sideBySide([a, a, a], gap: 2, maxWidth: 10)
        XCTAssertEqual(wrapped.lines, ["  @@    @@", "", "  @@"])
    }

    func testHeatmapErrors() {
        XCTAssertThrowsError(try Grid(rows: 2, columns: 2, values: [1, 2, 3]))
        XCTAssertThrowsError(try Grid([[1, 2], [3]]))
        XCTAssertThrowsError(try TerminalHeatmap(heat: Grid([[0]]), opacity: 2))
        XCTAssertThrowsError(try TerminalHeatmap(heat: Grid([[0]]), range: (low: 1, high: 0)))
    }
}

final class BaseImageTests: XCTestCase {
    func testBaseImageIsMinMaxScaled() throws {
        let raw = try Grid([[0, 255], [127.5, .nan]])
        XCTAssertEqual(raw.minMaxNormalized().values, [0, 1, 0.5, 0])
        XCTAssertEqual(try Grid([[3, 3]]).minMaxNormalized().values, [0.5, 0.5])
        let heat = try TerminalHeatmap(heat: Grid([[0]]), base: Grid([[-1, 1]]), range: (low: 0, high: 1), opacity: 0)
        XCTAssertEqual(heat.pixel(y: 0, x: 0), RGB(0, 0, 0))
        XCTAssertEqual(heat.pixel(y: 0, x: 1), RGB(255, 255, 255))
        XCTAssertEqual(HeatmapPanel(heat: try Grid([[0]]), base: try Grid([[0, 2]])).base?.values, [0, 1])
    }
}
