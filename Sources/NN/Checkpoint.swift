import Foundation
import Tensor

/// A model read back from a checkpoint: a bare backbone (ViT or BERT) or one of the ensemble kinds.
public enum LoadedModel {
    case backbone(Backbone)
    case ensemble(EnsembleModel)
}

/// Saves and loads models as safetensors files whose metadata records the
/// kind, the backbone's recipe (family and sizes; a BERT's vocabulary) and the
/// kind's options, so `Checkpoint.load` rebuilds the same model. Training
/// history is not stored.
public enum Checkpoint {
    static let format = "lora-checkpoint-1"

    static func json<T: Encodable>(_ c: T) -> String {
        String(data: try! JSONEncoder().encode(c), encoding: .utf8)!
    }

    /// What rebuilds a backbone: its family, sizes, and (BERT) vocabulary.
    static func recipe(_ b: Backbone) -> [String: String] {
        switch b {
        case let v as ViT: return ["backbone": "vit", "config": json(v.config)]
        case let t as Bert: return BertCheckpoint.recipe(t)
        default: return [:]
        }
    }

    /// A freshly initialised backbone from the recipe in `md` (files without a
    /// "backbone" entry predate BERT support and hold ViTs).
    static func backbone(from md: [String: String], path: String) throws -> Backbone {
        func fail(_ s: String) -> NNError { .checkpoint(path: path, detail: s) }
        let family = md["backbone"] ?? "vit"
        guard let cj = md["config"] else { throw fail("the backbone's configuration is missing from the metadata") }
        switch family {
        case "vit":
            guard let config = try? JSONDecoder().decode(ViTConfig.self, from: Data(cj.utf8)) else {
                throw fail("the ViT configuration in the metadata is malformed")
            }
            return try ViT(config, seed: 0)
        case "bert":
            return try BertCheckpoint.rebuild(md, path: path)
        default:
            throw fail("unknown backbone family '\(family)' in the metadata")
        }
    }

    /// Saves a backbone (a trained ViT, a fine-tuned BERT).
    public static func save(_ backbone: Backbone, to path: String) throws {
        var md = recipe(backbone)
        md["format"] = format
        md["kind"] = md["backbone"]
        try SafeTensors.write(backbone.namedParameters(), metadata: md, to: path)
    }

    /// Saves any ensemble kind with its options (and a calibrated model's temperature).
    public static func save(_ given: EnsembleModel, to path: String) throws {
        let calibrated = given as? CalibratedModel
        let model = calibrated?.base ?? given
        var md = recipe(model.baseBackbone)
        if let c = calibrated { md["temperature"] = "\(c.temperature)"; md["temperatureFittedOn"] = c.fittedOn }
        md["format"] = format
        md["kind"] = "\(model.kind)"
        switch model {
        case let m as LoRAEnsemble:
            let o = m.options
            md["members"] = "\(o.members)"; md["rank"] = "\(o.rank)"
            md["targets"] = Projection.allCases.filter { o.targets.contains($0) }.map { $0.rawValue }.joined(separator: ",")
            md["alpha"] = o.alpha.map { "\($0)" } ?? "none"
            md["copyHead"] = "\(o.copyHead)"
            md["init"] = "\(o.initA)"
            if let l = o.layers { md["layers"] = "\(l.lowerBound)..<\(l.upperBound)" }
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
        let loaded = try loadUncalibrated(tensors, md, path: path)
        guard let ts = md["temperature"] else { return loaded }
        guard let t = Float(ts), t.isFinite, t > 0 else {
            throw NNError.checkpoint(path: path, detail: "metadata 'temperature' (\(ts)) is not a positive number")
        }
        switch loaded {
        case .ensemble(let m): return .ensemble(try CalibratedModel(base: m, temperature: t, fittedOn: md["temperatureFittedOn"] ?? ""))
        case .backbone(let b): return .ensemble(try CalibratedModel(base: SingleNetwork(training: b), temperature: t, fittedOn: md["temperatureFittedOn"] ?? ""))
        }
    }

    static func loadUncalibrated(_ tensors: [String: Tensor], _ md: [String: String], path: String) throws -> LoadedModel {
        func fail(_ s: String) -> NNError { .checkpoint(path: path, detail: s) }
        guard md["format"] == format else {
            throw fail("no lora checkpoint metadata (format \(md["format"] ?? "missing")); save it with lora's save, or load its tensors with SafeTensors.read")
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
        let base = try backbone(from: md, path: path)
        func layers() throws -> Range<Int>? {
            guard let s = md["layers"] else { return nil }
            let parts = s.components(separatedBy: "..<").compactMap { Int($0) }
            guard parts.count == 2, parts[0] >= 0, parts[0] < parts[1] else { throw fail("metadata 'layers' (\(s)) is not a range a..<b") }
            return parts[0]..<parts[1]
        }
        switch kind {
        case "vit", "bert":
            try base.loadStateDict(tensors, source: src)
            return .backbone(base)
        case "\(EnsembleKind.single)":
            let m = SingleNetwork(training: base)
            try base.loadStateDict(tensors, source: src)
            return .ensemble(m)
        case "\(EnsembleKind.loraEnsemble)", "\(EnsembleKind.singleLoRA)":
            let alpha = md["alpha"].flatMap { Float($0) }
            let initA: LoRAInit = .paper   // A's values come from the file; the init only matters before training
            let m = try LoRAEnsemble(backbone: base, options: LoRAOptions(members: int("members"), rank: int("rank"), targets: targets(),
                                                                        initA: initA, alpha: alpha, copyHead: md["copyHead"] == "true",
                                                                        layers: layers()))
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
                let check = try backbone(from: md, path: path)
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
