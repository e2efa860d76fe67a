import XCTest
@testable import Render

final class TextTableTests: XCTestCase {
    func testColumnsAlignAndNumbersShareDecimals() {
        let table = TextTable(title: "Evaluation (15 ECE bins)",
                              columns: ["model", "accuracy", "ECE", "parameters"],
                              rows: [["single", 0.912, 0.081, 85812],
                                     ["LoRA-Ensemble", 0.94, 0.0352, 104000]])
        let expected = """
        Evaluation (15 ECE bins)
        model          accuracy     ECE  parameters
        ─────────────  ────────  ──────  ──────────
        single            0.912  0.0810      85,812
        LoRA-Ensemble     0.940  0.0352     104,000
        """
        XCTAssertEqual(table.render(), expected)
    }

    func testScientificColumnFixedDecimalsAndAlignment() {
        let table = TextTable(columns: ["lr", TableColumn("loss", decimals: 2), TableColumn("note", alignment: .right)],
                              rows: [[0.0001, 1.23456, "a"], [0.00003, 10.0, "long note"], [.empty, .number(.nan), "b"]],
                              ascii: true)
        let expected = """
              lr   loss       note
        --------  -----  ---------
        1.00e-04   1.23          a
        3.00e-05  10.00  long note
                    nan          b
        """
        XCTAssertEqual(table.render(), expected)
    }

    /// The HTML form holds the same formatted cells as the text, escaped, each
    /// column aligned as in the text.
    func testHTMLHasTheTextsCellsEscapedAndAligned() {
        let table = TextTable(title: "a < b & \"c\"",
                              columns: ["model", "ECE", TableColumn("note", alignment: .center)],
                              rows: [["<single>", 0.081, "x"], ["ens", 0.0352, "y's"]])
        let expected = """
        <table>
        <caption>a &lt; b &amp; &quot;c&quot;</caption>
        <thead><tr><th style="text-align: left">model</th><th style="text-align: right">ECE</th><th style="text-align: center">note</th></tr></thead>
        <tbody>
        <tr><td style="text-align: left">&lt;single&gt;</td><td style="text-align: right">0.0810</td><td style="text-align: center">x</td></tr>
        <tr><td style="text-align: left">ens</td><td style="text-align: right">0.0352</td><td style="text-align: center">y&#39;s</td></tr>
        </tbody>
        </table>
        """
        XCTAssertEqual(table.html(), expected)
        XCTAssertEqual(HTML.preformatted("a\n  <b>"), "<pre>a\n  &lt;b&gt;</pre>")
    }

    func testNumberFormatting() {
        XCTAssertEqual(NumberFormatting.svg(12.5), "12.5")
        XCTAssertEqual(NumberFormatting.svg(3.0), "3")
        XCTAssertEqual(NumberFormatting.svg(-0.001), "0")
        XCTAssertEqual(NumberFormatting.svg(0.126), "0.13")
        XCTAssertEqual(NumberFormatting.fixed(-0.0001, decimals: 2), "0.00")
        XCTAssertEqual(NumberFormatting.grouped(1234), "1,234")   // grouped from 1,000: 5,280 next to 26,208
        XCTAssertEqual(NumberFormatting.grouped(999), "999")
        XCTAssertEqual(NumberFormatting.grouped(-1234567), "-1,234,567")
        XCTAssertEqual(NumberFormatting.compact(0.034567), "0.03457")
        XCTAssertEqual(NumberFormatting.compact(2.0), "2")
        XCTAssertEqual(NumberFormatting.compact(1.5e-6), "1.50e-06")
    }

    func testDurations() {
        XCTAssertEqual(formatDuration(0.84), "0.8s")
        XCTAssertEqual(formatDuration(42.2), "42s")
        XCTAssertEqual(formatDuration(187), "3m 07s")
        XCTAssertEqual(formatDuration(3723), "1h 02m 03s")
        XCTAssertEqual(formatDuration(.nan), "?")
    }
}
