/// One text as model input: [CLS], its word pieces, [SEP].
public struct TokenizedText: Sendable, Equatable {
    /// Token ids, starting with [CLS] and ending with [SEP].
    public var ids: [Int32]
    /// The vocabulary's spelling of each id ("##" on word continuations).
    public var tokens: [String]

    public init(ids: [Int32], tokens: [String]) {
        self.ids = ids
        self.tokens = tokens
    }
}

/// Texts as one padded batch: every row is as long as the longest text in
/// the batch, filled up with [PAD] after its [SEP].
public struct TokenBatch: Sendable {
    /// Token ids, `count` rows of `length`, row-major.
    public var ids: [Int32]
    /// Attention mask in the same layout: 1 for a real token, 0 for padding.
    public var mask: [Float]
    /// The number of real tokens in each row ([CLS] and [SEP] included).
    public var lengths: [Int]
    /// The number of texts (rows).
    public var count: Int
    /// The padded length T of every row.
    public var length: Int

    public init(ids: [Int32], mask: [Float], lengths: [Int], count: Int, length: Int) {
        self.ids = ids
        self.mask = mask
        self.lengths = lengths
        self.count = count
        self.length = length
    }

    /// The ids of row `row`, padding included.
    public func row(_ row: Int) -> ArraySlice<Int32> {
        ids[row * length ..< (row + 1) * length]
    }
}
