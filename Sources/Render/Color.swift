/// An 8-bit sRGB colour.
public struct RGB: Equatable, Sendable, Hashable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r; self.g = g; self.b = b
    }

    /// From a hex literal 0xRRGGBB.
    public init(hex: UInt32) {
        self.init(UInt8((hex >> 16) & 0xff), UInt8((hex >> 8) & 0xff), UInt8(hex & 0xff))
    }

    /// A grey of brightness `v` in [0, 1] (clamped).
    public static func grey(_ v: Double) -> RGB {
        let x = channel(v * 255)
        return RGB(x, x, x)
    }

    /// "#rrggbb".
    public var hex: String {
        let digits = Array("0123456789abcdef")
        var s = "#"
        for v in [r, g, b] {
            s.append(digits[Int(v >> 4)])
            s.append(digits[Int(v & 15)])
        }
        return s
    }

    /// (1 - t) * self + t * other, per channel.
    public func mixed(with other: RGB, _ t: Double) -> RGB {
        RGB(RGB.channel(Double(r) + (Double(other.r) - Double(r)) * t),
            RGB.channel(Double(g) + (Double(other.g) - Double(g)) * t),
            RGB.channel(Double(b) + (Double(other.b) - Double(b)) * t))
    }

    static func channel(_ v: Double) -> UInt8 {
        guard v.isFinite else { return 0 }
        return UInt8(max(0, min(255, v.rounded())))
    }

    /// The nearest colour of the xterm palette's 6x6x6 cube alone (16...231),
    /// by squared RGB distance: colour scales use it, as the grey ramp's
    /// greys are not on them.
    public var ansi256Cube: Int {
        let levels: [Int] = [0, 95, 135, 175, 215, 255]
        var best = (index: 16, distance: Int.max)
        for ri in 0..<6 { for gi in 0..<6 { for bi in 0..<6 {
            let dr = levels[ri] - Int(r), dg = levels[gi] - Int(g), db = levels[bi] - Int(b)
            let d = dr * dr + dg * dg + db * db
            if d < best.distance { best = (16 + 36 * ri + 6 * gi + bi, d) }
        } } }
        return best.index
    }

    /// The nearest of the xterm 256-colour palette's 6x6x6 cube (16...231) and
    /// grey ramp (232...255), by squared RGB distance.
    public var ansi256: Int {
        let levels: [Int] = [0, 95, 135, 175, 215, 255]
        func nearestLevel(_ v: UInt8) -> Int {
            var best = 0
            for i in 1..<6 where abs(levels[i] - Int(v)) < abs(levels[best] - Int(v)) { best = i }
            return best
        }
        let (ri, gi, bi) = (nearestLevel(r), nearestLevel(g), nearestLevel(b))
        let cube = 16 + 36 * ri + 6 * gi + bi
        func dist(_ a: (Int, Int, Int)) -> Int {
            let dr = a.0 - Int(r), dg = a.1 - Int(g), db = a.2 - Int(b)
            return dr * dr + dg * dg + db * db
        }
        let cubeDist = dist((levels[ri], levels[gi], levels[bi]))
        let mean = (Int(r) + Int(g) + Int(b)) / 3
        let greyIndex = max(0, min(23, (mean - 8 + 5) / 10))
        let greyValue = 8 + 10 * greyIndex
        return dist((greyValue, greyValue, greyValue)) < cubeDist ? 232 + greyIndex : cube
    }
}

/// A continuous colour scale from a value in [0, 1] to a colour.
public struct ColorScale: Equatable, Sendable {
    /// Evenly spaced colour stops, interpolated linearly.
    public let stops: [RGB]
    public let name: String

    public init(name: String, stops: [RGB]) {
        precondition(stops.count >= 2, "a colour scale needs at least two stops")
        self.name = name
        self.stops = stops
    }

    /// matplotlib's viridis, sampled at 9 points: perceptually uniform, readable in grey.
    public static let viridis = ColorScale(name: "viridis", stops: [
        0x440154, 0x482878, 0x3e4989, 0x31688e, 0x26828e, 0x1f9e89, 0x35b779, 0x6ece58, 0xfde725,
    ].map { RGB(hex: $0) })

    /// matplotlib's inferno, sampled at 9 points (dark to bright yellow).
    public static let inferno = ColorScale(name: "inferno", stops: [
        0x000004, 0x1f0c48, 0x550f6d, 0x88226a, 0xba3655, 0xe35933, 0xf98e09, 0xf9cb35, 0xfcffa4,
    ].map { RGB(hex: $0) })

    /// Steps of the scale in the 256-colour palette (heat maps and their legends use the same).
    public static let ansi256Steps = 12

    /// The scale as `ansi256Steps` palette colours: step k is the cube colour
    /// nearest the scale's colour at the step's centre. Every cell of a heat
    /// map and every cell of its legend is one of these, so what the map
    /// shows is on the legend.
    public var ansi256Levels: [Int] {
        (0..<ColorScale.ansi256Steps).map { color(at: (Double($0) + 0.5) / Double(ColorScale.ansi256Steps)).ansi256Cube }
    }

    /// The step of the 256-colour scale that `t` (clamped to [0, 1]) falls in.
    public static func ansi256Step(_ t: Double) -> Int {
        let x = t.isNaN ? 0 : max(0, min(1, t))
        return min(ansi256Steps - 1, Int(x * Double(ansi256Steps)))
    }

    /// The colour at `t` (clamped to [0, 1]; NaN maps to 0).
    public func color(at t: Double) -> RGB {
        let x = t.isNaN ? 0 : max(0, min(1, t))
        let pos = x * Double(stops.count - 1)
        let i = min(Int(pos), stops.count - 2)
        return stops[i].mixed(with: stops[i + 1], pos - Double(i))
    }
}

/// Categorical colours for series (matplotlib's tab10).
public enum SeriesPalette {
    public static let colors: [RGB] = [
        0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
    ].map { RGB(hex: $0) }

    public static func color(_ i: Int) -> RGB { colors[((i % colors.count) + colors.count) % colors.count] }
}
