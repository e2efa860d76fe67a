import Foundation
import Machine
import Tensor

/// A model read back from a checkpoint: a bare backbone (ViT or BERT) or one of the ensemble kinds.
public enum LoadedModel {
    case backbone(Backbone)
    case ensemble(EnsembleModel)
}

/// A checkpoint read back: the model, its training history (an ensemble's is
/// also in the model itself) and the entries the front end added when saving.
public struct LoadedCheckpoint {
    public var model: LoadedModel
    public var history: [EpochRecord]
    /// The `notes` given to `save` (e.g. the front end's training time).
    public var notes: [String: String]
}

/// Saves and loads models as safetensors files whose metadata records the
/// kind, the backbone's recipe (family and sizes; a BERT's vocabulary), the
/// kind's own options (see `CheckpointOptions`) and the training history, so
/// `Checkpoint.load` rebuilds the same model.
///
/// A checkpoint is untrusted input: sizes come from the tensors' shapes and
/// are checked against the metadata, and before anything is allocated the
/// model the metadata describes is counted and refused when it is larger than
/// the file could hold or than the machine's memory.
public enum Checkpoint {
    /// Format 3: timm / Hugging Face / PEFT names (see `CheckpointNames`).
    static let format = "lora-checkpoint-3"
    /// Files of the earlier formats (lora's own names; format 1 without history and seeds) still load.
    static let readableFormats = ["lora-checkpoint-1", "lora-checkpoint-2", format]
    /// Prefix of the front end's notes in the metadata.
    static let notePrefix = "note."

    /// Every backbone family a checkpoint can hold.
    static var backbones: [BackboneCheckpoint.Type] { [ViT.self, Bert.self] }
    /// Every model kind a checkpoint can hold.
    static var kinds: [CheckpointOptions.Type] {
        [SingleNetwork.self, LoRAEnsemble.self, BatchEnsemble.self, ExplicitEnsemble.self, MCDropout.self, SnapshotEnsemble.self]
    }

