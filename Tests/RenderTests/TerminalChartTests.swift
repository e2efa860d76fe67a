import XCTest
@testable import Render

final class TerminalChartTests: XCTestCase {
    func testBarsAndSparklines() {
        XCTAssertEqual(TerminalChart.bar(0.5, width: 4, mode: .plain), "##  ")
        XCTAssertEqual(TerminalChart.bar(0.5625, width: 2, mode: .truecolor), "█▏")
        XCTAssertEqual(TerminalChart.bar(2, width: 2, mode: .plain), "##")
        XCTAssertEqual(TerminalChart.sparkline([1, 2, 3, .nan], mode: .plain), ".+@ ")
        XCTAssertEqual(TerminalChart.sparkline([1, 2, 3, .nan], mode: .truecolor), "▁▅█ ")
        let block = TerminalChart.bars(labels: ["a", "long"], values: [1, 0.5], width: 4, mode: .plain)
        XCTAssertEqual(block.lines, ["a     ####  1", "long  ##    0.5"])
    }

    func testReliabilityInTheTerminal() {
        let text = SampleFigures.reliability().terminal(mode: .plain, width: 20)
        XCTAssertEqual(text.lines[0], "Digits <test> & co — ECE 0.0412 (5 bins)")
        XCTAssertEqual(text.lines[2], "(0.00, 0.20]       0         -           -")
        XCTAssertEqual(text.lines[5], "(0.60, 0.80]      30     0.550       0.700  ###########   |     ")
    }

    func testColouredRenderingsKeepTheirVisibleWidth() throws {
        let blocks = [SampleFigures.reliability().terminal(mode: .truecolor, width: 20),
                      try SampleFigures.histogram().terminal(mode: .ansi256),
                      try SampleFigures.bars().terminal(mode: .truecolor),
                      try SampleFigures.lines().terminal(mode: .truecolor)]
        for b in blocks {
            for line in b.lines { XCTAssertLessThanOrEqual(visibleCount(line), b.width, line) }
        }
        let plain = try SampleFigures.histogram().terminal(mode: .plain)
        XCTAssertFalse(plain.text.contains("\u{1B}"))
        XCTAssertTrue(plain.text.contains("AUROC 0.934"))
        // 8 rows of columns: the tallest in-distribution bin reaches the top row.
        XCTAssertTrue(plain.lines[1].contains("#"))
        XCTAssertEqual(visibleCount("\u{1B}[38;2;1;2;3mab\u{1B}[0m"), 2)
    }
}
