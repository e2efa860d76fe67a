import XCTest
@testable import Data

/// Missing files, folders, and broken gzip streams.
final class FileErrorTests: XCTestCase {
    let dir = TempDir()

    func testMissingFileNamesPathAndRemedy() {
        let p = dir.path + "/nope.idx"
        assertDataError(try IDXArray(path: p), [p, "no such file"])
        assertDataError(try NPYArray(path: p), [p, "no such file"])
        assertDataError(try Datasets.loadCSV(p, label: .index(0)), [p, "no such file"])
        assertDataError(try FileBytes.read(dir.path + "/sub/x"), ["no such file"])
    }

    func testDirectoryInsteadOfFile() {
        assertDataError(try IDXArray(path: dir.path), [dir.path, "is a directory"])
        assertDataError(try Datasets.loadNPY(images: dir.path, labels: dir.path), [dir.path, "is a directory"])
        assertDataError(try Datasets.loadCSV(dir.path, label: .index(0)), [dir.path, "is a directory"])
    }

    func testGzipRoundTripFromPython() throws {
        let p = dir.base64("x.gz", DataFixtures.idxImagesGz)
        let raw = try FileBytes.readRaw(p)
        XCTAssertTrue(FileBytes.isGzip(raw))
        let bytes = try FileBytes.read(p)
        XCTAssertEqual(Array(bytes[0..<4]), [0, 0, 8, 3])
        XCTAssertEqual(bytes.count, 16 + DataFixtures.idxImagesValues.count)
    }

    func testConcatenatedGzipMembers() throws {
        let a = try FileBytes.readRaw(dir.base64("a.gz", DataFixtures.idxLabelsGz))
        let joined = try FileBytes.gunzip(a + a, file: "joined.gz")
        let single = try FileBytes.gunzip(a, file: "a.gz")
        XCTAssertEqual(joined, single + single)
    }

    func testTruncatedGzip() throws {
        let full = try FileBytes.readRaw(dir.base64("a.gz", DataFixtures.idxImagesGz))
        let p = dir.write("cut.gz", Array(full[0..<(full.count - 12)]))
        assertDataError(try FileBytes.read(p), [p, "ends early", "byte \(full.count - 12)", "download or copy it again"])
        let tiny = dir.write("tiny.gz", [0x1F, 0x8B, 8, 0])
        assertDataError(try FileBytes.read(tiny), [tiny, "too short"])
    }

    func testCorruptGzipBody() throws {
        var bytes = try FileBytes.readRaw(dir.base64("a.gz", DataFixtures.idxImagesGz))
        for k in 10..<min(bytes.count - 8, 20) { bytes[k] ^= 0xA5 }
        let p = dir.write("bad.gz", bytes)
        assertDataError(try IDXArray(path: p), [p, "broken gzip data", "at byte"])
    }

    func testGzipWithWrongTrailer() throws {
        var bytes = try FileBytes.readRaw(dir.base64("a.gz", DataFixtures.idxImagesGz))
        // A trailer that claims 4 GB and a wrong CRC: zlib's check catches it,
        // and the size hint must not make us allocate 4 GB.
        let n = bytes.count
        bytes[n - 4] = 0xFF; bytes[n - 3] = 0xFF; bytes[n - 2] = 0xFF; bytes[n - 1] = 0xFF
        bytes[n - 8] ^= 0xFF
        let p = dir.write("trailer.gz", bytes)
        assertDataError(try FileBytes.read(p), [p, "broken gzip data", "incorrect data check"])
    }

    func testGarbageAfterGzipStream() throws {
        let bytes = try FileBytes.readRaw(dir.base64("a.gz", DataFixtures.idxLabelsGz))
        let p = dir.write("extra.gz", bytes + [1, 2, 3])
        assertDataError(try FileBytes.read(p), [p, "unexpected data after the end", "byte \(bytes.count)"])
    }

    func testBadGzipHeader() {
        let p = dir.write("hdr.gz", [0x1F, 0x8B, 0x07] + [UInt8](repeating: 0, count: 30))
        assertDataError(try FileBytes.read(p), [p, "broken gzip data"])
    }
}
