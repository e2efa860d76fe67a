import Foundation
import NN

/// `model.save(path)` and `load_model(path)`: the NN layer's safetensors
/// checkpoints (kind, sizes, options, training history and every parameter,
/// plus the front end's notes: label, training time, class names), pre-trained BERT-family model folders, and installed models by
/// short name. Paths are checked first so mistakes get a plain message. Paths
/// stay as the user wrote them (a relative one means the current directory),
/// so messages name the file as given: a notebook's errors read the same in
/// every checkout and in Jupyter.
enum ModelFiles {
    static func fail(_ path: String, _ detail: String) -> NNError { .checkpoint(path: path, detail: detail) }

    /// `path` made absolute against the current directory (PEFT folders: peft_export, peft_import).
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Where installed models live: $LORA_MODELS, default ~/.cache/lora/models.
    static var modelsFolder: String {
        if let m = ProcessInfo.processInfo.environment["LORA_MODELS"], !m.isEmpty { return m }
        return NSHomeDirectory() + "/.cache/lora/models"
    }

    /// Short names of the installed models (folders with a config.json).
    static var installedModels: [String] {
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: modelsFolder)) ?? []
        return names.filter { fm.fileExists(atPath: modelsFolder + "/" + $0 + "/config.json") }.sorted()
    }

    static func notes(_ v: ModelValue) -> [String: String] {
        var notes = ["label": v.label, "train_seconds": "\(v.trainSeconds)"]
        if !v.classNames.isEmpty, let names = try? JSONEncoder().encode(v.classNames) {
            notes["class_names"] = String(decoding: names, as: UTF8.self)
        }
        return notes
    }

    /// Runs a write of `path`; Ctrl-C during it (the write stops, its temporary
    /// is removed) says so: "interrupted; ens.safetensors unchanged" (or "not
    /// written" when there was no such file).
    static func writing<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let existed = FileManager.default.fileExists(atPath: path)
        do {
            return try body()
        } catch var e as LangError where e.kind == .interrupted {
            e.message = "interrupted; \(path) \(existed ? "unchanged" : "not written")"
            e.remedy = "Ctrl-C stopped the write before the file was replaced; save again"
            throw e
        }
    }

    /// `ens.save_adapters(path, backbone:)`: adapters and heads only, naming the backbone file and its SHA-256.
    static func saveAdapters(_ v: ModelValue, to given: String, backbone: String?) throws {
        guard let ens = v.model as? LoRAEnsemble else {
            throw fail(given, "save_adapters needs a LoRA-Ensemble, but this is a \(v.label); save the whole model with save")
        }
        let path = given
        let stem = path.hasSuffix(".safetensors") ? String(path.dropLast(".safetensors".count)) : path
        try writing(path) {
            try NN.Checkpoint.saveAdapters(ens, to: path, backbone: backbone ?? stem + ".backbone.safetensors", notes: notes(v))
        }
    }

    static func save(_ v: ModelValue, to given: String) throws {
        let path = given
        let dir = (path as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        if !dir.isEmpty, !(FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) && isDir.boolValue) {
            throw fail(path, "directory \(dir) does not exist; create it first or choose another path")
        }
        // NN's checkpoint writer is atomic (temp file + fsync + rename).
        let notes = notes(v)
        try writing(path) {
            if let b = v.backbone {
                try NN.Checkpoint.save(b, to: path, history: v.model.history, notes: notes)
            } else {
                try NN.Checkpoint.save(v.model, to: path, notes: notes)
            }
        }
    }

    /// A model read from a checkpoint, with the notes `save` added.
    static func value(_ loaded: LoadedCheckpoint) -> ModelValue {
        let label = loaded.notes["label"].map { String($0.prefix(100)) }
        let v: ModelValue
        switch loaded.model {
        case .backbone(let b):
            v = ModelValue(backbone: b)
            (v.model as? SingleNetwork)?.history = loaded.history
        case .ensemble(let m):
            v = ModelValue(m, label: label ?? (m.kind == .single ? "single network" : nil))
        }
        if let l = label, !l.isEmpty { v.label = l }
        if let s = loaded.notes["train_seconds"].flatMap(Double.init), s.isFinite, s >= 0 { v.trainSeconds = s }
        if let text = loaded.notes["class_names"], let names = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) {
            v.classNames = names
        }
        return v
    }

    /// Loads a checkpoint file, a model folder, or an installed model by short
    /// name. `classes` and `maxTokens` shape a pre-trained model's fresh head
    /// and inputs (a checkpoint has its own).
    static func load(_ given: String, classes: Int, maxTokens: Int, seed: UInt64, backbone: String? = nil) throws -> ModelValue {
        let fm = FileManager.default
        var path = given
        var isDir: ObjCBool = false
        if !fm.fileExists(atPath: path, isDirectory: &isDir) {
            let isShortName = !given.contains("/") && !given.contains(".")
            guard isShortName else {
                throw fail(path, "no such file; check the path (the current directory is \(fm.currentDirectoryPath))")
            }
            path = modelsFolder + "/" + given
            guard fm.fileExists(atPath: path + "/config.json") else {
                let installed = installedModels
                let have = installed.isEmpty ? "no models are installed in \(modelsFolder)" : "installed in \(modelsFolder): " + installed.joined(separator: ", ")
                throw fail(given, "is neither a file nor an installed model (\(have)); install all-MiniLM-L6-v2 with scripts/get-model minilm, or give a model folder's path")
            }
            isDir = true
        }
        if isDir.boolValue {
            guard BertFiles.isModelDirectory(path) else {
                throw fail(path, "is a directory without config.json; give a .safetensors file written by model.save, or a BERT model folder (config.json, model.safetensors, vocab.txt)")
            }
            return ModelValue(backbone: try BertFiles.load(path, classes: classes, maxTokens: maxTokens, seed: seed))
        }
        return value(try NN.Checkpoint.open(path, backbone: backbone))
    }
}
