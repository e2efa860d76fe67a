import XCTest
@testable import Data

final class NPYTests: XCTestCase {
    let dir = TempDir()

    func check(_ b64: String, shape: [Int], values: [Double], type: NPYType, file: StaticString = #filePath, line: UInt = #line) throws {
        let p = dir.base64("a.npy", b64)
        let a = try NPYArray(path: p)
        XCTAssertEqual(a.shape, shape, file: file, line: line)
        XCTAssertEqual(a.type, type, file: file, line: line)
        XCTAssertEqual(a.floats(), values.map { Float($0) }, file: file, line: line)
    }

    func testEachDtypeWrittenByNumpy() throws {
        try check(DataFixtures.npyUInt8, shape: DataFixtures.npyUInt8Shape, values: DataFixtures.npyUInt8Values, type: .uint8)
        try check(DataFixtures.npyFloat32, shape: DataFixtures.npyFloat32Shape, values: DataFixtures.npyFloat32Values, type: .float32)
        try check(DataFixtures.npyFloat64, shape: DataFixtures.npyFloat64Shape, values: DataFixtures.npyFloat64Values, type: .float64)
        try check(DataFixtures.npyInt64, shape: DataFixtures.npyInt64Shape, values: DataFixtures.npyInt64Values, type: .int64)
        try check(DataFixtures.npyFloat32V2, shape: DataFixtures.npyFloat32V2Shape, values: DataFixtures.npyFloat32V2Values, type: .float32)
        XCTAssertEqual(try NPYArray(path: dir.base64("l.npy", DataFixtures.npyInt64)).ints(), [2, 0, 1])
    }

    func testDatasetFromNPY() throws {
        let x = dir.base64("x.npy", DataFixtures.npyUInt8)     // (3, 2, 4) uint8
        let y = dir.base64("y.npy", DataFixtures.npyInt64)     // [2, 0, 1]
        let d = try Datasets.loadNPY(images: x, labels: y, classNames: ["a", "b", "c"])
        XCTAssertEqual(d.shape, [3, 1, 2, 4])
        XCTAssertEqual(d.labels, [2, 0, 1])
        assertClose(d.images, DataFixtures.npyUInt8Values.map { Float($0) / 255 })
        XCTAssertEqual(try d.sample(0).className, "c")
        // float64 (2, 1, 2, 3): NCHW, kept as is (not pixels in [0,1])
        let f = dir.base64("f.npy", DataFixtures.npyFloat64)
        let l2 = dir.write("l2.npy", Array(Foundation_b64(DataFixtures.npyInt64)))
        assertDataError(try Datasets.loadNPY(images: f, labels: l2), [f, l2, "2 images but 3 labels"])
    }

    func testFortranOrderRefused() {
        let p = dir.base64("f.npy", DataFixtures.npyFortran)
        assertDataError(try NPYArray(path: p), [p, "Fortran", "ascontiguousarray"])
    }

    func testUnsupportedDtypes() {
        let i32 = dir.base64("i.npy", DataFixtures.npyInt32)
        assertDataError(try NPYArray(path: i32), [i32, "unsupported NPY dtype '<i4'", "supported: uint8, float32, float64, int64", "astype"])
        let be = dir.base64("b.npy", DataFixtures.npyBigEndian)
        assertDataError(try NPYArray(path: be), [be, "big-endian f4"])
        let st = dir.base64("s.npy", DataFixtures.npyStructured)
        assertDataError(try NPYArray(path: st), [st, "structured arrays are not supported"])
    }

    func testCorruptFiles() throws {
        let good = Foundation_b64(DataFixtures.npyFloat32)
        let magic = dir.write("m.npy", [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x5A] + Array(good[6...]))
        assertDataError(try NPYArray(path: magic), [magic, "bad magic number", "byte 0"])
        let short = dir.write("s.npy", Array(good[0..<7]))
        assertDataError(try NPYArray(path: short), [short, "too short"])
        let cut = dir.write("c.npy", Array(good[0..<(good.count - 5)]))
        assertDataError(try NPYArray(path: cut), [cut, "shape (3, 5)", "60 bytes", "holds 55 bytes"])
        let hdr = dir.write("h.npy", Array(good[0..<40]))
        assertDataError(try NPYArray(path: hdr), [hdr, "header claims", "ends after 40"])
        var v9 = good; v9[6] = 9
        let ver = dir.write("v.npy", v9)
        assertDataError(try NPYArray(path: ver), [ver, "version 9"])
    }

    func testHeaderClaimingBillions() {
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (4000000000, 100000), }"
        var h = Array(header.utf8)
        while (10 + h.count + 1) % 64 != 0 { h.append(0x20) }
        h.append(0x0A)
        let bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h.count & 0xFF), UInt8(h.count >> 8)] + h + [1, 2, 3, 4]
        let p = dir.write("huge.npy", bytes)
        assertDataError(try NPYArray(path: p), [p, "(4000000000, 100000)", "holds 4 bytes"])
        let ovf = header.replacingOccurrences(of: "(4000000000, 100000)", with: "(4000000000, 4000000000, 4000000000)")
        var h2 = Array(ovf.utf8); h2.append(0x0A)
        let p2 = dir.write("ovf.npy", [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h2.count & 0xFF), UInt8(h2.count >> 8)] + h2)
        assertDataError(try NPYArray(path: p2), [p2, "more bytes than can be addressed"])
    }

    func testScalarAndEmptyArrays() throws {
        func npy(_ shape: String, _ data: [UInt8]) -> [UInt8] {
            var h = Array("{'descr': '|u1', 'fortran_order': False, 'shape': \(shape), }".utf8)
            h.append(0x0A)
            return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h.count), 0] + h + data
        }
        let scalar = dir.write("s.npy", npy("()", [7]))
        let labels = dir.write("l.npy", npy("(1,)", [0]))
        XCTAssertEqual(try NPYArray(path: scalar).floats(), [7])
        assertDataError(try Datasets.loadNPY(images: scalar, labels: labels), [scalar, "a single number"])
        assertDataError(try Datasets.loadNPY(images: labels, labels: scalar), [scalar, "expected one label per sample"])
        let bad = dir.write("b.npy", npy("(2, x)", [0, 0]))
        assertDataError(try NPYArray(path: bad), [bad, "unreadable NPY header", "shape entry 'x'"])
        let x = dir.write("x.npy", npy("(1, 2)", [0, 255]))
        assertDataError(try Datasets.loadNPY(images: x, labels: labels, scale: .divide(0)), ["divide(0.0) is not a positive number"])
        let d = try Datasets.loadNPY(images: x, labels: labels, scale: .divide(510))
        XCTAssertEqual(d.images, [0, 0.5])
    }

    func testFloatLabelsMustBeWhole() {
        let f = dir.base64("f.npy", DataFixtures.npyFloat32)
        assertDataError(try NPYArray(path: f).ints(), [f, "not a whole number", "entry 0"])
    }
}

import Foundation
func Foundation_b64(_ s: String) -> [UInt8] { Array(Foundation.Data(base64Encoded: s)!) }
