/// The token ids of a vocabulary, looked up by a token's UTF-8 bytes.
///
/// Keys are compared byte for byte, as the Hugging Face implementations do
/// (Swift's `String` equality would treat canonically equivalent spellings,
/// such as "é" and "e" + U+0301, as the same key). A word piece that
/// continues a word is looked up as "##" + its bytes without building that
/// string: the hash of "##" is the starting state.
struct VocabularyIndex: Sendable {
    /// Every token's bytes, one after another.
    private let bytes: [UInt8]
    /// Token `i` is `bytes[starts[i] ..< starts[i + 1]]`.
    private let starts: [Int32]
    /// Open addressing: a token id, or -1 for an empty slot.
    private let slots: [Int32]
    private let mask: Int
    /// The longest key in bytes, counting a continuation without its "##";
    /// no longer piece can match, which bounds the greedy search.
    let longestPiece: Int

    /// The token ids in order, or the index of the first repeat of an earlier token.
    enum Built {
        case index(VocabularyIndex)
        case duplicate(first: Int, repeated: Int)
    }

    static func build(_ tokens: [String]) -> Built {
        var bytes: [UInt8] = []
        var starts: [Int32] = [0]
        bytes.reserveCapacity(tokens.count * 8)
        starts.reserveCapacity(tokens.count + 1)
        var longest = 1
        for t in tokens {
            let before = bytes.count
            bytes.append(contentsOf: t.utf8)
            starts.append(Int32(bytes.count))
            var n = bytes.count - before
            if n >= 2 && bytes[before] == 0x23 && bytes[before + 1] == 0x23 { n -= 2 }
            longest = max(longest, n)
        }
        bytes.append(0)   // a sentinel, so the storage is never empty (all tokens may be "")
        var capacity = 16
        while capacity < tokens.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for id in 0..<tokens.count {
            let lo = Int(starts[id]), hi = Int(starts[id + 1])
            let h = bytes.withUnsafeBufferPointer { Self.hash($0.baseAddress! + lo, hi - lo, seed: Self.plainSeed) }
            var slot = Int(truncatingIfNeeded: h) & mask
            while slots[slot] >= 0 {
                let other = Int(slots[slot])
                let olo = Int(starts[other]), ohi = Int(starts[other + 1])
                if ohi - olo == hi - lo && bytes[olo..<ohi].elementsEqual(bytes[lo..<hi]) {
                    return .duplicate(first: other, repeated: id)
                }
                slot = (slot + 1) & mask
            }
            slots[slot] = Int32(id)
        }
        return .index(VocabularyIndex(bytes: bytes, starts: starts, slots: slots, mask: mask, longestPiece: longest))
    }

    private init(bytes: [UInt8], starts: [Int32], slots: [Int32], mask: Int, longestPiece: Int) {
        self.bytes = bytes
        self.starts = starts
        self.slots = slots
        self.mask = mask
        self.longestPiece = longestPiece
    }

    // FNV-1a, 64 bits.
    private static let plainSeed: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let continuationSeed: UInt64 = {
        var h = plainSeed
        for b in [UInt8(0x23), 0x23] { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }()

    @inline(__always)
    private static func hash(_ p: UnsafePointer<UInt8>, _ count: Int, seed: UInt64) -> UInt64 {
        var h = seed
        for i in 0..<count { h = (h ^ UInt64(p[i])) &* 0x100_0000_01b3 }
        // FNV's low bits mix poorly; fold the high half in.
        return h ^ (h >> 29)
    }

    /// The id of the token spelled by `count` bytes at `p` (with "##" in front
    /// when `continuation`), or -1.
    func id(_ p: UnsafePointer<UInt8>, _ count: Int, continuation: Bool) -> Int32 {
        let h = Self.hash(p, count, seed: continuation ? Self.continuationSeed : Self.plainSeed)
        let prefix = continuation ? 2 : 0
        return bytes.withUnsafeBufferPointer { all -> Int32 in
            starts.withUnsafeBufferPointer { st -> Int32 in
                slots.withUnsafeBufferPointer { sl -> Int32 in
                    var slot = Int(truncatingIfNeeded: h) & mask
                    while true {
                        let id = sl[slot]
                        if id < 0 { return -1 }
                        let lo = Int(st[Int(id)]), hi = Int(st[Int(id) + 1])
                        if hi - lo == count + prefix {
                            let key = all.baseAddress! + lo
                            if !continuation || (key[0] == 0x23 && key[1] == 0x23) {
                                if memcmpBytes(key + prefix, p, count) { return id }
                            }
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }

    /// The id of a token given as a string, or nil.
    func id(of token: String) -> Int32? {
        var t = token
        let found = t.withUTF8 { u -> Int32 in
            guard let base = u.baseAddress else {
                // The empty token: look it up through a non-null pointer.
                var zero: UInt8 = 0
                return withUnsafePointer(to: &zero) { id($0, 0, continuation: false) }
            }
            return id(base, u.count, continuation: false)
        }
        return found >= 0 ? found : nil
    }
}

@inline(__always)
private func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}
