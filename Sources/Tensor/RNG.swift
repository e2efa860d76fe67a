// Seeded, splittable random numbers: xoshiro256** seeded through SplitMix64.
// Same seed => same numbers on every machine (integer core; floats derived
// with exactly specified arithmetic).
import Foundation

/// A seeded pseudo-random generator (xoshiro256**). Value type: copying it
/// copies the stream position. Use `fork()` for an independent child stream.
public struct RNG {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spare: Float? = nil

    /// A generator whose whole stream is determined by `seed`.
    public init(seed: UInt64) {
        var sm = seed
        func splitmix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(&sm); s1 = splitmix(&sm); s2 = splitmix(&sm); s3 = splitmix(&sm)
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    @inline(__always)
    public mutating func nextUInt64() -> UInt64 {
        let result = RNG.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = RNG.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func uniform() -> Float {
        Float(nextUInt64() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Standard normal N(0, 1) (Box-Muller in Double; the second value is kept for the next call).
    public mutating func normal() -> Float {
        if let s = spare { spare = nil; return s }
        // u1 in (0, 1], u2 in [0, 1)
        let u1 = (Double(nextUInt64() >> 11) + 1.0) * (1.0 / 9_007_199_254_740_992.0)
        let u2 = Double(nextUInt64() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let r = (-2.0 * Foundation.log(u1)).squareRoot()
        let a = 2.0 * Double.pi * u2
        spare = Float(r * Foundation.sin(a))
        return Float(r * Foundation.cos(a))
    }

    /// Uniform integer in 0..<n (unbiased; Lemire's method). Returns 0 when n <= 1.
    public mutating func int(below n: Int) -> Int {
        guard n > 1 else { return 0 }
        let bound = UInt64(n)
        var m = nextUInt64().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = nextUInt64().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// Fisher-Yates shuffle in place.
    public mutating func shuffle<T>(_ a: inout [T]) {
        var i = a.count - 1
        while i > 0 {
            let j = int(below: i + 1)
            if i != j { a.swapAt(i, j) }
            i -= 1
        }
    }

    /// A random permutation of 0..<n.
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<max(0, n))
        shuffle(&p)
        return p
    }

    /// An independent child stream; advances this generator by one draw.
    public mutating func fork() -> RNG {
        RNG(seed: nextUInt64() ^ 0xD1B5_4A32_D192_ED03)
    }
}
