import Foundation
import XCTest
@testable import Data

/// An NPY v1 file: `descr` such as "<f4" or "|u1", a shape like "(2, 3)", data.
func npyBytes(_ descr: String, _ shape: String, _ data: [UInt8]) -> [UInt8] {
    var h = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }".utf8)
    h.append(0x0A)
    return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h.count & 0xFF), UInt8(h.count >> 8)] + h + data
}

/// CRC-32 (IEEE 802.3, reflected 0xEDB88320), bit by bit: independent of zlib.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
    }
    return ~c
}

/// A gzip member holding `data` in stored (uncompressed) deflate blocks,
/// written by hand from RFC 1951/1952, so tests can cut and damage it exactly.
func gzipStored(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
    var i = 0
    repeat {
        let n = min(65535, data.count - i)
        let final: UInt8 = i + n == data.count ? 1 : 0
        out += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
        out += data[i..<(i + n)]
        i += n
    } while i < data.count
    let crc = crc32(data), size = UInt32(truncatingIfNeeded: data.count)
    for v in [crc, size] { out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
    return out
}

func float32BE(_ v: Float) -> [UInt8] { let b = v.bitPattern; return [UInt8(b >> 24), UInt8(b >> 16 & 0xFF), UInt8(b >> 8 & 0xFF), UInt8(b & 0xFF)] }
func float64BE(_ v: Double) -> [UInt8] { let b = v.bitPattern; return (0..<8).map { UInt8(b >> (56 - 8 * UInt64($0)) & 0xFF) } }
func float32LE(_ v: Float) -> [UInt8] { Array(float32BE(v).reversed()) }

/// Inputs seen to crash or blow up (issue 11): every one is now a clear error
/// naming the file and the place.
final class HostileInputTests: XCTestCase {
    let dir = TempDir()

    func testCRC32MatchesTheCheckValue() {
        XCTAssertEqual(crc32(Array("123456789".utf8)), 0xCBF4_3926)   // the standard check value
    }

    // MARK: sizes

    func testIDXWithNoSamplesButAbsurdDimensionsIsRefused() {
        let big = Int(UInt32.max)
        let x = dir.write("x", idxBytes(dims: [0, big, big, big], data: []))
        let y = dir.write("y", idxBytes(dims: [0], data: []))
        assertDataError(try Datasets.loadIDX(images: x, labels: y),
                        [x, "each sample would hold 4294967295x4294967295x4294967295 values", "268,435,456"])
        // Without overflow, but still more than an image may hold.
        let wide = dir.write("w", idxBytes(dims: [0, 65536, 65536], data: []))
        assertDataError(try Datasets.loadIDX(images: wide, labels: y), [wide, "each sample would hold 65536x65536 values"])
    }

    func testNPYWithNoSamplesButAbsurdDimensionsIsRefused() {
        let x = dir.write("x.npy", npyBytes("<f4", "(0, 1000000000, 1, 1)", []))
        let y = dir.write("y.npy", npyBytes("|u1", "(0,)", []))
        assertDataError(try Datasets.loadNPY(images: x, labels: y), [x, "each sample would hold 1000000000x1x1 values"])
    }

    func testCSVShapeWhoseProductWrapsIsRefused() {
        // 4611686018427387905 * 8 * 8 wraps around to 64, the file's feature count.
        let header = "label," + (0..<64).map { "p\($0)" }.joined(separator: ",")
        let p = dir.write("ok.csv", text: header + "\n1," + Array(repeating: "5", count: 64).joined(separator: ",") + "\n")
        assertDataError(try Datasets.loadCSV(p, shape: [4611686018427387905, 8, 8]),
                        ["shape [4611686018427387905, 8, 8] does not hold the 64 values"])
        XCTAssertEqual(try Datasets.loadCSV(p, shape: [1, 8, 8]).sampleShape, [1, 8, 8])
    }

    // MARK: values that are not finite numbers

    func testNonFinitePixelsInIDXAreRefusedWithTheirPlace() {
        let y = dir.write("y", idxBytes(dims: [2], data: [0, 1]))
        let nan = dir.write("nan", idxBytes(type: 0x0D, dims: [2, 2], data: float32BE(0.5) + float32BE(0.5) + float32BE(0.25) + float32BE(.nan)))
        assertDataError(try Datasets.loadIDX(images: nan, labels: y), [nan, "pixel 1 of sample 1 is nan, not a finite number", "at byte 24"])
        let inf = dir.write("inf", idxBytes(type: 0x0D, dims: [2, 2], data: float32BE(-.infinity) + float32BE(1) + float32BE(2) + float32BE(3)))
        assertDataError(try Datasets.loadIDX(images: inf, labels: y), [inf, "pixel 0 of sample 0 is -inf", "at byte 12"])
        let huge = dir.write("huge", idxBytes(type: 0x0E, dims: [2, 1], data: float64BE(1) + float64BE(1e300)))
        assertDataError(try Datasets.loadIDX(images: huge, labels: y), [huge, "pixel 0 of sample 1 is 1e+300, too large for a 32-bit float", "at byte 20"])
    }

    func testNonFinitePixelsInNPYAreRefusedWithTheirPlace() {
        let y = dir.write("y.npy", npyBytes("|u1", "(2,)", [0, 1]))
        // Header 10 + 60 bytes; the second float starts at byte 74.
        let x = dir.write("x.npy", npyBytes("<f4", "(2, 2)", float32LE(0) + float32LE(.infinity) + float32LE(0) + float32LE(0)))
        assertDataError(try Datasets.loadNPY(images: x, labels: y), [x, "pixel 1 of sample 0 is inf, not a finite number", "at byte 74"])
    }

    func testCSVFieldsMustBeFiniteDecimalNumbers() {
        let cases: [(String, [String])] = [
            ("1e400", ["'1e400' is too large for a 32-bit float", "line 2, column 3"]),
            ("1e39", ["'1e39' is too large for a 32-bit float"]),
            ("0x10", ["'0x10' is hexadecimal; write numbers in decimal", "line 2, column 3"]),
            ("-0X1p3", ["is hexadecimal"]),
            ("nan", ["'nan' is not a finite number"]),
            ("-inf", ["'-inf' is not a finite number"]),
            ("infinity", ["is not a finite number"]),
            ("1e", ["'1e' is not a number"]),
            ("1.2.3", ["'1.2.3' is not a number"]),
        ]
        for (field, fragments) in cases {
            let p = dir.write("f.csv", text: "label,a,b\n0,1,\(field)\n1,2,3\n")
            assertDataError(try Datasets.loadCSV(p), [p] + fragments)
        }
        // Quoted lines go through the other parser: same rules.
        let q = dir.write("q.csv", text: "label,a,b\n\"0\",1,0x10\n")
        assertDataError(try Datasets.loadCSV(q), [q, "'0x10' is hexadecimal", "line 2, column 3"])
        // Plain decimal forms still load.
        let ok = dir.write("ok.csv", text: "label,a,b,c,d\n0,1e-3,-.5,+2.,3E+2\n")
        XCTAssertEqual(try Datasets.loadCSV(ok, scale: .none).images, [1e-3, -0.5, 2, 300])
    }

    func testFiftyMillionDigitFieldIsRefusedQuickly() throws {
        var text = Array("label,a,b\n0,1,".utf8)
        text += [UInt8](repeating: 0x37, count: 50_000_000)
        text += Array("\n".utf8)
        let p = dir.write("long.csv", text)
        let start = Date()
        assertDataError(try Datasets.loadCSV(p), [p, "(50000000 characters) is too long for a number (at most 400)", "line 2, column 3"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    // MARK: gzip

    func testGzipTrailerIsVerified() {
        let payload = idxBytes(dims: [2, 2], data: [1, 2, 3, 4])
        let good = gzipStored(payload)
        XCTAssertEqual(try FileBytes.read(dir.write("good.gz", good)), payload)
        let noTrailer = dir.write("t.gz", Array(good.dropLast(8)))
        assertDataError(try FileBytes.read(noTrailer), [noTrailer, "ends early, without its trailer"])
        let noLength = dir.write("l.gz", Array(good.dropLast(4)))
        assertDataError(try FileBytes.read(noLength), [noLength, "ends early"])
        var badCRC = good; badCRC[badCRC.count - 8] ^= 1
        let c = dir.write("c.gz", badCRC)
        assertDataError(try FileBytes.read(c), [c, "incorrect data check"])
        var badSize = good; badSize[badSize.count - 4] ^= 1
        let s = dir.write("s.gz", badSize)
        assertDataError(try FileBytes.read(s), [s, "incorrect length check"])
        // The IDX loader reads gzip piece by piece: the same checks apply.
        assertDataError(try IDXArray(path: noTrailer), [noTrailer, "ends early, without its trailer"])
        assertDataError(try IDXArray(path: c), [c, "incorrect data check"])
        XCTAssertEqual(try IDXArray(path: dir.write("good2.gz", good)).floats(), [1, 2, 3, 4])
    }

    func testIDXCountsAreComparedBeforeTheDataIsInflated() {
        // The images' data is damaged after the header: had it been inflated,
        // the error would be the damage; the header check comes first.
        var images = gzipStored(idxBytes(dims: [3, 2, 2], data: Array(0..<12)))
        let dataStart = 10 + 5 + 16
        for k in dataStart..<(images.count - 8) { images[k] ^= 0x55 }
        let x = dir.write("x.gz", images)
        let y = dir.write("y", idxBytes(dims: [2], data: [0, 1]))
        assertDataError(try Datasets.loadIDX(images: x, labels: y), [x, y, "3 images but 2 labels"])
    }

    func testInflationStopsAtWhatTheHeaderDeclares() {
        // The header declares 1 sample of 2x2 bytes; a megabyte follows.
        let x = dir.write("x.gz", gzipStored(idxBytes(dims: [1, 2, 2], data: [1, 2, 3, 4] + [UInt8](repeating: 0, count: 1 << 20))))
        let y = dir.write("y", idxBytes(dims: [1], data: [0]))
        assertDataError(try Datasets.loadIDX(images: x, labels: y), [x, "the decompressed data is longer than the 1x2x2 uint8 elements the header declares"])
        // A header that declares more than the compressed bytes can hold.
        let z = dir.write("z.gz", gzipStored(idxBytes(dims: [60000, 4096, 4096], data: [1, 2, 3])))
        let zy = dir.write("zy", idxBytes(dims: [60000], data: [UInt8](repeating: 0, count: 60000)))
        assertDataError(try Datasets.loadIDX(images: z, labels: zy), [z, "header claims 60000x4096x4096 uint8 elements", "more than the"])
    }

    func testInflatedSizeIsBoundedByAvailableMemory() {
        let p = dir.write("big.csv.gz", gzipStored([UInt8](repeating: 0x20, count: 300_000)))
        setenv("LORA_MEMORY_LIMIT", "64K", 1)
        defer { unsetenv("LORA_MEMORY_LIMIT") }
        assertDataError(try FileBytes.read(p), [p, "the gzip stream inflates to more than 65.5 KB"])
        unsetenv("LORA_MEMORY_LIMIT")
        XCTAssertEqual(try FileBytes.read(p).count, 300_000)
    }

    // MARK: memory

    func testResizeIsRefusedUpFrontWhenMemoryIsShort() throws {
        let d = toyDataset(count: 20, side: 2)
        setenv("LORA_MEMORY_LIMIT", "1M", 1)
        defer { unsetenv("LORA_MEMORY_LIMIT") }
        XCTAssertEqual(try d.resized(to: 64).height, 64)             // 20 x 64 x 64 x 4 = 328 KB
        XCTAssertThrowsError(try d.resized(to: 256)) { e in           // 20 x 256 x 256 x 4 = 5.2 MB
            XCTAssertEqual("\(e)", "resizing the 20 images of toy to 256x256 would need about 5.2 MB of memory, but only 1.0 MB is available; resize fewer images (e.g. data[0..<1000]) or to a smaller side")
        }
    }
}
