import XCTest
@testable import Core

/// The numbers of every stream, pinned: the values come from an independent
/// implementation of the published algorithms (scripts/gen_rng_pins.py) and
/// are those Tensor's `RNG` and Data's `DataRNG` gave before they became one
/// type (the pins were checked on the old code first), so every seed of every
/// tutorial and fixture keeps its numbers.
final class RNGTests: XCTestCase {
    func testModelStreamIsPinned() {
        var r = RNG(seed: 42)
        XCTAssertEqual((0..<4).map { _ in r.nextUInt64() }, [0x15780B2E0C2EC716, 0x6104D9866D113A7E, 0xAE17533239E499A1, 0xECB8AD4703B360A1])
        r = RNG(seed: 42)
        XCTAssertEqual((0..<4).map { _ in r.uniform() }, [0.08386296033859253, 0.37898021936416626, 0.6800433993339539, 0.9246929287910461])
        r = RNG(seed: 42)
        XCTAssertEqual((0..<5).map { _ in r.normal() }, [-1.6132237911224365, 1.5344873666763306, 0.7816920280456543, -0.4001934826374054, 0.01587129384279251])
        r = RNG(seed: 42)
        XCTAssertEqual([1, 2, 7, 1000, 1 << 40].map { r.int(below: $0) }, [0, 0, 2, 680, 1016710645507])
        r = RNG(seed: 42)
        XCTAssertEqual(r.permutation(10), [9, 1, 4, 2, 8, 7, 6, 5, 3, 0])
        r = RNG(seed: 42)
        var c = r.fork()
        XCTAssertEqual([c.nextUInt64(), c.nextUInt64(), r.nextUInt64()], [0x1D83045B89175963, 0xA4AF141F0366261E, 0x6104D9866D113A7E])
        var m = RNG(seed: 42, stream: .model)
        XCTAssertEqual(m.nextUInt64(), 0x15780B2E0C2EC716)
    }

    /// The training and MC-dropout streams, as the trainer and `MCDropout` derived them by hand before.
    func testDerivedStreamsArePinned() {
        var o = RNG(seed: 5, stream: .trainingOrder)
        XCTAssertEqual(o.permutation(8), [1, 0, 4, 2, 6, 3, 7, 5])
        var d = RNG(seed: 5, stream: .trainingDropout)
        XCTAssertEqual((0..<3).map { _ in d.uniform() }, [0.9627504944801331, 0.19856160879135132, 0.9811174869537354])
        var p = RNG(seed: 9, stream: .monteCarloPass(2))
        XCTAssertEqual((0..<3).map { _ in p.uniform() }, [0.8621661067008972, 0.3793417811393738, 0.6499509215354919])
        var a = RNG(seed: 5, stream: .trainingAugmentation)
        XCTAssertEqual((0..<3).map { _ in a.uniformDouble() }, [0.8329511030535436, 0.3723154046889092, 0.5737085052383911])
        // The by-hand derivations the streams replace give the same numbers.
        var byHand = RNG(seed: 5); _ = byHand.fork(); var dropout = byHand.fork()
        var named = RNG(seed: 5, stream: .trainingDropout), order = RNG(seed: 5, stream: .trainingOrder)
        XCTAssertEqual((0..<8).map { _ in dropout.nextUInt64() }, (0..<8).map { _ in named.nextUInt64() })
        XCTAssertEqual(byHand.permutation(50), order.permutation(50))
    }

    func testDataStreamIsPinned() {
        var s = RNG(seed: 42, stream: .data)
        XCTAssertEqual((0..<4).map { _ in s.nextUInt64() }, [0xBDD732262FEB6E95, 0x28EFE333B266F103, 0x47526757130F9F52, 0x581CE1FF0E4AE394])
        s = RNG(seed: 42, stream: .data)
        XCTAssertEqual((0..<3).map { _ in s.uniformDouble() }, [0.7415648787718233, 0.1599103928769201, 0.27860113025513866])
        s = RNG(seed: 42, stream: .data)
        XCTAssertEqual([2, 7, 1000].map { s.int(below: $0) }, [1, 1, 278])
        s = RNG(seed: 42, stream: .data)
        XCTAssertEqual(s.permutation(10), [8, 3, 6, 5, 4, 0, 9, 2, 1, 7])
    }

    /// Bounds of at most 1 give 0 and draw nothing, on either algorithm.
    func testTrivialBoundsDrawNothing() {
        for stream in [RNG.Stream.model, .data] {
            var a = RNG(seed: 3, stream: stream), b = a
            XCTAssertEqual([a.int(below: 1), a.int(below: 0), a.int(below: -4)], [0, 0, 0])
            XCTAssertEqual(a.nextUInt64(), b.nextUInt64())
        }
    }

    /// `RandomNumberGenerator`: the standard library draws from the same bits.
    func testRandomNumberGeneratorConformance() {
        var a = RNG(seed: 11, stream: .data), b = a
        XCTAssertEqual(a.next(), b.nextUInt64())
        let x = Int.random(in: 0..<1000, using: &a)
        XCTAssertTrue((0..<1000).contains(x))
    }

    // Moved from DataTests (they tested Data's SplitMix64 generator, now the data stream).
    func testSplitMix64ReferenceValues() {
        var r = RNG(seed: 0, stream: .data)
        XCTAssertEqual(r.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(r.next(), 0x6E78_9E6A_A1B9_65F4)
        var a = RNG(seed: 42, stream: .data), b = RNG(seed: 42, stream: .data)
        for _ in 0..<10 { XCTAssertEqual(a.next(), b.next()) }
    }

    func testRanges() {
        var r = RNG(seed: 7, stream: .data)
        var seen = Set<Int>()
        for _ in 0..<1000 {
            let d = r.uniformDouble()
            XCTAssertTrue(d >= 0 && d < 1)
            let k = r.int(below: 5)
            XCTAssertTrue((0..<5).contains(k))
            seen.insert(k)
        }
        XCTAssertEqual(seen.count, 5)
        let p = r.permutation(20)
        XCTAssertEqual(p.sorted(), Array(0..<20))
        XCTAssertEqual(r.permutation(0), [])
    }
}
