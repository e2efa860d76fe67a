import XCTest
@testable import Data

/// A text data set where text i is "t<i>" and the label is i % classes.
func toyTexts(count: Int = 12, classes: Int = 3) -> Dataset {
    try! Dataset(name: "words", texts: (0..<count).map { "t\($0)" }, labels: (0..<count).map { $0 % classes },
                 classNames: (0..<classes).map { "c\($0)" })
}

/// Every text of `d` still carries its own label: text "t<i>" has label i % classes.
func assertAligned(_ d: Dataset, classes: Int = 3, file: StaticString = #filePath, line: UInt = #line) {
    guard let texts = d.texts else { return XCTFail("not a text data set", file: file, line: line) }
    XCTAssertEqual(texts.count, d.labels.count, file: file, line: line)
    for (t, l) in zip(texts, d.labels) {
        XCTAssertEqual(Int(t.dropFirst())! % classes, l, "\(t) has label \(l)", file: file, line: line)
    }
}

final class TextDatasetTests: XCTestCase {
    func testInitChecksCountsLabelsAndLength() {
        assertDataError(try Dataset(name: "x", texts: ["a", "b"], labels: [0], classNames: ["c"]), ["2 texts but 1 labels"])
        assertDataError(try Dataset(name: "x", texts: ["a"], labels: [2], classNames: ["c", "d"]), ["label 2 of sample 0 is outside 0..<2"])
        assertDataError(try Dataset(name: "x", texts: ["a", String(repeating: "é", count: 500_001)], labels: [0, 0], classNames: ["c"]),
                        ["text 1 is 1000002 bytes long, over the limit of 1000000"])
        assertDataError(try Dataset(name: "x", texts: ["a", "b"], labels: [0, 0], classNames: ["c"], officialTestStart: 2),
                        ["official test start 2"])
        let d = try! Dataset(name: "x", texts: ["", "b"], labels: [0, 0], classNames: ["c"])   // an empty text is allowed
        XCTAssertTrue(d.isText)
        XCTAssertEqual(d.shape, [2])
        XCTAssertEqual(d.images, [])
        XCTAssertEqual(d.sampleShape, [0, 0, 0])
        XCTAssertFalse(toyDataset().isText)
        XCTAssertNil(toyDataset().texts)
    }

    func testSelectionsKeepTextsWithTheirLabels() throws {
        var d = toyTexts(count: 30)
        let s = try d[7]
        XCTAssertEqual(s.text, "t7")
        XCTAssertEqual(s.label, 1)
        XCTAssertEqual(s.className, "c1")
        XCTAssertEqual(s.image, [])
        XCTAssertNil(try toyDataset()[0].text)
        XCTAssertEqual(try d[3..<6].texts, ["t3", "t4", "t5"])
        XCTAssertEqual(d.subset([9, 0, 9]).texts, ["t9", "t0", "t9"])
        assertDataError(try d.checkedSubset([0, 30]), ["index 30"])
        let b = d.textBatch([4, 2])
        XCTAssertEqual(b.texts, ["t4", "t2"])
        XCTAssertEqual(b.labels, [1, 2])
        XCTAssertEqual(d.batch([4, 2]).labels, [1, 2])          // the image batch of a text set: labels, no pixels
        XCTAssertEqual(d.batch([4, 2]).images, [])
        let (a, rest) = try d.split(0.7, seed: 5)
        XCTAssertEqual(a.classCounts, [7, 7, 7])
        assertAligned(a)
        assertAligned(rest)
        XCTAssertEqual(Set(a.texts! + rest.texts!).count, 30)
        let shuffled = d.shuffled(seed: 2)
        XCTAssertNotEqual(shuffled.texts, d.texts)
        assertAligned(shuffled)
        let two = try d.classes([2, 0])
        XCTAssertEqual(two.classNames, ["c2", "c0"])
        XCTAssertEqual(Array(two.texts!.prefix(3)), ["t0", "t2", "t3"])
        XCTAssertEqual(Array(two.labels.prefix(3)), [1, 0, 1])     // relabelled: c2 -> 0, c0 -> 1
        assertAligned(try d.classes(named: ["c1"], relabel: false))
        // The official split.
        d.officialTestStart = 20
        let (train, test) = try d.officialSplit()
        XCTAssertEqual(train.texts!.last, "t19")
        XCTAssertEqual(test.texts!.first, "t20")
        XCTAssertEqual(try d.slice(10..<25).officialTestStart, 10)
        // Batches by index.
        let batches = try d.batchIndices(size: 8, seed: 3)
        XCTAssertEqual(batches.flatMap { $0 }.sorted(), Array(0..<30))
        for idx in batches {
            let (t, l) = d.textBatch(idx)
            XCTAssertEqual(t, idx.map { "t\($0)" })
            XCTAssertEqual(l, idx.map { $0 % 3 })
        }
    }

