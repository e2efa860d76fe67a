import Core
import Data
import Files
import Foundation
import Tensor

/// Adapters-only checkpoints: a LoRA-Ensemble's adapters and heads in a small
/// file whose metadata names the backbone file it was trained on and that
/// file's SHA-256. Loading finds the backbone (beside the adapters, or where
/// the caller says) and refuses one whose hash differs.
extension Checkpoint {
    static let adaptersOnlyKey = "adapters_only"
    static let backboneFileKey = "backbone_file"
    static let backboneHashKey = "backbone_sha256"

    /// SHA-256 of a file's bytes, as hex.
    /// Read and hashed a few megabytes at a time, each piece reported to the
    /// thread's `WorkWatch` (progress; Ctrl-C stops there).
    static func fileHash(_ path: String) throws -> String {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.readRaw(path)
        } catch let e as DataError {
            throw NNError.checkpoint(path: path, detail: "cannot be read to compute its SHA-256 (\(e)); check the path")
        }
        var sha = SHA256()
        let part = "hashing " + ((path as NSString).lastPathComponent)
        try bytes.withUnsafeBytes { raw in
            var at = 0
            while at < raw.count {
                let n = min(FileBytes.reportEvery, raw.count - at)
                sha.update(UnsafeRawBufferPointer(rebasing: raw[at..<(at + n)]))
                at += n
                if raw.count > FileBytes.reportEvery { try WorkWatch.report(part, done: at, of: raw.count) }
            }
        }
        return sha.finishHex()
    }

    /// Saves the adapters and heads of `model` to `path`. The backbone goes to
    /// `backbonePath`, written there when no file exists yet; an existing file
    /// must hold this very backbone.
    public static func saveAdapters(_ model: LoRAEnsemble, to path: String, backbone backbonePath: String, notes: [String: String] = [:]) throws {
        let backbone = model.baseBackbone
        if FileManager.default.fileExists(atPath: backbonePath) {
            guard case .backbone(let stored) = try load(backbonePath),
                  stored.namedParameters().map({ $0.tensor.shape }) == backbone.namedParameters().map({ $0.tensor.shape }),
                  zip(stored.namedParameters(), backbone.namedParameters()).allSatisfy({ $0.tensor.data == $1.tensor.data }) else {
                throw NNError.checkpoint(path: backbonePath, detail: "holds another model than this ensemble's backbone; give save_adapters a new backbone file name, or the file its backbone was saved to")
            }
        } else {
            try save(backbone, to: backbonePath)
        }
        var md = try recipe(backbone)
        for (k, v) in model.checkpointOptions { md[k] = v }
        for (k, v) in historyEntry(model.history) { md[k] = v }
        md["format"] = format
        md["kind"] = model.kind.rawValue
        md[adaptersOnlyKey] = "true"
        let dir = (path as NSString).deletingLastPathComponent, backboneDir = (backbonePath as NSString).deletingLastPathComponent
        md[backboneFileKey] = dir == backboneDir ? (backbonePath as NSString).lastPathComponent : backbonePath
        md[backboneHashKey] = try fileHash(backbonePath)
        let own = model.namedParameters().filter { !$0.name.hasPrefix("backbone.") }
        try SafeTensors.write(fileTensors(own, backbone: backbone), metadata: withNotes(md, notes), to: path)
    }

    /// For an adapters-only file: the backbone's tensors (under "backbone."),
    /// after checking the backbone file's SHA-256. `given` overrides the file the metadata names.
    static func backboneTensors(_ md: CheckpointMetadata, given: String?) throws -> [String: Tensor] {
        let named = try md.string(backboneFileKey)
        let dir = (md.path as NSString).deletingLastPathComponent
        let path = given ?? (named.hasPrefix("/") ? named : (dir.isEmpty ? named : dir + "/" + named))
        guard FileManager.default.fileExists(atPath: path) else {
            throw md.fail("holds adapters only; its backbone file \(path) is missing. Put the backbone beside it, or give it with backbone:")
        }
        let expected = try md.string(backboneHashKey)
        let actual = try fileHash(path)
        guard actual == expected else {
            throw md.fail("its adapters were trained on a backbone with SHA-256 \(expected.prefix(16))..., but \(path) has \(actual.prefix(16))...; give the backbone file they were saved with (backbone:)")
        }
        guard case .backbone(let b) = try load(path) else {
            throw NNError.checkpoint(path: path, detail: "is not a backbone checkpoint (it holds an ensemble); give the backbone file the adapters were saved with")
        }
        var out: [String: Tensor] = [:]
        for (n, t) in b.namedParameters() { out["backbone." + n] = t }
        return out
    }
}
