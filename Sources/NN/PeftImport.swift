import Foundation
import Machine
import Tensor

/// Reading PEFT LoRA adapter folders trained elsewhere into a LoRA-Ensemble:
/// one member per folder. The folders are untrusted input: the config is
/// size-capped JSON checked field by field, the weights file is refused
/// before it is read when it is larger than adapters of this base could be,
/// and every tensor's name and shape is checked against the base model.
extension PeftAdapters {
    /// Largest adapter_config.json read (PEFT writes about 1 KB).
    static let maxConfigBytes = 1 << 20

    /// One member's adapters, as read from its folder.
    struct Member {
        var folder: String
        var rank: Int
        var scale: Double
        /// (layer, projection) -> (A [r, in], B [out, r])
        var factors: [Key: (a: Tensor, b: Tensor)]
        var head: (weight: Tensor, bias: Tensor)?
    }

    struct Key: Hashable, Comparable {
        var layer: Int
        var projection: Projection
        static func < (x: Key, y: Key) -> Bool {
            (x.layer, Projection.allCases.firstIndex(of: x.projection)!) < (y.layer, Projection.allCases.firstIndex(of: y.projection)!)
        }
    }

    static func fail(_ path: String, _ detail: String) -> NNError { .checkpoint(path: path, detail: detail) }

    /// A LoRA-Ensemble on `base` (a BERT) whose member m holds the adapters of
    /// `folders[m]`. Every member must adapt the same projections of the same
    /// contiguous layers with the same rank and scale (lora's ensembles share
    /// these); heads come from each folder's head.safetensors, or, when no
    /// folder has one, are copies of the base's head.
    public static func load(_ folders: [String], base: Backbone) throws -> LoRAEnsemble {
        guard let bert = base as? Bert else {
            throw NNError.invalidConfiguration("import_peft builds on a BERT-family model (load_model(\"minilm\") or a model folder), but the base is a \(base.architecture.family); PEFT adapters of other models are not supported")
        }
        guard !folders.isEmpty else {
            throw NNError.invalidConfiguration("import_peft needs at least one adapter folder (one per member)")
        }
        guard folders.count <= 4096 else {
            throw NNError.invalidConfiguration("import_peft got \(folders.count) folders; lora's ensembles have at most 4096 members")
        }
        let members = try folders.map { try readMember($0, bert: bert) }
        let first = members[0]
        let keys = first.factors.keys.sorted()
        for m in members.dropFirst() {
            guard m.rank == first.rank else {
                throw fail(m.folder + "/adapter_config.json", "has r = \(m.rank) but \(first.folder) has r = \(first.rank); the members of a LoRA-Ensemble share one rank: import adapters trained with the same r")
            }
            guard abs(m.scale - first.scale) <= 1e-6 * abs(first.scale) else {
                throw fail(m.folder + "/adapter_config.json", "scales its adapters by \(m.scale) (lora_alpha / r) but \(first.folder) by \(first.scale); the members of a LoRA-Ensemble share one scale: import adapters trained with the same lora_alpha and r")
            }
            guard m.factors.keys.sorted() == keys else {
                let mine = Set(m.factors.keys), theirs = Set(keys)
                let odd = (mine.symmetricDifference(theirs)).sorted()[0]
                throw fail(m.folder + "/adapter_model.safetensors", "\(mine.contains(odd) ? "adapts" : "does not adapt") \(PeftNames.modulePath(layer: odd.layer, odd.projection)) but \(first.folder) \(mine.contains(odd) ? "does not" : "does"); the members of a LoRA-Ensemble adapt the same modules: import adapters trained with the same target_modules")
            }
            guard (m.head == nil) == (first.head == nil) else {
                let (with, without) = m.head == nil ? (first.folder, m.folder) : (m.folder, first.folder)
                throw fail(without + "/" + headFile, "is missing but \(with) has one; give every member its head (weight [classes, hidden], bias [classes]) or none (then every member starts with the base's head)")
            }
        }
        // The adapted modules must be targets x a contiguous range of layers.
        let layers = Set(keys.map { $0.layer }).sorted()
        let targets = Set(keys.map { $0.projection })
        guard let lo = layers.first, let hi = layers.last, layers.count == hi - lo + 1,
              keys.count == layers.count * targets.count else {
            let shown = keys.prefix(8).map { PeftNames.modulePath(layer: $0.layer, $0.projection) }.joined(separator: ", ")
            throw fail(first.folder + "/adapter_model.safetensors", "adapts \(shown)\(keys.count > 8 ? ", ..." : ""): lora's LoRA-Ensembles adapt the same projections (of query, key, value, attention.output.dense) in every layer of one contiguous range; train the adapters with such target_modules (or layers_to_transform)")
        }
        var backbone: Backbone = bert
        if let h = first.head {
            let classes = h.weight.shape[0]
            for m in members where m.head!.weight.shape[0] != classes {
                throw fail(m.folder + "/" + headFile, "has \(m.head!.weight.shape[0]) classes but \(first.folder)'s head has \(classes); the members must classify into the same classes")
            }
            if classes != bert.config.classes {
                var c = bert.config
                c.classes = classes
                backbone = try bert.copy(config: c)
            }
        }
        let options = LoRAOptions(members: members.count, rank: first.rank, targets: targets, initA: .paper,
                                  alpha: Float(first.scale * Double(first.rank)), copyHead: first.head == nil, seed: 0,
                                  layers: lo == 0 && hi == bert.config.layers - 1 ? nil : lo..<(hi + 1))
        let d = Double(bert.config.hidden)
        let adapterFloats = Double(members.count) * Double(keys.count) * 2 * Double(first.rank) * d
        do {
            try AvailableMemory.check(4 * (Double(bert.parameterCount) + adapterFloats), for: "importing \(members.count) PEFT adapters",
                                      remedy: "import fewer adapters, or on a machine with more memory")
        } catch {
            throw NNError.invalidConfiguration("\(error)")
        }
        let ens = try LoRAEnsemble(backbone: backbone, options: options)
        let net = ens.network
        for (mi, m) in members.enumerated() {
            for (key, f) in m.factors {
                let adapter = net.adapters[key.layer][key.projection]!
                let na = f.a.count, nb = f.b.count
                adapter.a.data.replaceSubrange((mi * na)..<((mi + 1) * na), with: f.a.data)
                adapter.b.data.replaceSubrange((mi * nb)..<((mi + 1) * nb), with: f.b.data)
            }
            if let h = m.head {
                let nw = h.weight.count, nb = h.bias.count
                net.heads.weight.data.replaceSubrange((mi * nw)..<((mi + 1) * nw), with: h.weight.data)
                net.heads.bias.data.replaceSubrange((mi * nb)..<((mi + 1) * nb), with: h.bias.data)
            }
        }
        return ens
    }

