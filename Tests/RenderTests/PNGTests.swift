import XCTest
@testable import Render

final class PNGTests: XCTestCase {
    func testChecksumsMatchKnownValues() {
        XCTAssertEqual(PNGEncoder.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(PNGEncoder.crc32(Array("IEND".utf8)), 0xAE42_6082)
        XCTAssertEqual(PNGEncoder.adler32(Array("Wikipedia".utf8)), 0x11E6_0398)
    }

    /// Reads the chunks back, checks every CRC, inflates the stored blocks and
    /// compares the scanlines with the input pixels.
    func decode(_ png: [UInt8]) throws -> (width: Int, height: Int, raw: [UInt8]) {
        XCTAssertEqual(Array(png[0..<8]), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        func be(_ i: Int) -> Int { Int(png[i]) << 24 | Int(png[i + 1]) << 16 | Int(png[i + 2]) << 8 | Int(png[i + 3]) }
        var i = 8
        var width = 0, height = 0
        var idat: [UInt8] = []
        var types: [String] = []
        while i < png.count {
            let n = be(i)
            let type = String(decoding: png[(i + 4)..<(i + 8)], as: UTF8.self)
            let data = Array(png[(i + 8)..<(i + 8 + n)])
            XCTAssertEqual(UInt32(be(i + 8 + n)), PNGEncoder.crc32(Array(png[(i + 4)..<(i + 8 + n)])), "CRC of \(type)")
            types.append(type)
            if type == "IHDR" { width = be(i + 8); height = be(i + 12); XCTAssertEqual(Array(data[8...]), [8, 2, 0, 0, 0]) }
            if type == "IDAT" { idat += data }
            i += 12 + n
        }
        XCTAssertEqual(types, ["IHDR", "IDAT", "IEND"])
        XCTAssertEqual(Array(idat[0..<2]), [0x78, 0x01])
        XCTAssertEqual((Int(idat[0]) << 8 | Int(idat[1])) % 31, 0, "zlib header check bits")
        var k = 2
        var raw: [UInt8] = []
        var final = false
        while !final {
            final = idat[k] & 1 == 1
            XCTAssertEqual(idat[k] >> 1, 0, "stored block")
            let len = Int(idat[k + 1]) | Int(idat[k + 2]) << 8
            let nlen = Int(idat[k + 3]) | Int(idat[k + 4]) << 8
            XCTAssertEqual(len ^ 0xffff, nlen)
            raw += idat[(k + 5)..<(k + 5 + len)]
            k += 5 + len
        }
        let adler = UInt32(idat[k]) << 24 | UInt32(idat[k + 1]) << 16 | UInt32(idat[k + 2]) << 8 | UInt32(idat[k + 3])
        XCTAssertEqual(adler, PNGEncoder.adler32(raw))
        return (width, height, raw)
    }

    func testSmallImageRoundTrips() throws {
        let rgb: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]
        let d = try decode(PNGEncoder.encode(width: 2, height: 2, rgb: rgb))
        XCTAssertEqual(d.width, 2)
        XCTAssertEqual(d.height, 2)
        XCTAssertEqual(d.raw, [0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 10, 20, 30])
    }

    func testLargeImageSpansSeveralStoredBlocks() throws {
        let w = 200, h = 150
        let rgb = (0..<(w * h * 3)).map { UInt8($0 % 251) }
        let d = try decode(PNGEncoder.encode(width: w, height: h, rgb: rgb))
        XCTAssertEqual(d.raw.count, h * (w * 3 + 1))
        XCTAssertGreaterThan(d.raw.count, 65_535)
        XCTAssertEqual(Array(d.raw[(601 * 7 + 1)..<(601 * 8)]), Array(rgb[(600 * 7)..<(600 * 8)]))
    }

    func testHeatmapRasterColoursCells() throws {
        let fig = try HeatmapFigure(panels: [HeatmapPanel(heat: Grid([[0, 1]]), caption: "x")], title: "t", panelSize: 20)
        let r = fig.raster()
        let l = fig.layout()
        // Left half of the panel at the bottom of the scale, right half at the top.
        XCTAssertEqual(r.pixel(x: Int(l.left) + 2, y: Int(l.top) + 5), ColorScale.viridis.color(at: 0))
        XCTAssertEqual(r.pixel(x: Int(l.left) + 15, y: Int(l.top) + 5), ColorScale.viridis.color(at: 1))
        XCTAssertEqual(r.pixel(x: 0, y: 0), RGB(255, 255, 255))
        XCTAssertEqual(try r.png(), try fig.raster().png())
        XCTAssertThrowsError(try PNGEncoder.encode(width: 2, height: 2, rgb: [1, 2, 3]))
    }
}
