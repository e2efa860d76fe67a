import Core
import Foundation
import XCTest
import Files

/// A large write reports to the thread's `WorkWatch` every few megabytes, and
/// a watch that throws (Ctrl-C) stops it there: the destination keeps its old
/// bytes, and no temporary stays behind.
final class WriteInterruptionTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "lora-interrupt-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    struct Stop: Error {}

    private func entries() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir).sorted() }

    func testAWatchedWriteReportsItsProgress() throws {
        let path = dir + "/big.bin"
        let size = 3 * AtomicFile.reportEvery + 5
        var reports: [(String, Int, Int)] = []
        try WorkWatch.run(WorkWatch { reports.append(($0, $1, $2)) }) {
            try AtomicFile.write([UInt8](repeating: 3, count: size), to: path)
        }
        let e = AtomicFile.reportEvery
        // Every full piece, then once more before the rename (the last chance to stop).
        XCTAssertEqual(reports.map { $0.1 }, [e, 2 * e, 3 * e, size])
        XCTAssertTrue(reports.allSatisfy { $0.0 == "writing big.bin" && $0.2 == size }, "\(reports)")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, size)
    }

    func testStoppedAfterAnyPieceLeavesTheOldFileAndNoTemporary() throws {
        let path = dir + "/big.bin"
        try AtomicFile.write("the old file", to: path)
        let size = 2 * AtomicFile.reportEvery + 1
        // Stopped at the first report, at the second, and at the last one (after the flush, before the rename).
        for stopAt in 1...3 {
            var seen = 0
            XCTAssertThrowsError(try WorkWatch.run(WorkWatch { _, _, _ in
                seen += 1
                if seen == stopAt { throw Stop() }
            }) {
                try AtomicFile.write([UInt8](repeating: 9, count: size), to: path)
            }) { error in
                XCTAssertTrue(error is Stop, "the watch's error comes through unchanged: \(error)")
            }
            XCTAssertEqual(seen, stopAt, "the write went on after the watch threw")
            XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "the old file", "stopped at report \(stopAt)")
            XCTAssertEqual(try entries(), ["big.bin"], "a temporary stayed (stopped at report \(stopAt))")
        }
        // A new file stopped midway is not created at all.
        XCTAssertThrowsError(try WorkWatch.run(WorkWatch { _, _, _ in throw Stop() }) {
            try AtomicFile.write([UInt8](repeating: 9, count: size), to: dir + "/new.bin")
        })
        XCTAssertEqual(try entries(), ["big.bin"])
    }

    func testWithoutAWatchNothingChanges() throws {
        let path = dir + "/plain.bin"
        try AtomicFile.write([UInt8](repeating: 1, count: AtomicFile.reportEvery + 3), to: path)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, AtomicFile.reportEvery + 3)
        XCTAssertFalse(WorkWatch.isWatching)
    }
}