    /// The class names export_peft wrote into the first member's head
    /// (metadata `class_names`), when they fit `classes`; else none.
    public static func classNames(_ folders: [String], classes: Int) -> [String] {
        let path = (folders.first ?? "") + "/" + headFile
        guard let size = regularFileSize(path), let contents = try? readTensors(path, size: size),
              let text = contents.metadata["class_names"], text.utf8.count <= 1 << 20,
              let names = try? JSONDecoder().decode([String].self, from: Data(text.utf8)), names.count == classes else { return [] }
        return names.map { String($0.prefix(200)) }
    }

    /// A regular file's size, or nil when `path` is missing or not a regular file.
    static func regularFileSize(_ path: String) -> Int? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: path),
              a[.type] as? FileAttributeType == .typeRegular else { return nil }
        return (a[.size] as? NSNumber)?.intValue
    }

    static func readMember(_ folder: String, bert: Bert) throws -> Member {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw fail(folder, "is not a folder; give the folders PEFT's save_pretrained wrote (adapter_config.json and adapter_model.safetensors), one per member")
        }
        let configPath = folder + "/adapter_config.json"
        let (rank, scale) = try readConfig(configPath, bert: bert)
        let weightsPath = folder + "/adapter_model.safetensors"
        let d = bert.config.hidden, depth = bert.config.layers
        guard let size = regularFileSize(weightsPath) else {
            let remedy = FileManager.default.fileExists(atPath: folder + "/adapter_model.bin")
                ? "the folder has adapter_model.bin only; save the adapters with safetensors (PEFT's save_pretrained does by default) — lora does not read pickle files"
                : "PEFT's save_pretrained writes it beside adapter_config.json"
            throw fail(weightsPath, "is missing or not a regular file; \(remedy)")
        }
        // Adapters of every projection of every layer, plus a generous header.
        let largest = 4 * (depth * 4 * 2 * rank * d) + (1 << 20)
        guard size <= largest else {
            throw fail(weightsPath, "has \(size) bytes, more than rank-\(rank) adapters of every attention projection of this \(depth)-layer base can take (\(largest)); these are not LoRA adapters of this base model")
        }
        let contents = try readTensors(weightsPath, size: size)
        if let (name, dtype) = contents.skipped.first {
            throw fail(weightsPath, "tensor '\(name.prefix(120))' has dtype \(dtype.prefix(10)); lora reads F32, F16 and BF16 adapters")
        }
        var a: [Key: Tensor] = [:], b: [Key: Tensor] = [:]
        for name in contents.order {
            let t = contents.tensors[name]!
            switch PeftNames.parse(name) {
            case .unsupported(let why):
                throw fail(weightsPath, "tensor '\(name.prefix(120))' is \(why)")
            case .factor(let layer, let p, let ab):
                guard layer < depth else {
                    throw fail(weightsPath, "tensor '\(name.prefix(120))' adapts encoder layer \(layer), but the base model has \(depth) layers (0..<\(depth)); these adapters were trained on another model: import them on the base they were trained on")
                }
                let expected = ab == "A" ? [rank, d] : [d, rank]
                guard t.shape == expected else {
                    let why = t.shape.count == 2 && t.shape.contains(rank) ? "the base model's hidden size is \(d)" : "adapter_config.json says r = \(rank)"
                    throw fail(weightsPath, "tensor '\(name.prefix(120))' has shape \(t.shape), but lora_\(ab) of rank \(rank) on this base is \(expected) (\(why)); the adapters, their config and the base model do not belong together")
                }
                let key = Key(layer: layer, projection: p)
                guard (ab == "A" ? a[key] : b[key]) == nil else {
                    throw fail(weightsPath, "holds lora_\(ab) of \(PeftNames.modulePath(layer: layer, p)) twice (tensor '\(name.prefix(120))'); one adapter per module")
                }
                if ab == "A" { a[key] = t } else { b[key] = t }
            }
        }
        guard !a.isEmpty || !b.isEmpty else {
            throw fail(weightsPath, "holds no LoRA adapters; give a folder PEFT's save_pretrained wrote for a LoRA adapter")
        }
        var factors: [Key: (a: Tensor, b: Tensor)] = [:]
        for key in Set(a.keys).union(b.keys) {
            guard let fa = a[key], let fb = b[key] else {
                throw fail(weightsPath, "holds lora_\(a[key] == nil ? "B" : "A") of \(PeftNames.modulePath(layer: key.layer, key.projection)) but not its lora_\(a[key] == nil ? "A" : "B"); the file is incomplete")
            }
            factors[key] = (fa, fb)
        }
        return Member(folder: folder, rank: rank, scale: scale, factors: factors, head: try readHead(folder + "/" + headFile, hidden: d))
    }

    /// A safetensors file whose size was checked against what it may hold,
    /// once the machine has room for its bytes and its tensors.
    static func readTensors(_ path: String, size: Int) throws -> SafeTensors.Contents {
        do {
            try AvailableMemory.check(2 * Double(size), for: "reading \(path)", remedy: "free memory, or check that the file is what you meant")
        } catch {
            throw fail(path, "\(error)")
        }
        return try SafeTensors.contents(path)
    }

    /// r and the scale of the update (lora_alpha / r, or / sqrt(r) with use_rslora).
    static func readConfig(_ path: String, bert: Bert) throws -> (rank: Int, scale: Double) {
        guard let size = regularFileSize(path) else {
            throw fail(path, "is missing or not a regular file; a PEFT adapter folder holds adapter_config.json (save_pretrained writes it)")
        }
        guard size <= maxConfigBytes else {
            throw fail(path, "has \(size) bytes; a PEFT adapter config is a small JSON file (at most \(maxConfigBytes) bytes read)")
        }
        guard let data = FileManager.default.contents(atPath: path),
              let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw fail(path, "is not a JSON object; write it with PEFT's save_pretrained")
        }
        func number(_ key: String) -> Double? {
            guard let n = o[key] as? NSNumber else { return nil }
            return n.doubleValue
        }
        func flag(_ key: String) -> Bool { (o[key] as? NSNumber)?.boolValue ?? false }
        func nonEmpty(_ key: String) -> Bool {
            guard let v = o[key], !(v is NSNull) else { return false }
            if let d = v as? [String: Any] { return !d.isEmpty }
            if let a = v as? [Any] { return !a.isEmpty }
            return true
        }
        if let t = o["peft_type"], (t as? String)?.uppercased() != "LORA" {
            throw fail(path, "has peft_type \(String(describing: t).prefix(40)); lora imports LoRA adapters (peft_type \"LORA\")")
        }
        let d = bert.config.hidden
        guard let rv = number("r"), rv == rv.rounded(), rv >= 1, rv <= Double(d) else {
            throw fail(path, "'r' is \(o["r"].map { String(describing: $0).prefix(40) } ?? "missing"); it must be an integer rank between 1 and the base model's hidden size \(d)")
        }
        let rank = Int(rv)
        let alpha = o["lora_alpha"] == nil ? 8 : number("lora_alpha")   // PEFT's default lora_alpha is 8
        guard let al = alpha, al.isFinite, al > 0 else {
            throw fail(path, "'lora_alpha' is \(o["lora_alpha"].map { String(describing: $0).prefix(40) } ?? "missing"); it must be a positive number")
        }
        if flag("use_dora") { throw fail(path, "has use_dora true; lora imports plain LoRA adapters (DoRA's magnitude vectors have no counterpart in lora)") }
        if let bias = o["bias"] as? String, bias != "none" {
            throw fail(path, "has bias \"\(bias.prefix(20))\"; lora's adapters train no biases: import adapters trained with bias \"none\"")
        }
        if flag("fan_in_fan_out") { throw fail(path, "has fan_in_fan_out true; BERT's projections are nn.Linear ([out, in]), so adapters for it have fan_in_fan_out false") }
        for key in ["rank_pattern", "alpha_pattern"] where nonEmpty(key) {
            throw fail(path, "has a non-empty \(key); lora's members use one rank and one alpha for every adapted module: import adapters trained without \(key)")
        }
        if nonEmpty("layer_replication") { throw fail(path, "uses layer_replication; lora imports adapters of the base model's own layers") }
        let scale = flag("use_rslora") ? al / Double(rank).squareRoot() : al / Double(rank)
        return (rank, scale)
    }

    /// head.safetensors: weight [classes, hidden], bias [classes]; nil when the file is absent.
    static func readHead(_ path: String, hidden d: Int) throws -> (weight: Tensor, bias: Tensor)? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let size = regularFileSize(path) else { throw fail(path, "is not a regular file; a member's head is a safetensors file (weight, bias)") }
        guard size <= 4 * (1_000_000 * (d + 1)) + (1 << 20) else {
            throw fail(path, "has \(size) bytes, more than a head of at most 1,000,000 classes on hidden size \(d)")
        }
        let contents = try readTensors(path, size: size)
        guard let w = contents.tensors["weight"], let b = contents.tensors["bias"], contents.tensors.count == 2 else {
            throw fail(path, "must hold exactly two tensors, 'weight' [classes, \(d)] and 'bias' [classes], but holds \(contents.order.prefix(4).map { "'\($0.prefix(40))'" }.joined(separator: ", "))")
        }
        guard w.shape.count == 2, w.shape[1] == d, w.shape[0] >= 2, b.shape == [w.shape[0]] else {
            throw fail(path, "has weight \(w.shape) and bias \(b.shape); a head on this base is weight [classes, \(d)] and bias [classes] with at least 2 classes")
        }
        return (w, b)
    }
}
