import XCTest
@testable import Data

final class IDXTests: XCTestCase {
    let dir = TempDir()

    func testGzipPairFromPython() throws {
        let x = dir.base64("img.gz", DataFixtures.idxImagesGz)
        let y = dir.base64("lab.gz", DataFixtures.idxLabelsGz)
        let d = try Datasets.loadIDX(images: x, labels: y)
        XCTAssertEqual(d.shape, [4, 1, 3, 2])
        XCTAssertEqual(d.labels, DataFixtures.idxLabelsValues)
        XCTAssertEqual(d.classNames, ["0", "1", "2", "3"])
        assertClose(d.images, DataFixtures.idxImagesValues.map { Float($0) / 255 })
        XCTAssertEqual(d.name, "img")
    }

    func testRawFilesAndShapes() throws {
        let x = dir.write("x", idxBytes(dims: [2, 6], data: Array(0..<12)))
        let y = dir.write("y", idxBytes(dims: [2], data: [1, 0]))
        let flat = try Datasets.loadIDX(images: x, labels: y, classNames: ["a", "b"])
        XCTAssertEqual(flat.sampleShape, [1, 1, 6])
        let shaped = try Datasets.loadIDX(images: x, labels: y, shape: [2, 1, 3], scale: .none)
        XCTAssertEqual(shaped.sampleShape, [2, 1, 3])
        XCTAssertEqual(Array(shaped.image(1)), [6, 7, 8, 9, 10, 11])
        assertDataError(try Datasets.loadIDX(images: x, labels: y, shape: [4, 4]), ["shape [4, 4]", "product is 6"])
        let sq = dir.write("sq", idxBytes(dims: [1, 2, 2, 2], data: Array(0..<8)))
        let one = dir.write("one", idxBytes(dims: [1], data: [0]))
        XCTAssertEqual(try Datasets.loadIDX(images: sq, labels: one).sampleShape, [2, 2, 2])
    }

    func testFloat32BigEndianValues() throws {
        let p = dir.base64("f.idx", DataFixtures.idxFloat32)
        let a = try IDXArray(path: p)
        XCTAssertEqual(a.type, .float32)
        XCTAssertEqual(a.dims, [2, 2, 2])
        XCTAssertEqual(a.floats(), DataFixtures.idxFloat32Values.map { Float($0) })
        assertDataError(try a.ints(), [p, "not a whole number", "entry 0"])
    }

    func testWiderIntegerTypes() throws {
        // int16 big-endian -2, 300; int32 70000
        let a = try IDXArray(bytes: idxBytes(type: 0x0B, dims: [2], data: [0xFF, 0xFE, 0x01, 0x2C]), file: "s")
        XCTAssertEqual(try a.ints(), [-2, 300])
        let b = try IDXArray(bytes: idxBytes(type: 0x0C, dims: [1], data: [0, 1, 0x11, 0x70]), file: "i")
        XCTAssertEqual(try b.ints(), [70000])
        let c = try IDXArray(bytes: idxBytes(type: 0x09, dims: [1], data: [0xFF]), file: "b")
        XCTAssertEqual(c.floats(), [-1])
    }

    func testEmptyDataSet() throws {
        let x = dir.write("x", idxBytes(dims: [0, 2, 2], data: []))
        let y = dir.write("y", idxBytes(dims: [0], data: []))
        let d = try Datasets.loadIDX(images: x, labels: y)
        XCTAssertEqual(d.count, 0)
        XCTAssertEqual(d.preview(), "")
        XCTAssertEqual(d.echo(), d.summary)
        assertDataError(try d.split(0.5, seed: 1), ["leaves one part empty"])
    }

    func testBadMagic() {
        let p = dir.write("bad", [0x50, 0x4B, 3, 4] + [UInt8](repeating: 0, count: 20))
        assertDataError(try IDXArray(path: p), [p, "bad magic number 50 4B 03 04", "at byte 0", "give an IDX file"])
        let t = dir.write("type", idxBytes(type: 0x07, dims: [1], data: [0]))
        assertDataError(try IDXArray(path: t), [t, "unknown IDX element type 0x07", "byte 2"])
        let z = dir.write("nodims", [0, 0, 8, 0])
        assertDataError(try IDXArray(path: z), [z, "0 dimensions", "byte 3"])
        let s = dir.write("short", [0, 0])
        assertDataError(try IDXArray(path: s), [s, "too short", "byte 0"])
    }

    func testTruncatedHeader() {
        let p = dir.write("hdr", [0, 0, 8, 3, 0, 0, 0, 2])
        assertDataError(try IDXArray(path: p), [p, "3 dimensions", "ends after 8 bytes"])
    }

    func testCountDisagreesWithFileSize() {
        let short = dir.write("short", idxBytes(dims: [3, 2, 2], data: [UInt8](repeating: 1, count: 10)))
        assertDataError(try IDXArray(path: short), [short, "3x2x2", "12 bytes", "only 10 bytes", "byte 4", "truncated"])
        let long = dir.write("long", idxBytes(dims: [2], data: [1, 2, 3]))
        assertDataError(try IDXArray(path: long), [long, "3 bytes of data (1 extra)"])
    }

    func testHeaderClaimingBillionsAllocatesNothing() {
        // 0xFFFFFFFF^3 items: would overflow; must fail on the size check.
        let huge = dir.write("huge", idxBytes(dims: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], data: [1, 2, 3]))
        assertDataError(try IDXArray(path: huge), [huge, "more bytes than can be addressed", "only 3 bytes"])
        let billions = dir.write("b", idxBytes(dims: [3_000_000_000], data: [1, 2]))
        assertDataError(try IDXArray(path: billions), [billions, "3000000000", "only 2 bytes"])
    }

    func testImageAndLabelCountsDiffer() {
        let x = dir.write("x", idxBytes(dims: [3, 2, 2], data: [UInt8](repeating: 0, count: 12)))
        let y = dir.write("y", idxBytes(dims: [2], data: [0, 1]))
        assertDataError(try Datasets.loadIDX(images: x, labels: y), [x, y, "3 images but 2 labels", "same number of samples"])
    }

    func testLabelProblems() {
        let x = dir.write("x", idxBytes(dims: [2, 2, 2], data: [UInt8](repeating: 0, count: 8)))
        let y2 = dir.write("y2", idxBytes(dims: [2, 2], data: [0, 1, 1, 0]))
        assertDataError(try Datasets.loadIDX(images: x, labels: y2), [y2, "expected one label per sample"])
        let neg = dir.write("neg", idxBytes(type: 0x09, dims: [2], data: [0, 0xFF]))
        assertDataError(try Datasets.loadIDX(images: x, labels: neg), [neg, "label -1 is negative", "entry 1"])
        let named = dir.write("y", idxBytes(dims: [2], data: [0, 5]))
        assertDataError(try Datasets.loadIDX(images: x, labels: named, classNames: ["a", "b"]), [named, "label 5 has no class name", "entry 1"])
        let big = dir.write("big", idxBytes(type: 0x0C, dims: [2], data: [0, 0, 0, 0, 0x7F, 0, 0, 0]))
        assertDataError(try Datasets.loadIDX(images: x, labels: big), [big, "too large for a class index", "entry 1"])
    }
}
