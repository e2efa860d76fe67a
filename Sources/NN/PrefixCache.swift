import Foundation
import Tensor

/// The frozen-prefix cache of a LoRA-Ensemble on text: the layers below the
/// first adapted one are frozen and identical for every member, so their
/// output for a text never changes. It is computed once per distinct text and
/// reused across members, batches and epochs.
///
/// Exact because padding never reaches real tokens: attention masks padded
/// keys, so a real token's vector does not depend on how far its batch was
/// padded. Each text keeps only its own tokens ([T_i, d]); batches are padded
/// again when they are assembled.
///
/// Memory is bounded (`limitBytes`, default 2 GiB or $LORA_PREFIX_CACHE_MB):
/// texts that do not fit are computed every time, and `overflowed` tells.
public final class PrefixCache {
    struct Entry { let rows: [Float]; let pieces: [String] }
    private var entries: [String: Entry] = [:]
    public let limitBytes: Int
    public private(set) var bytes = 0
    public private(set) var hits = 0
    public private(set) var misses = 0
    /// Some texts did not fit within the limit and are recomputed each time.
    public private(set) var overflowed = false

    public init(limitBytes: Int? = nil) {
        if let l = limitBytes {
            self.limitBytes = l
        } else if let s = ProcessInfo.processInfo.environment["LORA_PREFIX_CACHE_MB"], let mb = Int(s), mb >= 0 {
            self.limitBytes = mb << 20
        } else {
            self.limitBytes = 2 << 30
        }
    }

    public var count: Int { entries.count }

    public func removeAll() { entries = [:]; bytes = 0; overflowed = false }

    /// The shared layers' output of `texts`, padded to the longest: computing
    /// only the texts not cached yet (with `compute`, without a graph).
    func output(of texts: [String], compute: ([String]) throws -> EmbeddedBatch) throws -> EmbeddedBatch {
        var missing: [String] = []
        var seen = Set<String>()
        for t in texts where entries[t] == nil && seen.insert(t).inserted { missing.append(t) }
        hits += texts.count - missing.count
        misses += missing.count
        var fresh: [String: Entry] = [:]
        var d = 0
        if !missing.isEmpty {
            let e = try Tensor.noGrad { try compute(missing) }
            let x = e.tokens, t = x.shape[1]
            d = x.shape[2]
            for (i, text) in missing.enumerated() {
                let n = e.validTokens?[i] ?? t
                let rows = Array(x.data[(i * t * d)..<((i * t + n) * d)])
                let entry = Entry(rows: rows, pieces: e.pieces?[i] ?? [])
                fresh[text] = entry
                let size = 4 * rows.count + 64 * entry.pieces.count + text.utf8.count
                if bytes + size <= limitBytes {
                    entries[text] = entry
                    bytes += size
                } else {
                    overflowed = true
                }
            }
        }
        let rows = texts.map { entries[$0] ?? fresh[$0]! }
        if d == 0 { d = rows.first.map { $0.rows.count / max($0.pieces.count, 1) } ?? 0 }
        let lengths = rows.map { $0.pieces.count }
        let t = lengths.max() ?? 0
        var out = [Float](repeating: 0, count: texts.count * t * d)
        for (i, r) in rows.enumerated() {
            out.withUnsafeMutableBufferPointer { o in
                r.rows.withUnsafeBufferPointer { src in
                    (o.baseAddress! + i * t * d).update(from: src.baseAddress!, count: src.count)
                }
            }
        }
        return EmbeddedBatch(tokens: try Tensor(shape: [texts.count, t, d], data: out), validTokens: lengths,
                             pieces: rows.map { $0.pieces })
    }
}
