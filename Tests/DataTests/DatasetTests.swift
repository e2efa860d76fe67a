import XCTest
@testable import Data

final class DatasetTests: XCTestCase {
    func testInitChecksSizesAndLabels() {
        assertDataError(try Dataset(name: "x", images: [0, 0, 0], labels: [0], channels: 1, height: 2, width: 2, classNames: ["a"]),
                        ["3 pixel values", "1 images of 1x2x2"])
        assertDataError(try Dataset(name: "x", images: [0], labels: [1], channels: 1, height: 1, width: 1, classNames: ["a"]),
                        ["label 1 of sample 0 is outside 0..<1"])
        assertDataError(try Dataset(name: "x", images: [], labels: [], channels: 0, height: 1, width: 1, classNames: []),
                        ["empty side"])
    }

    func testIndexSliceSubsetBatch() throws {
        let d = toyDataset(count: 10, classes: 3)
        XCTAssertEqual(d.count, 10)
        XCTAssertEqual(d.shape, [10, 1, 2, 2])
        XCTAssertEqual(d.sampleShape, [1, 2, 2])
        XCTAssertEqual(d.classCounts, [4, 3, 3])
        let s = try d[4]
        XCTAssertEqual(s.image, [0.04, 0.04, 0.04, 0.04])
        XCTAssertEqual(s.label, 1)
        XCTAssertEqual(s.className, "c1")
        assertDataError(try d[10], ["index 10 is outside the 10 samples of toy"])
        assertDataError(try d[-1], ["index -1"])
        let sl = try d[2..<5]
        XCTAssertEqual(sl.labels, [2, 0, 1])
        XCTAssertEqual(sl.images.first, 0.02)
        assertDataError(try d.slice(5..<11), ["range 5..<11 is outside"])
        let sub = d.subset([9, 0])
        XCTAssertEqual(sub.labels, [0, 0])
        XCTAssertEqual(sub.images, [0.09, 0.09, 0.09, 0.09, 0, 0, 0, 0])
        assertDataError(try d.checkedSubset([0, 12]), ["index 12"])
        let b = d.batch([1, 3])
        XCTAssertEqual(b.labels, [1, 0])
        XCTAssertEqual(b.images, [0.01, 0.01, 0.01, 0.01, 0.03, 0.03, 0.03, 0.03])
    }

    func testOfficialSplitBoundaryFollowsSlices() throws {
        var d = toyDataset(count: 10)
        d.officialTestStart = 6
        let (tr, te) = try d.officialSplit()
        XCTAssertEqual(tr.count, 6)
        XCTAssertEqual(te.labels, [0, 1, 2, 0])
        XCTAssertEqual(try d.slice(4..<9).officialTestStart, 2)
        XCTAssertNil(try d.slice(0..<6).officialTestStart)
        XCTAssertNil(d.shuffled(seed: 1).officialTestStart)
        assertDataError(try toyDataset().officialSplit(), ["no official train/test split", ".split(fraction"])
    }

    func testStratifiedSplit() throws {
        // Unbalanced: 50 of class 0, 30 of class 1, 20 of class 2 (ordered runs).
        let labels = [Int](repeating: 0, count: 50) + [Int](repeating: 1, count: 30) + [Int](repeating: 2, count: 20)
        let d = try Dataset(name: "u", images: (0..<100).map { Float($0) }, labels: labels, channels: 1, height: 1, width: 1,
                            classNames: ["a", "b", "c"])
        let (a, b) = try d.split(0.7, seed: 3)
        XCTAssertEqual(a.count, 70)
        XCTAssertEqual(b.count, 30)
        XCTAssertEqual(a.classCounts, [35, 21, 14])
        XCTAssertEqual(b.classCounts, [15, 9, 6])
        // Disjoint, covering, in original order.
        let ids = a.images + b.images
        XCTAssertEqual(Set(ids).count, 100)
        XCTAssertEqual(a.images, a.images.sorted())
        // Same seed, same split; other seed, other split.
        XCTAssertEqual(try d.split(0.7, seed: 3).0.images, a.images)
        XCTAssertNotEqual(try d.split(0.7, seed: 4).0.images, a.images)
        // Largest remainders: 0.25 of (50, 30, 20) = 12.5, 7.5, 5 -> total 25.
        let (q, _) = try d.split(0.25, seed: 1)
        XCTAssertEqual(q.count, 25)
        XCTAssertEqual(q.classCounts.reduce(0, +), 25)
        XCTAssertEqual(q.classCounts[2], 5)
        assertDataError(try d.split(1.0, seed: 1), ["split fraction 1.0 is not between 0 and 1"])
        assertDataError(try d.split(0.001, seed: 1), ["leaves one part empty"])
    }

    func testClassesKeepAndRelabel() throws {
        let d = toyDataset(count: 9, classes: 3)
        let k = try d.classes([2, 0])
        XCTAssertEqual(k.classNames, ["c2", "c0"])
        XCTAssertEqual(k.labels, [1, 0, 1, 0, 1, 0])      // samples 0,2,3,5,6,8
        XCTAssertEqual(k.images.first, 0)
        XCTAssertEqual(k.image(1).first, 0.02)
        let kept = try d.classes([1], relabel: false)
        XCTAssertEqual(kept.labels, [1, 1, 1])
        XCTAssertEqual(kept.classNames, d.classNames)
        XCTAssertEqual(try d.classes(named: ["c1", "c2"]).labels, [0, 1, 0, 1, 0, 1])
        assertDataError(try d.classes([3]), ["class 3 is not one of the 3 classes"])
        assertDataError(try d.classes([1, 1]), ["listed twice"])
        assertDataError(try d.classes([]), ["keeps nothing"])
        assertDataError(try d.classes(named: ["dog"]), ["'dog' is not a class", "c0, c1, c2"])
    }

