import Core
import Foundation
import XCTest
@testable import Data

/// Reading, inflating and parsing data files, and resizing, normalizing and
/// augmenting images, report to the thread's `WorkWatch` as they go; a watch
/// that throws (Ctrl-C) stops them at the next report, and without a watch
/// the results are those of before.
final class WorkWatchTests: XCTestCase {
    let dir = TempDir()
    struct Stop: Error {}

    /// Runs `body` with a watch recording every report; the watch throws at report `stopAt` (0: never).
    private func watched<T>(stopAt: Int = 0, _ body: () throws -> T) rethrows -> (T, [(part: String, done: Int, total: Int)]) {
        var reports: [(part: String, done: Int, total: Int)] = []
        let value = try WorkWatch.run(WorkWatch { part, done, total in
            reports.append((part, done, total))
            if reports.count == stopAt { throw Stop() }
        }, body)
        return (value, reports)
    }

    private func stops<T>(at n: Int = 1, _ what: String, _ body: () throws -> T) {
        var count = 0
        XCTAssertThrowsError(try WorkWatch.run(WorkWatch { _, _, _ in
            count += 1
            if count == n { throw Stop() }
        }, body), what) { error in XCTAssertTrue(error is Stop, "\(what): \(error)") }
        XCTAssertEqual(count, n, "\(what) went on after the watch threw")
    }

    private func gzip(_ path: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/gzip")
        p.arguments = ["-f", "-1", path]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
    }

    /// 12,000 images of 28 x 28 (9.4 MB inflated, a few kB compressed), gzip IDX.
    func testInflatingAnIDXFileReportsAndStops() throws {
        let n = 12_000
        var pixels = [UInt8](repeating: 0, count: n * 784)
        for i in 0..<n { pixels[i * 784] = UInt8(i % 251) }
        let images = dir.write("images.idx", idxBytes(dims: [n, 28, 28], data: pixels))
        let labels = dir.write("labels.idx", idxBytes(dims: [n], data: (0..<n).map { UInt8($0 % 10) }))
        try gzip(images)
        let plain = try Datasets.loadIDX(images: images + ".gz", labels: labels)
        let (again, reports) = try watched { try Datasets.loadIDX(images: images + ".gz", labels: labels) }
        XCTAssertEqual(again.images, plain.images)
        XCTAssertEqual(again.labels, plain.labels)
        // A report per 4 MB inflated: two of 9.4 MB, counted in compressed bytes read, growing.
        let inflating = reports.filter { $0.part == "inflating images.idx.gz" }
        XCTAssertEqual(inflating.count, n * 784 / FileBytes.reportEvery, "\(reports)")
        XCTAssertEqual(inflating.map(\.done), inflating.map(\.done).sorted())
        XCTAssertTrue(inflating.allSatisfy { $0.done <= $0.total && $0.total < 1 << 20 }, "\(inflating)")
        stops("loading a gzip IDX file") { try Datasets.loadIDX(images: images + ".gz", labels: labels) }
        // A raw file over 4 MB reports as it is read.
        let raw = dir.write("raw.idx", idxBytes(dims: [n, 28, 28], data: pixels))
        let (_, reading) = try watched { try Datasets.loadIDX(images: raw, labels: labels) }
        XCTAssertEqual(reading.map(\.part), ["reading raw.idx", "reading raw.idx", "reading raw.idx"])
        XCTAssertEqual(reading.last?.done, reading.last?.total)
        stops("reading a raw IDX file") { try Datasets.loadIDX(images: raw, labels: labels) }
    }

    /// CSV (numbers and texts), ARFF and fortune files report every 4,096 lines.
    func testParsingTextFilesReportsAndStops() throws {
        let rows = 10_000
        let csv = dir.write("d.csv", text: "label,a,b\n" + (0..<rows).map { "\($0 % 3),\($0 % 7),1\n" }.joined())
        let (d, reports) = try watched { try Datasets.loadCSV(csv) }
        XCTAssertEqual(d.count, rows)
        XCTAssertEqual(reports.map(\.part), ["parsing d.csv", "parsing d.csv"])
        XCTAssertEqual(d.images, try Datasets.loadCSV(csv).images)
        stops("parsing a CSV file") { try Datasets.loadCSV(csv) }
        let texts = dir.write("t.csv", text: "text,label\n" + (0..<rows).map { "\"row \($0), quoted\",\($0 % 2)\n" }.joined())
        XCTAssertEqual(try watched { try Datasets.loadTextCSV(texts) }.1.count, 2)
        stops("parsing a text CSV file") { try Datasets.loadTextCSV(texts) }
        let arff = dir.write("t.arff", text: "@relation r\n@attribute text string\n@attribute class {0,1}\n@data\n"
                                + (0..<rows).map { "'row \($0)',\($0 % 2)\n" }.joined())
        XCTAssertEqual(try watched { try Datasets.loadARFF(arff) }.1.count, 2)
        stops("parsing an ARFF file") { try Datasets.loadARFF(arff) }
        let fortunes = dir.write("fortunes", text: (0..<rows).map { "quotation \($0)\n%\n" }.joined())
        XCTAssertEqual(try watched { try Datasets.fortunes(file: fortunes) }.1.map(\.part), Array(repeating: "parsing fortunes", count: 4))
        Datasets.clearCache()   // (a loaded fortune file is kept for the process)
        stops("parsing a fortune file") { try Datasets.fortunes(file: fortunes) }
    }

    /// 2,100 images of 32 x 32: a report per 1,024 images (about a million values).
    func testImageTransformsReportAndStop() throws {
        let n = 2_100
        var rng = RNG(seed: 3, stream: .data)
        let images = (0..<(n * 1024)).map { _ in rng.uniform() }
        let data = try Dataset(name: "big", images: images, labels: (0..<n).map { $0 % 2 }, channels: 1, height: 32, width: 32,
                               classNames: ["a", "b"])
        let (resized, r) = try watched { try data.resized(to: 32) }
        XCTAssertEqual(resized.images, try data.resized(to: 32).images)
        XCTAssertEqual(r.map(\.done), [1024, 2048])
        XCTAssertTrue(r.allSatisfy { $0.part == "resizing big" && $0.total == n })
        let (normalized, nr) = try watched { try data.normalized() }
        XCTAssertEqual(normalized.images, try data.normalized().images)
        XCTAssertEqual(nr.map(\.part), ["measuring big", "measuring big", "normalizing big", "normalizing big"])
        let (augmented, ar) = try watched { try data.augmented(seed: 5) }
        XCTAssertEqual(augmented.images, try data.augmented(seed: 5).images)
        XCTAssertEqual(ar.count, n / 256)
        stops("resizing") { try data.resized(to: 32) }
        stops(at: 3, "normalizing (after measuring)") { try data.normalized() }
        stops("augmenting") { try data.augmented(seed: 5) }
    }
}
