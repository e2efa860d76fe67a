@_spi(_Unicode) import Swift

/// One pass of BERT tokenization over a text, producing word-piece ids, as
/// Hugging Face `tokenizers` does it (BertNormalizer, BertPreTokenizer,
/// WordPiece, with the special tokens split out of the raw text first):
///
/// 1. special tokens written in the text ("[MASK]") are matched on the raw
///    text and become their ids;
/// 2. cleaning drops U+0000, U+FFFD and control/format characters and turns
///    whitespace into spaces; CJK ideographs get a space on either side;
/// 3. with accent stripping: NFD (as the library's older Unicode data has
///    it), then non-spacing marks (Mn) are dropped;
///    with lowercasing: each scalar's full lowercase mapping;
/// 4. words end at whitespace; punctuation is a word of its own;
/// 5. each word becomes its greedy longest-match-first word pieces ("##" on
///    continuations), or one unknown token when some part has no match or the
///    word is longer than 100 scalars.
///
/// The raw text is processed in chunks that end at ASCII whitespace (no step
/// looks across one), all-ASCII chunks on bytes without allocating. A pass
/// stops once it has `limit` ids, so truncating a megabyte-long text costs
/// only the part that is kept.
struct TokenizationPass {
    let rules: TokenizationRules
    let limit: Int
    /// The ids produced so far.
    var ids: [Int32] = []
    /// The UTF-8 bytes of the word being collected (normalized).
    private var word: [UInt8] = []
    private var wordScalars = 0
    /// When not nil, every normalized scalar is also recorded here (for tests
    /// that check normalization code point by code point).
    var trace: [UInt32]? = nil

    init(rules: TokenizationRules, limit: Int) {
        self.rules = rules
        self.limit = limit
        ids.reserveCapacity(min(limit, 1024))
        word.reserveCapacity(256)
    }

    var isFull: Bool { ids.count >= limit }