    static func json<T: Encodable>(_ c: T) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(data: try! e.encode(c), encoding: .utf8)!
    }

    static func recipe(_ b: Backbone) throws -> [String: String] {
        guard let c = b as? BackboneCheckpoint else {
            throw NNError.invalidConfiguration("a \(b.architecture.family) backbone cannot be saved (no checkpoint recipe)")
        }
        var md = c.checkpointRecipe
        md["backbone"] = type(of: c).family
        return md
    }

    /// The tensors under their file names.
    static func fileTensors(_ named: [(name: String, tensor: Tensor)], backbone: Backbone) throws -> [(name: String, tensor: Tensor)] {
        let family = (backbone as? BackboneCheckpoint).map { type(of: $0).family } ?? "vit"
        let patch = (backbone as? ViT).map { (channels: $0.config.channels, side: $0.config.patch) }
        return try CheckpointNames.fileTensors(named, family: family, patch: patch)
    }

    static func historyEntry(_ h: [EpochRecord]) -> [String: String] {
        h.isEmpty ? [:] : ["history": json(h)]
    }

    static func withNotes(_ md: [String: String], _ notes: [String: String]) -> [String: String] {
        var out = md
        for (k, v) in notes { out[notePrefix + k] = v }
        return out
    }

    /// Saves a backbone (a trained ViT, a fine-tuned BERT) with the history of its training.
    public static func save(_ backbone: Backbone, to path: String, history: [EpochRecord] = [], notes: [String: String] = [:]) throws {
        var md = try recipe(backbone).merging(historyEntry(history)) { a, _ in a }
        md["format"] = format
        md["kind"] = md["backbone"]
        try SafeTensors.write(fileTensors(backbone.namedParameters(), backbone: backbone), metadata: withNotes(md, notes), to: path)
    }

    /// Saves any model kind with its options and history (and a calibrated model's temperature).
    public static func save(_ given: EnsembleModel, to path: String, notes: [String: String] = [:]) throws {
        let calibrated = given as? CalibratedModel
        let model = calibrated?.base ?? given
        guard let m = model as? CheckpointOptions else {
            throw NNError.invalidConfiguration("a \(model.kind.rawValue) cannot be saved (no checkpoint options)")
        }
        var md = try recipe(model.baseBackbone)
        for (k, v) in m.checkpointOptions { md[k] = v }
        for (k, v) in historyEntry(model.history) { md[k] = v }
        if let c = calibrated { md["temperature"] = "\(c.temperature)"; md["temperatureFittedOn"] = c.fittedOn }
        md["format"] = format
        md["kind"] = model.kind.rawValue
        try SafeTensors.write(fileTensors(model.namedParameters(), backbone: model.baseBackbone), metadata: withNotes(md, notes), to: path)
    }

    /// Loads a model saved by `save`.
    public static func load(_ path: String) throws -> LoadedModel { try open(path).model }

    /// Loads a model saved by `save`, with its history and notes, checking the
    /// metadata against the tensors and every parameter's name and shape.
    /// `backbone` is the backbone file of an adapters-only checkpoint (default: the one its metadata names, beside it).
    public static func open(_ path: String, backbone backbonePath: String? = nil) throws -> LoadedCheckpoint {
        let contents = try SafeTensors.contents(path)
        let md = CheckpointMetadata(values: contents.metadata, path: path)
        let fmt = md.values["format"]
        guard let f = fmt, readableFormats.contains(f) else {
            throw md.fail("no lora checkpoint metadata (format \(fmt.map { "'\($0.prefix(40))'" } ?? "missing")); save it with lora's save, or load its tensors with SafeTensors.read")
        }
        for (name, _) in contents.skipped {
            throw md.fail("tensor '\(name)' is not a float tensor; lora's checkpoints hold F32 tensors only")
        }
        let family = md.values["backbone"] ?? "vit"
        guard let backboneType = backbones.first(where: { $0.family == family }) else {
            throw md.fail("unknown backbone family '\(family.prefix(40))' in the metadata (known: \(backbones.map { $0.family }.joined(separator: ", ")))")
        }
        var tensors = fmt == format
            ? try CheckpointNames.internalTensors(contents.tensors, family: family, md: md) : contents.tensors
        let kind = try md.string("kind")
        if try md.bool(adaptersOnlyKey, default: false) {
            guard LoRAEnsemble.checkpointKinds.contains(where: { $0.rawValue == kind }) else {
                throw md.fail("is marked adapters-only but holds a \(kind.prefix(40)); only LoRA-Ensembles are saved as adapters")
            }
            if let clash = tensors.keys.first(where: { $0.hasPrefix("backbone.") }) {
                throw md.fail("is marked adapters-only but holds backbone tensor '\(clash.prefix(80))'")
            }
            tensors.merge(try backboneTensors(md, given: backbonePath)) { a, _ in a }
        } else if backbonePath != nil {
            throw md.fail("holds a whole model; backbone: is only for files written by save_adapters")
        }
        let history = try readHistory(md)
        var notes: [String: String] = [:]
        for (k, v) in md.values where k.hasPrefix(notePrefix) { notes[String(k.dropFirst(notePrefix.count))] = v }
        let src = "'\(path)'"
        let held = Double(tensors.values.reduce(0) { $0 + $1.count })

        let backboneFloats = try backboneType.plannedParameters(md)
        if kind == family {
            try checkBudget(planned: backboneFloats, held: held, md: md)
            let base = try backboneType.rebuild(md)
            try base.loadStateDict(tensors, source: src)
            return LoadedCheckpoint(model: .backbone(base), history: history, notes: notes)
        }
        guard let kindType = kinds.first(where: { $0.checkpointKinds.contains { $0.rawValue == kind } }) else {
            throw md.fail("unknown model kind '\(kind.prefix(40))' in the metadata (known: \(family), \(kinds.flatMap { $0.checkpointKinds.map { $0.rawValue } }.joined(separator: ", ")))")
        }
        let planned = try kindType.plannedParameters(md, tensors: tensors, backbone: backboneFloats)
        try checkBudget(planned: planned, held: held, md: md)
        let base = try backboneType.rebuild(md)
        let model = try kindType.restore(md, tensors: tensors, backbone: base)
        model.history = history
        guard model.kind.rawValue == kind else {
            throw md.fail("metadata says kind '\(kind)' but its options make a \(model.kind.rawValue); the metadata is inconsistent")
        }
        if let ts = md.values["temperature"] {
            guard let t = Float(ts), t.isFinite, t > 0 else { throw md.fail("metadata 'temperature' (\(ts.prefix(40))) is not a positive number") }
            let cal = try CalibratedModel(base: model, temperature: t, fittedOn: md.values["temperatureFittedOn"] ?? "")
            return LoadedCheckpoint(model: .ensemble(cal), history: history, notes: notes)
        }
        return LoadedCheckpoint(model: .ensemble(model), history: history, notes: notes)
    }

    /// Refuses a model larger than the file's tensors (every parameter must be
    /// in the file) or than the memory building it needs (the parameters, a
    /// copy of the backbone, and the tensors read).
    static func checkBudget(planned: Double, held: Double, md: CheckpointMetadata) throws {
        guard planned.isFinite, planned <= 2 * held + 1_000_000 else {
            throw md.fail("its metadata describes a model of \(AvailableMemory.format(4 * planned)) of parameters, but the file holds only \(AvailableMemory.format(4 * held)) of tensors; the metadata (members, sizes) disagrees with the tensors")
        }
        do {
            try AvailableMemory.check(8 * planned + 4 * held, for: "loading this checkpoint",
                                      remedy: "free memory, or load it on a machine with more")
        } catch {
            throw md.fail("\(error)")
        }
    }

    static func readHistory(_ md: CheckpointMetadata) throws -> [EpochRecord] {
        guard md.has("history") else { return [] }
        let h = try md.json("history", as: [EpochRecord].self, what: "training history")
        for r in h where r.epoch < 0 || r.member < 0 || !(r.seconds >= 0) {
            throw md.fail("the training history in metadata 'history' has an impossible record (epoch \(r.epoch), member \(r.member), \(r.seconds) s)")
        }
        return h
    }
}
