/// The character classes BERT's text cleaning, CJK spacing, accent stripping
/// and punctuation splitting use, looked up in the tables generated from the
/// Hugging Face `tokenizers` library (BertCharacterTables.swift).
enum BertCharacters {
    /// Removed by cleaning: U+0000, U+FFFD, controls and format characters.
    @inline(__always)
    static func isRemoved(_ c: UInt32) -> Bool {
        if c < 0x80 { return (c < 0x20 && c != 0x09 && c != 0x0A && c != 0x0D) || c == 0x7F }
        return contains(BertCharacterTables.removed, c)
    }

    /// Turned into a space by cleaning (and a word boundary).
    @inline(__always)
    static func isWhitespace(_ c: UInt32) -> Bool {
        if c < 0x80 { return c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
        return contains(BertCharacterTables.whitespace, c)
    }

    /// A CJK ideograph: written with a space on either side.
    @inline(__always)
    static func isCJK(_ c: UInt32) -> Bool {
        c >= 0x3400 && contains(BertCharacterTables.cjk, c)
    }

    /// Punctuation: a word of its own.
    @inline(__always)
    static func isPunctuation(_ c: UInt32) -> Bool {
        if c < 0x80 {
            return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)
        }
        return contains(BertCharacterTables.punctuation, c)
    }

    /// A non-spacing mark (Mn): removed when accents are stripped.
    @inline(__always)
    static func isNonspacingMark(_ c: UInt32) -> Bool {
        c >= 0x300 && contains(BertCharacterTables.nonspacingMarks, c)
    }

    /// Changed by the NFD of `tokenizers`; Swift's NFD knows some newer
    /// decompositions, which must be left alone.
    @inline(__always)
    static func isDecomposable(_ c: UInt32) -> Bool {
        c >= 0xC0 && contains(BertCharacterTables.decomposable, c)
    }

    /// The canonical combining class NFD sorts marks by: Swift's value for
    /// the marks `tokenizers` knows (the values themselves never change
    /// between Unicode versions), 0 for the rest.
    @inline(__always)
    static func combiningClass(_ c: UInt32) -> UInt8 {
        guard c >= 0x300, contains(BertCharacterTables.combining, c) else { return 0 }
        return Unicode.Scalar(c)!.properties.canonicalCombiningClass.rawValue
    }

    /// Binary search in flattened inclusive ranges [lo0, hi0, lo1, hi1, ...].
    @inline(__always)
    private static func contains(_ ranges: [UInt32], _ c: UInt32) -> Bool {
        ranges.withUnsafeBufferPointer { r in
            var lo = 0, hi = r.count / 2   // search the range index
            while lo < hi {
                let mid = (lo + hi) >> 1
                if r[2 * mid + 1] < c { lo = mid + 1 } else { hi = mid }
            }
            return lo < r.count / 2 && r[2 * lo] <= c
        }
    }
}
