import Foundation
import Tensor

/// A model read back from a checkpoint: a bare ViT (a backbone) or one of the ensemble kinds.
public enum LoadedModel {
    case vit(ViT)
    case ensemble(EnsembleModel)
}

/// Saves and loads models as safetensors files whose metadata records the
/// kind, the ViT sizes and the kind's options, so `Checkpoint.load` rebuilds
/// the same model. Training history is not stored.
public enum Checkpoint {
    static let format = "lora-checkpoint-1"

    static func configJSON(_ c: ViTConfig) -> String {
        String(data: try! JSONEncoder().encode(c), encoding: .utf8)!
    }

    /// Saves a ViT (e.g. a trained backbone).
    public static func save(_ vit: ViT, to path: String) throws {
        try SafeTensors.write(vit.namedParameters(), metadata: ["format": format, "kind": "vit", "config": configJSON(vit.config)], to: path)
    }

    /// Saves any ensemble kind with its options.
    public static func save(_ model: EnsembleModel, to path: String) throws {
        var md = ["format": format, "kind": "\(model.kind)", "config": configJSON(model.config)]
        switch model {
        case let m as LoRAEnsemble:
            let o = m.options
            md["members"] = "\(o.members)"; md["rank"] = "\(o.rank)"
            md["targets"] = Projection.allCases.filter { o.targets.contains($0) }.map { $0.rawValue }.joined(separator: ",")
            md["alpha"] = o.alpha.map { "\($0)" } ?? "none"
            md["copyHead"] = "\(o.copyHead)"
            md["init"] = "\(o.initA)"
        case let m as BatchEnsemble:
            let o = m.network.options
            md["members"] = "\(o.members)"; md["factorStd"] = "\(o.factorStd)"; md["trainShared"] = "\(o.trainShared)"
            md["targets"] = Projection.allCases.filter { o.targets.contains($0) }.map { $0.rawValue }.joined(separator: ",")
        case let m as ExplicitEnsemble: md["members"] = "\(m.memberCount)"
        case let m as MCDropout: md["p"] = "\(m.p)"; md["samples"] = "\(m.samples)"; md["seed"] = "\(m.seed)"
        case let m as SnapshotEnsemble: md["cycles"] = "\(m.cycles)"; md["snapshots"] = "\(m.snapshots.count)"
        default: break
        }
        try SafeTensors.write(model.namedParameters(), metadata: md, to: path)
    }

    /// Loads a model saved by `save`, checking every parameter's name and shape.
    public static func load(_ path: String) throws -> LoadedModel {
        let (tensors, _, md) = try SafeTensors.read(path)
        func fail(_ s: String) -> NNError { .checkpoint(path: path, detail: s) }
        guard md["format"] == format else {
            throw fail("no lora checkpoint metadata (format \(md["format"] ?? "missing")); save it with lora's save, or load its tensors with SafeTensors.read")
        }
        guard let cj = md["config"], let config = try? JSONDecoder().decode(ViTConfig.self, from: Data(cj.utf8)) else {
            throw fail("the ViT configuration in the metadata is missing or malformed")
        }
        func int(_ k: String) throws -> Int {
            guard let s = md[k], let v = Int(s) else { throw fail("metadata '\(k)' is missing or not an integer") }
            return v
        }
        func float(_ k: String) throws -> Float {
            guard let s = md[k], let v = Float(s) else { throw fail("metadata '\(k)' is missing or not a number") }
            return v
        }
        func targets() throws -> Set<Projection> {
            let t = (md["targets"] ?? "").split(separator: ",").compactMap { Projection(rawValue: String($0)) }
            guard !t.isEmpty else { throw fail("metadata 'targets' is missing") }
            return Set(t)
        }
        func sub(_ prefix: String) -> [String: Tensor] {
            var d: [String: Tensor] = [:]
            for (k, v) in tensors where k.hasPrefix(prefix) { d[String(k.dropFirst(prefix.count))] = v }
            return d
        }
        let src = "'\(path)'"
        let kind = md["kind"] ?? ""
        let base = try ViT(config, seed: 0)
        switch kind {
        case "vit":
            try base.loadStateDict(tensors, source: src)
            return .vit(base)
        case "\(EnsembleKind.single)":
            let m = SingleNetwork(training: base)
            try base.loadStateDict(tensors, source: src)
            return .ensemble(m)
        case "\(EnsembleKind.loraEnsemble)", "\(EnsembleKind.singleLoRA)":
            let alpha = md["alpha"].flatMap { Float($0) }
            let initA: LoRAInit = .paper   // A's values come from the file; the init only matters before training
            let m = try LoRAEnsemble(backbone: base, options: LoRAOptions(members: int("members"), rank: int("rank"), targets: targets(),
                                                                        initA: initA, alpha: alpha, copyHead: md["copyHead"] == "true"))
            try m.network.loadStateDict(tensors, source: src)
            return .ensemble(m)
        case "\(EnsembleKind.batchEnsemble)":
            let m = try BatchEnsemble(backbone: base, options: BatchEnsembleOptions(members: int("members"), targets: targets(),
                                                                                     factorStd: float("factorStd"), trainShared: md["trainShared"] != "false"))
            try m.network.loadStateDict(tensors, source: src)
            return .ensemble(m)
        case "\(EnsembleKind.explicit)":
            let m = try ExplicitEnsemble(backbone: base, members: int("members"))
            for (i, n) in m.networks.enumerated() { try n.loadStateDict(sub("members.\(i)."), source: src + " (member \(i))") }
            return .ensemble(m)
        case "\(EnsembleKind.mcDropout)":
            let m = try MCDropout(backbone: base, p: float("p"), samples: int("samples"), seed: UInt64(int("seed")))
            try m.network.loadStateDict(tensors.filter { !$0.key.hasPrefix("snapshots.") }, source: src)
            return .ensemble(m)
        case "\(EnsembleKind.snapshot)":
            let m = try SnapshotEnsemble(backbone: base, cycles: int("cycles"))
            try m.network.loadStateDict(tensors.filter { !$0.key.hasPrefix("snapshots.") }, source: src)
            var snaps: [[String: Tensor]] = []
            for i in 0..<(try int("snapshots")) {
                let s = sub("snapshots.\(i).")
                let check = try ViT(config, seed: 0)
                try check.loadStateDict(s, source: src + " (snapshot \(i))")
                snaps.append(s)
            }
            m.restoreSnapshots(snaps)
            return .ensemble(m)
        default:
            throw fail("unknown model kind '\(kind)' in the metadata")
        }
    }
}