    mutating func run(_ text: String) {
        var text = text
        text.withUTF8 { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return }
            let n = raw.count
            var segmentStart = 0
            var i = 0
            while i < n && !isFull {
                if rules.specialFirstBytes[Int(base[i])], let (id, length) = rules.special(at: base + i, available: n - i) {
                    segment(base, segmentStart, i)
                    if isFull { return }
                    ids.append(id)
                    i += length
                    segmentStart = i
                } else {
                    i += 1
                }
            }
            if !isFull { segment(base, segmentStart, n) }
        }
        if ids.count > limit { ids.removeLast(ids.count - limit) }
    }

    /// Text between special tokens: chunks separated by ASCII whitespace.
    private mutating func segment(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) {
        var i = start
        while i < end && !isFull {
            while i < end && isASCIISpace(p[i]) { i += 1 }
            let chunkStart = i
            var ascii = true
            while i < end && !isASCIISpace(p[i]) {
                if p[i] >= 0x80 { ascii = false }
                i += 1
            }
            if i > chunkStart {
                if ascii { asciiChunk(p, chunkStart, i) } else { unicodeChunk(p, chunkStart, i) }
                endWord()
            }
        }
    }

    @inline(__always)
    private func isASCIISpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D }

    private mutating func asciiChunk(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) {
        let lower = rules.lowercase
        for i in start..<end {
            var b = p[i]
            if b < 0x20 || b == 0x7F { continue }   // controls are removed
            if BertCharacters.isPunctuation(UInt32(b)) {
                trace?.append(UInt32(b))
                endWord()
                word.append(b)
                wordScalars = 1
                endWord()
                continue
            }
            if lower && b >= 0x41 && b <= 0x5A { b += 0x20 }
            trace?.append(UInt32(b))
            word.append(b)
            wordScalars += 1
        }
    }

    private mutating func unicodeChunk(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) {
        // Cleaning and CJK spacing.
        var cleaned: [UInt32] = []
        cleaned.reserveCapacity(end - start)
        var i = start
        while i < end {
            let c = decodeScalar(p, &i)
            if BertCharacters.isRemoved(c) { continue }
            if BertCharacters.isWhitespace(c) {
                cleaned.append(0x20)
            } else if rules.splitCJK && BertCharacters.isCJK(c) {
                cleaned.append(0x20)
                cleaned.append(c)
                cleaned.append(0x20)
            } else {
                cleaned.append(c)
            }
        }
        // Accent stripping (NFD, then drop Mn), lowercasing, splitting.
        if rules.stripAccents {
            for c in canonicalDecomposition(cleaned) where !BertCharacters.isNonspacingMark(c) {
                normalized(Unicode.Scalar(c)!)
            }
        } else {
            for c in cleaned { normalized(Unicode.Scalar(c)!) }
        }
    }

    /// NFD as `tokenizers` computes it: each scalar it decomposes replaced by
    /// its full canonical decomposition (Swift's, which is the same: Unicode
    /// never changes a decomposition once assigned), then every run of marks
    /// stably sorted by canonical combining class.
    private func canonicalDecomposition(_ scalars: [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(scalars.count + scalars.count / 2)
        for c in scalars {
            if BertCharacters.isDecomposable(c) {
                for u in String(Unicode.Scalar(c)!)._nfd { out.append(u.value) }
            } else {
                out.append(c)
            }
        }
        // Canonical ordering: insertion sort inside each run of non-zero classes.
        var k = 0
        while k < out.count {
            guard BertCharacters.combiningClass(out[k]) != 0 else { k += 1; continue }
            let runStart = k
            while k < out.count && BertCharacters.combiningClass(out[k]) != 0 { k += 1 }
            if k - runStart > 1 {
                for j in (runStart + 1)..<k {
                    let x = out[j], cx = BertCharacters.combiningClass(x)
                    var m = j
                    while m > runStart && BertCharacters.combiningClass(out[m - 1]) > cx {
                        out[m] = out[m - 1]
                        m -= 1
                    }
                    out[m] = x
                }
            }
        }
        return out
    }

    @inline(__always)
    private mutating func normalized(_ u: Unicode.Scalar) {
        if !rules.lowercase {
            split(u.value)
        } else if u.isASCII {
            let c = u.value
            split(c >= 0x41 && c <= 0x5A ? c + 0x20 : c)
        } else if u.properties.changesWhenLowercased {
            for l in u.properties.lowercaseMapping.unicodeScalars { split(l.value) }
        } else {
            split(u.value)
        }
    }

    /// Pre-tokenization of one normalized scalar.
    @inline(__always)
    private mutating func split(_ c: UInt32) {
        trace?.append(c)
        if BertCharacters.isWhitespace(c) {
            endWord()
        } else if BertCharacters.isPunctuation(c) {
            endWord()
            appendUTF8(c)
            wordScalars = 1
            endWord()
        } else {
            appendUTF8(c)
            wordScalars += 1
        }
    }

    @inline(__always)
    private mutating func appendUTF8(_ c: UInt32) {
        if c < 0x80 {
            word.append(UInt8(c))
        } else if c < 0x800 {
            word.append(UInt8(0xC0 | (c >> 6)))
            word.append(UInt8(0x80 | (c & 0x3F)))
        } else if c < 0x10000 {
            word.append(UInt8(0xE0 | (c >> 12)))
            word.append(UInt8(0x80 | ((c >> 6) & 0x3F)))
            word.append(UInt8(0x80 | (c & 0x3F)))
        } else {
            word.append(UInt8(0xF0 | (c >> 18)))
            word.append(UInt8(0x80 | ((c >> 12) & 0x3F)))
            word.append(UInt8(0x80 | ((c >> 6) & 0x3F)))
            word.append(UInt8(0x80 | (c & 0x3F)))
        }
    }

    /// Ends the current word: appends its word pieces.
    private mutating func endWord() {
        let n = word.count
        guard n > 0 else { return }
        defer { word.removeAll(keepingCapacity: true); wordScalars = 0 }
        if isFull { return }
        if wordScalars > rules.maxWordScalars {
            ids.append(rules.unkID)
            return
        }
        let mark = ids.count
        let index = rules.index
        let longest = index.longestPiece
        let complete: Bool = word.withUnsafeBufferPointer { w in
            let p = w.baseAddress!
            var start = 0
            while start < n {
                var end = min(n, start + longest)
                while end < n && end > start && (p[end] & 0xC0) == 0x80 { end -= 1 }
                var found: Int32 = -1
                while end > start {
                    found = index.id(p + start, end - start, continuation: start > 0)
                    if found >= 0 { break }
                    end -= 1
                    while end > start && (p[end] & 0xC0) == 0x80 { end -= 1 }
                }
                if found < 0 { return false }
                ids.append(found)
                start = end
            }
            return true
        }
        if !complete {
            ids.removeLast(ids.count - mark)
            ids.append(rules.unkID)
        }
    }
}

/// Decodes the scalar at `i` of valid UTF-8 (the bytes of a `String`) and
/// moves `i` past it.
@inline(__always)
private func decodeScalar(_ p: UnsafePointer<UInt8>, _ i: inout Int) -> UInt32 {
    let b0 = UInt32(p[i])
    if b0 < 0x80 { i += 1; return b0 }
    if b0 < 0xE0 {
        let c = ((b0 & 0x1F) << 6) | (UInt32(p[i + 1]) & 0x3F)
        i += 2
        return c
    }
    if b0 < 0xF0 {
        let c = ((b0 & 0x0F) << 12) | ((UInt32(p[i + 1]) & 0x3F) << 6) | (UInt32(p[i + 2]) & 0x3F)
        i += 3
        return c
    }
    let c = ((b0 & 0x07) << 18) | ((UInt32(p[i + 1]) & 0x3F) << 12) | ((UInt32(p[i + 2]) & 0x3F) << 6) | (UInt32(p[i + 3]) & 0x3F)
    i += 4
    return c
}