    func testImageOperationsRefuseTexts() {
        var d = toyTexts()
        d.name = "reuters-grain"
        let expected = ["'reuters-grain' holds texts, not images", "image operations (normalize, resize, augment) need an image data set"]
        assertDataError(try d.normalized(), expected + ["normalize()"])
        assertDataError(try d.normalize(), expected)
        assertDataError(try d.normalized(using: Normalization(mean: [], std: [])), expected)
        assertDataError(try d.channelStatistics(), expected + ["channel statistics"])
        assertDataError(try d.resized(to: 8), expected + ["resize"])
        assertDataError(try d.augmented(seed: 1), expected + ["augmentation"])
    }

    func testSummaryPreviewAndWrapping() throws {
        let d = try Dataset(name: "news", texts: ["Grain prices rose.", "", "Ünïcödé text with\n\ttabs and\u{1B}[31m escapes", String(repeating: "word ", count: 100)],
                            labels: [1, 0, 0, 1], classNames: ["other", "grain"], officialTestStart: 3)
        // Lengths in Unicode scalars: 18, 0, 40 (the ESC counts), 500.
        XCTAssertEqual(d.textLengths!.max, 500)
        XCTAssertEqual(d.textLengths!.mean, Double(18 + 0 + 40 + 500) / 4, accuracy: 1e-9)
        XCTAssertEqual(d.summary, "news: 4 texts, 2 classes (other 2, grain 2), characters per text: mean 140, max 500, official split 3 train + 1 test")
        let p = d.preview(nil).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(p.count, 4)
        XCTAssertEqual(p[0], "#0 grain: Grain prices rose.")
        XCTAssertEqual(p[1], "#1 other: ")
        XCTAssertEqual(p[2], "#2 other: Ünïcödé text with tabs and[31m escapes")   // whitespace collapsed, ESC dropped
        XCTAssertEqual(p[3].count, 80)
        XCTAssertTrue(p[3].hasSuffix("word…"))
        XCTAssertEqual(d.echo(), d.summary + "\n" + d.preview(nil))
        // Wrapping: 100 words of 4 letters at width 20 make 25 lines of 4 words.
        let all = d.wrappedText(3, width: 20, maxLines: 100)
        XCTAssertEqual(all.count, 25)
        XCTAssertTrue(all.allSatisfy { $0 == "word word word word" })
        let cut = d.wrappedText(3, width: 40, maxLines: 3)
        XCTAssertEqual(cut.count, 3)
        XCTAssertEqual(cut[0], "word word word word word word word word")
        // Shown: 2 full lines (39 + 1 + 39 + 1 characters) + "word word word" on the last; the text is 499 characters collapsed.
        XCTAssertEqual(cut[2], "word word word … (\(499 - 80 - 14) more characters)")
        XCTAssertTrue(cut.allSatisfy { $0.count <= 40 })
        XCTAssertEqual(d.wrappedText(1), [])
        // A word longer than a line is cut across lines.
        let long = try Dataset(name: "l", texts: [String(repeating: "x", count: 45)], labels: [0], classNames: ["a"])
        XCTAssertEqual(long.wrappedText(0, width: 20, maxLines: 5), [String(repeating: "x", count: 20), String(repeating: "x", count: 20), "xxxxx"])
    }
}
