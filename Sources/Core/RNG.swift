// Seeded random numbers, the project's one generator. Same seed and stream =>
// same numbers on every machine (integer cores; floats derived with exactly
// specified arithmetic). Pinned in Tests/CoreTests/RNGTests.swift against an
// independent reference (scripts/gen_rng_pins.py).
import Foundation

/// A seeded pseudo-random generator. Value type: copying it copies the stream
/// position; `fork()` splits off an independent child stream.
///
/// Two algorithms live here, one per kind of stream (`Stream`), because the
/// numbers of every seed must stay as they were when the model code (Tensor's
/// xoshiro256**) and the data code (Data's SplitMix64) each had their own:
/// - xoshiro256** (Blackman & Vigna), its state seeded through SplitMix64:
///   weights, dropout, the order of training batches, MC-dropout passes;
/// - SplitMix64 (Steele, Lea & Flood) on the seed itself: splits, subsets and
///   shuffles of data sets, and random augmentation in training.
/// Every derivation of a stream from a seed (offsets, forks) is written in
/// `Stream` below, and nowhere else.
public struct RNG: RandomNumberGenerator, Sendable {
    /// What a stream is for; each names its algorithm and how it derives from the seed.
    public enum Stream: Sendable, Equatable {
        /// xoshiro256** seeded through SplitMix64 from the seed: weights and every
        /// stream forked from them (`RNG(seed:)`).
        case model
        /// The order of a fit's batches: the model stream after two draws (which
        /// once seeded two children: one reserved for augmentation hooks, one `trainingDropout`).
        case trainingOrder
        /// A fit's dropout masks: the second child forked from the model stream.
        case trainingDropout
        /// MC dropout's pass `s` (0-based): the first child of the model stream of
        /// seed + 0x9E37 · (s + 1), the same in every call, so predictions repeat.
        case monteCarloPass(Int)
        /// SplitMix64 on the seed itself: splits, subsets and shuffles of data
        /// sets, `Dataset.augmented(seed:)`.
        case data
        /// A fit's random flips, rotations and shifts: SplitMix64 on
        /// seed + 0x5EED_A0A0 (so it never coincides with the data stream of the same seed).
        case trainingAugmentation
    }

    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    /// true: SplitMix64 (state in s0); false: xoshiro256**.
    @usableFromInline let splitMix: Bool
    @usableFromInline var spare: Float? = nil

    /// The model stream of `seed` (xoshiro256**).
    public init(seed: UInt64) {
        var sm = seed
        s0 = RNG.splitMix64(&sm); s1 = RNG.splitMix64(&sm); s2 = RNG.splitMix64(&sm); s3 = RNG.splitMix64(&sm)
        splitMix = false
    }

    /// The stream `stream` of `seed`.
    public init(seed: UInt64, stream: Stream) {
        switch stream {
        case .model:
            self.init(seed: seed)
        case .trainingOrder:
            self.init(seed: seed)
            _ = nextUInt64(); _ = nextUInt64()
        case .trainingDropout:
            var order = RNG(seed: seed)
            _ = order.nextUInt64()
            self = order.fork()
        case .monteCarloPass(let s):
            var pass = RNG(seed: seed &+ 0x9E37 &* UInt64(truncatingIfNeeded: s + 1))
            self = pass.fork()
        case .data:
            self.init(splitMixState: seed)
        case .trainingAugmentation:
            self.init(splitMixState: seed &+ 0x5EED_A0A0)
        }
    }

    /// SplitMix64 starting at `state`.
    private init(splitMixState state: UInt64) {
        s0 = state; s1 = 0; s2 = 0; s3 = 0
        splitMix = true
    }

    /// One SplitMix64 step: advances `x`, returns 64 bits.
    @inlinable @inline(__always)
    static func splitMix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inlinable @inline(__always)
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    @inlinable @inline(__always)
    public mutating func nextUInt64() -> UInt64 {
        if splitMix { return RNG.splitMix64(&s0) }
        let result = RNG.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = RNG.rotl(s3, 45)
        return result
    }

    /// `RandomNumberGenerator`: the next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 { nextUInt64() }

    /// Uniform in [0, 1) with 24 random bits.
    @inlinable @inline(__always)
    public mutating func uniform() -> Float {
        Float(nextUInt64() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func uniformDouble() -> Double {
        Double(nextUInt64() >> 11) * 0x1.0p-53
    }

    /// Standard normal N(0, 1) (Box-Muller in Double; the second value is kept for the next call).
    @inlinable
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

    /// Uniform integer in 0..<n (unbiased; Lemire's method). Returns 0 without
    /// drawing when n <= 1.
    @inlinable
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

    /// A random permutation of 0..<n (Fisher-Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<max(0, n))
        shuffle(&p)
        return p
    }

    /// An independent child stream (xoshiro256**, whatever this stream's
    /// algorithm); advances this generator by one draw.
    public mutating func fork() -> RNG {
        RNG(seed: nextUInt64() ^ 0xD1B5_4A32_D192_ED03)
    }
}
