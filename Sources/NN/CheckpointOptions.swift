import Foundation
import Tensor

/// What a model kind writes into a checkpoint to be rebuilt exactly, and how
/// it is rebuilt from an untrusted file. Each kind implements this in its own
/// file; `Checkpoint` finds the kind by name in `Checkpoint.kinds`.
protocol CheckpointOptions: EnsembleModel {
    /// The kinds this type is saved as (the metadata's "kind").
    static var checkpointKinds: [EnsembleKind] { get }
    /// The options that rebuild the model (members, rank, seeds, ...), as metadata entries.
    var checkpointOptions: [String: String] { get }
    /// Checks the options in `md` against the tensors (members, snapshots,
    /// ranges) and returns how many floats the rebuilt model holds, given a
    /// backbone of `backbone` floats. Allocates nothing.
    static func plannedParameters(_ md: CheckpointMetadata, tensors: [String: Tensor], backbone: Double) throws -> Double
    /// Rebuilds the model on `backbone` (freshly built from the recipe) and loads its tensors.
    static func restore(_ md: CheckpointMetadata, tensors: [String: Tensor], backbone: Backbone) throws -> Self
    /// Per-epoch records of every fit (travel with the checkpoint).
    var history: [EpochRecord] { get set }
}

/// What a backbone family writes to be rebuilt: its sizes and (BERT) vocabulary.
protocol BackboneCheckpoint: Backbone {
    /// The metadata's "backbone" ("vit", "bert").
    static var family: String { get }
    var checkpointRecipe: [String: String] { get }
    /// Floats of the backbone the recipe describes, after checking every size
    /// is sane. Allocates nothing (sizes in Double, so absurd ones cannot overflow).
    static func plannedParameters(_ md: CheckpointMetadata) throws -> Double
    /// A freshly initialised backbone from the recipe (sizes already checked by `plannedParameters`).
    static func rebuild(_ md: CheckpointMetadata) throws -> Backbone
}

/// A checkpoint's metadata, read as untrusted input: every accessor checks
/// presence, type and range, and fails with the file and the key.
struct CheckpointMetadata {
    let values: [String: String]
    let path: String

    func fail(_ detail: String) -> NNError { .checkpoint(path: path, detail: detail) }

    func has(_ key: String) -> Bool { values[key] != nil }

    func string(_ key: String) throws -> String {
        guard let s = values[key] else { throw fail("metadata '\(key)' is missing; the file was not written by lora's save or is damaged") }
        return s
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int {
        let s = try string(key)
        guard let v = Int(s) else { throw fail("metadata '\(key)' is '\(s.prefix(40))', not an integer") }
        guard range.contains(v) else { throw fail("metadata '\(key)' is \(v), outside \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    func seed(_ key: String) throws -> UInt64 {
        guard let s = values[key] else { return 0 }
        guard let v = UInt64(s) else { throw fail("metadata '\(key)' is '\(s.prefix(40))', not a seed (an integer 0...2^64-1)") }
        return v
    }

    func float(_ key: String, in range: ClosedRange<Float>) throws -> Float {
        let s = try string(key)
        guard let v = Float(s), v.isFinite else { throw fail("metadata '\(key)' is '\(s.prefix(40))', not a finite number") }
        guard range.contains(v) else { throw fail("metadata '\(key)' is \(v), outside \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    func bool(_ key: String, default value: Bool) throws -> Bool {
        guard let s = values[key] else { return value }
        switch s {
        case "true": return true
        case "false": return false
        default: throw fail("metadata '\(key)' is '\(s.prefix(40))', not true or false")
        }
    }

    func json<T: Decodable>(_ key: String, as type: T.Type, what: String) throws -> T {
        let s = try string(key)
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try d.decode(T.self, from: Data(s.utf8)) } catch {
            throw fail("the \(what) in metadata '\(key)' is malformed")
        }
    }

    func targets() throws -> Set<Projection> {
        let s = try string("targets")
        var t = Set<Projection>()
        for part in s.split(separator: ",", omittingEmptySubsequences: false) {
            guard let p = Projection(rawValue: String(part)) else {
                throw fail("metadata 'targets' (\(s.prefix(40))) names '\(part.prefix(20))', not one of q, k, v, o")
            }
            t.insert(p)
        }
        return t
    }

    /// A layer range "a..<b" within `depth` layers, nil when absent.
    func layers(depth: Int) throws -> Range<Int>? {
        guard let s = values["layers"] else { return nil }
        let parts = s.components(separatedBy: "..<").map { Int($0) }
        guard parts.count == 2, let a = parts[0], let b = parts[1], a >= 0, a < b, b <= depth else {
            throw fail("metadata 'layers' (\(s.prefix(40))) is not a range a..<b within the encoder's \(depth) layers")
        }
        return a..<b
    }

    /// The indices i of tensors named `prefix` + "i." (members, snapshots).
    static func indices(under prefix: String, in tensors: [String: Tensor]) -> Set<Int> {
        var out = Set<Int>()
        for name in tensors.keys where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            if let dot = rest.firstIndex(of: "."), let i = Int(rest[..<dot]) { out.insert(i) }
        }
        return out
    }

    /// The first extent of tensor `name` (members of stacked parameters).
    func leadingExtent(_ name: String, in tensors: [String: Tensor]) throws -> Int {
        guard let t = tensors[name], let n = t.shape.first else {
            throw fail("tensor '\(name)' is missing or has no extents; the file was not written by lora's save or is damaged")
        }
        return n
    }
}

/// Parameters of `n` Linear layers in -> out with bias, in Double.
@inline(__always)
func linearParameters(_ inFeatures: Double, _ outFeatures: Double) -> Double { inFeatures * outFeatures + outFeatures }

/// A LayerNorm epsilon a file may carry: positive and small.
func checkEpsilon(_ eps: Float, _ md: CheckpointMetadata) throws {
    guard eps.isFinite, eps > 0, eps <= 0.1 else {
        throw md.fail("the backbone's LayerNorm epsilon is \(eps); a sane epsilon lies in (0, 0.1] (1e-6 for ViT, 1e-12 for BERT)")
    }
}

/// Sizes a file may carry: positive and below 2^31, so no product of them overflows.
func checkSizes(_ sizes: [(String, Int)], _ md: CheckpointMetadata) throws {
    for (name, v) in sizes where v < 1 || v > Int(Int32.max) {
        throw md.fail("the backbone's \(name) is \(v); sizes must lie in 1...\(Int32.max)")
    }
}
