import XCTest
@testable import Data

final class CSVTests: XCTestCase {
    let dir = TempDir()

    func testHeaderDetectedAndLabelByName() throws {
        let p = dir.write("d.csv", text: "p0,p1,label,p2,p3\n0,255,1,51,102\n255,0,0,0,0\n")
        let d = try Datasets.loadCSV(p, label: .name("label"))
        XCTAssertEqual(d.shape, [2, 1, 2, 2])
        XCTAssertEqual(d.labels, [1, 0])
        assertClose(d.images, [0, 1, 0.2, 0.4, 1, 0, 0, 0])   // 0...255 whole numbers scaled by 1/255
        XCTAssertEqual(d.classNames, ["0", "1"])
        XCTAssertEqual(d.name, "d")
        // auto finds "label"
        XCTAssertEqual(try Datasets.loadCSV(p).labels, [1, 0])
    }

    func testNoHeaderLabelByIndexAndShape() throws {
        let p = dir.write("n.csv", text: "# comment\n\n0.5,0.25,2\r\n1,0,0\n")
        let d = try Datasets.loadCSV(p, label: .index(-1), shape: [1, 2])
        XCTAssertEqual(d.shape, [2, 1, 1, 2])
        XCTAssertEqual(d.images, [0.5, 0.25, 1, 0])              // already in [0, 1]: kept
        XCTAssertEqual(d.labels, [2, 0])
        XCTAssertEqual(d.classNames, ["0", "1", "2"])
        let raw = try Datasets.loadCSV(p, label: .index(2), header: false, scale: .divide(0.5))
        XCTAssertEqual(raw.images, [1, 0.5, 2, 0])
        XCTAssertEqual(raw.sampleShape, [1, 1, 2])
    }

    func testStringLabelsAndQuotes() throws {
        let p = dir.write("s.csv", text: "\"name, full\",a,b\ncat,1e1,-2\n\"dog\",3.5,4\ncat,0,0\n")
        let d = try Datasets.loadCSV(p, label: .index(0))
        XCTAssertEqual(d.classNames, ["cat", "dog"])
        XCTAssertEqual(d.labels, [0, 1, 0])
        XCTAssertEqual(d.images, [10, -2, 3.5, 4, 0, 0])           // not pixels: kept as they are
        XCTAssertEqual(d.sampleShape, [1, 1, 2])
    }

    func testQuotedLinesAmongPlainOnesKeepOrder() throws {
        let p = dir.write("m.csv", text: "label,a,b\n1,2,3\n\"0\",4,\"5\"\n1,6,7\n")
        let d = try Datasets.loadCSV(p, scale: .none)
        XCTAssertEqual(d.labels, [1, 0, 1])
        XCTAssertEqual(d.images, [2, 3, 4, 5, 6, 7])
        let r = dir.write("r2.csv", text: "label,a,b\n1,2,3\n\"0\",4\n")
        assertDataError(try Datasets.loadCSV(r), [r, "line 3", "2 fields but line 1 has 3"])
    }

    func testRaggedRowNamesLine() {
        let p = dir.write("r.csv", text: "label,a,b\n1,2,3\n0,1\n")
        assertDataError(try Datasets.loadCSV(p), [p, "line 3", "2 fields but line 1 has 3", "same number of fields"])
    }

    func testNonNumericNamesLineAndColumn() {
        let p = dir.write("x.csv", text: "label,a,b\n1,2,3\n\n0,1,abc\n")
        assertDataError(try Datasets.loadCSV(p), [p, "line 4, column 3", "'abc'", "('b')", "not a number"])
        let q = dir.write("y.csv", text: "1,2,3\n0,x,3\n")
        assertDataError(try Datasets.loadCSV(q, label: .index(0)), [q, "line 2, column 2", "'x'"])
    }

    func testLabelColumnProblems() {
        let p = dir.write("l.csv", text: "a,b,c\n1,2,3\n")
        assertDataError(try Datasets.loadCSV(p), [p, "cannot tell which column holds the label", "label: 0"])
        assertDataError(try Datasets.loadCSV(p, label: .name("target")), [p, "no column named 'target'", "a, b, c"])
        assertDataError(try Datasets.loadCSV(p, label: .index(7)), [p, "label column 7 is outside the 3 columns"])
        let e = dir.write("e.csv", text: "label,a\n,2\n")
        assertDataError(try Datasets.loadCSV(e), [e, "label is empty", "line 2, column 1"])
        let neg = dir.write("neg.csv", text: "label,a\n-1,2\n")
        XCTAssertEqual(try Datasets.loadCSV(neg).classNames, ["-1"])       // not indices: a name
        let big = dir.write("big.csv", text: "label,a\n0,1\n99999999,2\n")
        assertDataError(try Datasets.loadCSV(big), [big, "label 99999999 is too large", "line 3"])
    }

    func testEmptyAndHeaderOnly() {
        let e = dir.write("e.csv", text: "\n\n")
        assertDataError(try Datasets.loadCSV(e, label: .index(0)), [e, "no rows"])
        let h = dir.write("h.csv", text: "label,a\n")
        assertDataError(try Datasets.loadCSV(h), [h, "header but no data rows"])
        let one = dir.write("one.csv", text: "3\n4\n")
        assertDataError(try Datasets.loadCSV(one, label: .index(0)), [one, "at least one feature"])
    }

    func testUnclosedQuoteAndBinary() {
        let q = dir.write("q.csv", text: "label,a\n1,\"2\n")
        assertDataError(try Datasets.loadCSV(q), [q, "line 2", "not closed"])
        let b = dir.write("b.csv", [0x31, 0x2C, 0x00, 0x32, 0x0A])
        assertDataError(try Datasets.loadCSV(b, label: .index(0)), [b, "line 1", "NUL bytes"])
    }

    func testShapeArgumentChecked() {
        let p = dir.write("s.csv", text: "label,a,b,c\n1,2,3,4\n")
        assertDataError(try Datasets.loadCSV(p, shape: [2, 2]), [p, "shape [2, 2]", "product is 3"])
    }

    func testNumberParser() {
        XCTAssertEqual(parseNumber(" 12.5 "), 12.5)
        XCTAssertEqual(parseNumber("-0.125"), -0.125)
        XCTAssertEqual(parseNumber("+3"), 3)
        XCTAssertEqual(parseNumber("1.5e-3"), 1.5e-3)
        XCTAssertEqual(parseNumber(".5"), 0.5)
        XCTAssertNil(parseNumber(""))
        XCTAssertNil(parseNumber("1.2.3"))
        XCTAssertNil(parseNumber("-"))
        XCTAssertNil(parseNumber("12a"))
    }
}
