/// What a tokenization pass needs to know: the options, the vocabulary and
/// the special tokens that are matched in the raw text.
struct TokenizationRules: Sendable {
    var lowercase: Bool
    var stripAccents: Bool
    var splitCJK: Bool
    var index: VocabularyIndex
    var unkID: Int32
    /// Longer words become the unknown token (Hugging Face's max_input_chars_per_word).
    var maxWordScalars = 100
    /// Special tokens written in a text are kept whole, longest first.
    private(set) var specials: [(bytes: [UInt8], id: Int32)] = []
    /// True for a byte that starts some special token.
    private(set) var specialFirstBytes = [Bool](repeating: false, count: 256)

    init(lowercase: Bool, stripAccents: Bool, splitCJK: Bool, index: VocabularyIndex, unkID: Int32,
         specials: [(String, Int32)]) {
        self.lowercase = lowercase
        self.stripAccents = stripAccents
        self.splitCJK = splitCJK
        self.index = index
        self.unkID = unkID
        var seen = Set<[UInt8]>()
        for (token, id) in specials {
            let bytes = Array(token.utf8)
            guard !bytes.isEmpty, seen.insert(bytes).inserted else { continue }
            self.specials.append((bytes, id))
            specialFirstBytes[Int(bytes[0])] = true
        }
        self.specials.sort { $0.bytes.count > $1.bytes.count }
    }

    /// The special token that starts at `p` (the longest when several do).
    @inline(__always)
    func special(at p: UnsafePointer<UInt8>, available: Int) -> (Int32, Int)? {
        for s in specials where s.bytes.count <= available {
            var match = true
            for k in 0..<s.bytes.count where p[k] != s.bytes[k] {
                match = false
                break
            }
            if match { return (s.id, s.bytes.count) }
        }
        return nil
    }
}
