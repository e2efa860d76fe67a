import Files
/// A dependency-free PNG writer for 8-bit RGB images: zlib stream of stored
/// (uncompressed) deflate blocks, CRC-32 per chunk, Adler-32 over the data.
/// Files are larger than compressed PNGs but byte-for-byte deterministic.
public enum PNGEncoder {
    /// Encodes `rgb` (row-major, 3 bytes per pixel) as a PNG file.
    public static func encode(width: Int, height: Int, rgb: [UInt8]) throws -> [UInt8] {
        guard width > 0, height > 0 else {
            throw RenderError.shape("a PNG needs width and height > 0, got \(width) x \(height)")
        }
        guard rgb.count == width * height * 3 else {
            throw RenderError.shape("a \(width) x \(height) RGB image needs \(width * height * 3) bytes, got \(rgb.count)")
        }
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (width * 3 + 1))
        for y in 0..<height {
            raw.append(0)  // filter type: none
            raw.append(contentsOf: rgb[(y * width * 3)..<((y + 1) * width * 3)])
        }
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header += bigEndian(UInt32(width))
        header += bigEndian(UInt32(height))
        header += [8, 2, 0, 0, 0]  // 8-bit depth, truecolour, deflate, adaptive filter, no interlace
        out += chunk("IHDR", header)
        out += chunk("IDAT", zlibStored(raw))
        out += chunk("IEND", [])
        return out
    }

    /// A zlib stream holding `data` in stored deflate blocks (at most 65,535 bytes each).
    public static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = min(65_535, data.count - offset)
            let final: UInt8 = offset + n == data.count ? 1 : 0
            out.append(final)  // BFINAL + BTYPE = 00 (stored)
            out += [UInt8(n & 0xff), UInt8(n >> 8), UInt8(~n & 0xff), UInt8((~n >> 8) & 0xff)]
            out += data[offset..<(offset + n)]
            offset += n
        } while offset < data.count
        out += bigEndian(adler32(data))
        return out
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(crc32(typeBytes + data))
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
    }

    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 (ISO-HDLC, as PNG and zip use).
    public static func crc32(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data { c = crcTable[Int((c ^ UInt32(b)) & 0xff)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    /// Adler-32 (as zlib uses).
    public static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return (b << 16) | a
    }
}

/// An RGB raster to draw figures into before PNG encoding.
public struct Raster: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var pixels: [UInt8]

    public init(width: Int, height: Int, background: RGB = RGB(255, 255, 255)) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        fill(x: 0, y: 0, width: width, height: height, background)
    }

    /// Fills the rectangle (clipped to the raster).
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, _ c: RGB) {
        let x0 = max(0, x), y0 = max(0, y), x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 {
            for xx in x0..<x1 {
                let k = (yy * width + xx) * 3
                pixels[k] = c.r; pixels[k + 1] = c.g; pixels[k + 2] = c.b
            }
        }
    }

    public func pixel(x: Int, y: Int) -> RGB {
        let k = (y * width + x) * 3
        return RGB(pixels[k], pixels[k + 1], pixels[k + 2])
    }

    public func png() throws -> [UInt8] { try PNGEncoder.encode(width: width, height: height, rgb: pixels) }
}

extension HeatmapFigure {
    /// The panels and the colour bar rasterised (no text: titles, captions and tick
    /// labels are only in the SVG), `pixelsPerPoint` raster pixels per SVG unit.
    public func raster(pixelsPerPoint: Double = 1) -> Raster {
        let l = layout()
        let s = pixelsPerPoint
        var r = Raster(width: Int((l.width * s).rounded()), height: Int((l.height * s).rounded()))
        func px(_ v: Double) -> Int { Int((v * s).rounded()) }
        let side = px(l.cellW)
        for (i, p) in panels.enumerated() {
            let o = origin(i, l)
            let ox = px(o.x), oy = px(o.y)
            for y in 0..<side {
                for x in 0..<side {
                    let t = normalized(p.heat.sample(y: y, x: x, height: side, width: side))
                    var c = scale.color(at: t)
                    if let base = p.base {
                        c = RGB.grey(base.sample(y: y, x: x, height: side, width: side)).mixed(with: c, opacity)
                    }
                    r.fill(x: ox + x, y: oy + y, width: 1, height: 1, c)
                }
            }
        }
        let barX = px(l.barX), barW = px(l.barW), barTop = px(l.top), barH = px(l.cellH)
        for y in 0..<barH {
            let t = 1 - (Double(y) + 0.5) / Double(barH)
            r.fill(x: barX, y: barTop + y, width: barW, height: 1, scale.color(at: t))
        }
        return r
    }

    /// Writes `raster(pixelsPerPoint:)` as a PNG file, atomically.
    public func savePNG(to path: String, pixelsPerPoint: Double = 1) throws {
        try AtomicFile.write(raster(pixelsPerPoint: pixelsPerPoint).png(), to: path)
    }
}