    func testShuffleAndBatches() throws {
        let d = toyDataset(count: 10)
        let s = d.shuffled(seed: 9)
        XCTAssertEqual(s.images.sorted(), d.images.sorted())
        XCTAssertNotEqual(s.images, d.images)
        XCTAssertEqual(d.shuffled(seed: 9).images, s.images)
        let idx = try d.batchIndices(size: 4)
        XCTAssertEqual(idx, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
        XCTAssertEqual(try d.batchIndices(size: 4, dropLast: true).count, 2)
        let shuffled = try d.batchIndices(size: 3, seed: 2)
        XCTAssertEqual(shuffled.flatMap { $0 }.sorted(), Array(0..<10))
        XCTAssertEqual(try d.batchIndices(size: 3, seed: 2), shuffled)
        let batches = try d.batches(size: 4)
        XCTAssertEqual(batches.count, 3)
        let all = Array(batches)
        XCTAssertEqual(all[2].labels, [2, 0])
        XCTAssertEqual(all[2].images.count, 8)
        assertDataError(try d.batchIndices(size: 0), ["batch size 0"])
    }

    func testNormalize() throws {
        // Two channels with different statistics.
        var px: [Float] = []
        for i in 0..<4 { px += [Float(i), Float(i), 10, 10 + Float(i) * 2] }   // c0: i,i; c1: 10, 10+2i
        let d = try Dataset(name: "n", images: px, labels: [0, 0, 0, 0], channels: 2, height: 1, width: 2, classNames: ["a"])
        let st = try d.channelStatistics()
        XCTAssertEqual(st.mean[0], 1.5, accuracy: 1e-6)
        XCTAssertEqual(st.std[0], Float(1.25).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(st.mean[1], 11.5, accuracy: 1e-6)
        XCTAssertEqual(st.std[1], Float(4.75).squareRoot(), accuracy: 1e-5)   // values 10,10,10,12,10,14,10,16
        var n = d
        try n.normalize()
        XCTAssertEqual(n.normalization, st)
        let again = try n.channelStatistics()
        XCTAssertEqual(again.mean[0], 0, accuracy: 1e-6)
        XCTAssertEqual(again.std[1], 1, accuracy: 1e-5)
        XCTAssertEqual(try n.normalized().images, n.images)                        // already normalized: unchanged
        assertClose(n.denormalizedImage(3), Array(d.image(3)), tol: 1e-5)
        // Test data with the training statistics.
        let t = try d.slice(0..<1).normalized(using: st)
        XCTAssertEqual(t.images[0], (0 - 1.5) / st.std[0], accuracy: 1e-6)
        assertDataError(try d.normalized(using: Normalization(mean: [0], std: [1])), ["1 means and 1 stds for 2 channels"])
        assertDataError(try n.normalized(using: st), ["already normalized"])
        // Constant channel keeps std 1.
        XCTAssertEqual(try toyDataset(count: 1).channelStatistics().std, [1])
    }

    func testResizeMatchesTorchBilinear() throws {
        let x = try Dataset(name: "r", images: DataFixtures.resizeInput, labels: [0, 0], channels: 2, height: 4, width: 5, classNames: ["a"])
        assertClose(try x.resized(height: 7, width: 9).images, DataFixtures.resize7x9, tol: 1e-6)
        assertClose(try x.resized(height: 3, width: 2).images, DataFixtures.resize3x2, tol: 1e-6)
        var sq = x
        try sq.resize(to: 8)
        XCTAssertEqual(sq.sampleShape, [2, 8, 8])
        assertClose(sq.images, DataFixtures.resize8x8, tol: 1e-6)
        XCTAssertEqual(try x.resized(height: 4, width: 5).images, x.images)
        assertDataError(try x.resized(to: 0), ["cannot resize to 0x0"])
    }

    func testSummaryAndPreview() throws {
        let d = try Datasets.load("digits")
        XCTAssertEqual(d.summary, "digits: 1797 images 1x8x8, 10 classes (0, 1, 2, 3, ..., 9), 174-183 per class")
        XCTAssertEqual(d.description, d.summary)
        let p = d.preview([0, 1])
        let lines = p.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 9)                        // 16 pixel rows / 2 + the label line
        XCTAssertTrue(lines[8].hasPrefix("#0 0"))
        XCTAssertTrue(lines[8].contains("#1 1"))
        XCTAssertTrue(p.contains("@"))                        // the strokes are dark-on-light full levels
        XCTAssertTrue(lines[0].allSatisfy { $0 == " " } || lines[0].isEmpty == false)
        // Sample 0's first rows: pixels (0,0,5,13,9,1,0,0) and (0,0,13,15,10,15,5,0) -> left columns blank.
        XCTAssertTrue(lines[0].hasPrefix("    "))
        let ansi = d.preview([0], ansi: true)
        XCTAssertTrue(ansi.contains("\u{1B}[38;5;"))
        XCTAssertTrue(ansi.contains("\u{2580}"))
        XCTAssertEqual(ansi.split(separator: "\n").count, 9)
        XCTAssertEqual(d.grayscale(0).count, 64)
        XCTAssertEqual(d.grayscale(0)[3], 13.0 / 16)
        // Normalized data previews the same picture.
        XCTAssertEqual(try d.normalized().preview([0]), d.preview([0]))
        let echo = d.echo(samples: 2)
        XCTAssertTrue(echo.hasPrefix(d.summary + "\n"))
        XCTAssertTrue(echo.hasSuffix(p))
        XCTAssertEqual(grey256(0), 16)
        XCTAssertEqual(grey256(1), 231)
        XCTAssertEqual(grey256(0.5), 231 + 13)   // 0.5 * 25 = 12.5 rounds to 13
    }
}
