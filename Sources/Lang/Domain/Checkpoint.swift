import Foundation
import NN
import Render
import Tensor

/// Models on disk: a safetensors file (8-byte little-endian header length, a
/// JSON header naming every F32 tensor with its shape and byte range, then the
/// raw little-endian data). `__metadata__` records the model kind, the ViT
/// sizes and the ensemble options, so `load_model` can rebuild it.
enum Checkpoint {
    static func fail(_ path: String, _ detail: String) -> NNError { .checkpoint(path: path, detail: detail) }

    // MARK: save

    static func metadata(_ v: ModelValue) throws -> [String: String] {
        var meta: [String: String] = ["format": "lora", "version": "1", "label": v.label,
                                      "train_time": String(v.trainSeconds)]
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        meta["config"] = String(decoding: try enc.encode(v.model.config), as: UTF8.self)
        if v.backbone != nil {
            meta["kind"] = "vit"
            return meta
        }
        switch v.model {
        case let m as SingleNetwork: _ = m; meta["kind"] = "single"
        case let m as LoRAEnsemble:
            let o = m.options
            meta["kind"] = "lora"
            meta["members"] = String(o.members)
            meta["rank"] = String(o.rank)
            meta["targets"] = Projection.allCases.filter { o.targets.contains($0) }.map { $0.rawValue }.joined(separator: ",")
            meta["init"] = String(decoding: try enc.encode(o.initA), as: UTF8.self)
            if let a = o.alpha { meta["alpha"] = String(a) }
            meta["copy_head"] = String(o.copyHead)
            meta["seed"] = String(o.seed)
        case let m as ExplicitEnsemble:
            meta["kind"] = "explicit"
            meta["members"] = String(m.memberCount)
        case let m as MCDropout:
            meta["kind"] = "mc_dropout"
            meta["p"] = String(m.p)
            meta["samples"] = String(m.samples)
            meta["seed"] = String(m.seed)
        case let m as BatchEnsemble:
            let o = m.network.options
            meta["kind"] = "batch_ensemble"
            meta["members"] = String(o.members)
            meta["targets"] = Projection.allCases.filter { o.targets.contains($0) }.map { $0.rawValue }.joined(separator: ",")
            meta["factor_std"] = String(o.factorStd)
            meta["train_shared"] = String(o.trainShared)
            meta["seed"] = String(o.seed)
        default:
            throw LangError(.runtime, "saving a \(v.model.kind.rawValue) is not supported",
                            remedy: "save its members' backbone instead, or rebuild it with snapshot_ensemble and fit again")
        }
        return meta
    }

    static func save(_ v: ModelValue, to path: String) throws {
        let meta = try metadata(v)
        let named = v.model.namedParameters()
        var header: [String: Any] = ["__metadata__": meta]
        var offset = 0
        for (name, t) in named {
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.count]]
            offset += 4 * t.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (json.count + 8) % 8 != 0 { json.append(0x20) }
        var bytes = [UInt8]()
        bytes.reserveCapacity(8 + json.count + offset)
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { bytes += $0 }
        bytes += json
        for (_, t) in named {
            t.data.withUnsafeBytes { bytes += $0 }
        }
        try AtomicFile.write(bytes, to: path)
    }

    // MARK: load

    static func read(_ path: String) throws -> (meta: [String: String], tensors: [String: Tensor]) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw fail(path, "no such file; check the path (the current directory is \(FileManager.default.currentDirectoryPath))")
        }
        guard !isDir.boolValue else { throw fail(path, "is a directory; give the path of a .safetensors file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail(path, "cannot be read; check its permissions") }
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw fail(path, "is \(bytes.count) bytes long, too short for a safetensors file; it is truncated or not a model") }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(bytes.count - 8) else {
            throw fail(path, "header length \(n) at byte 0 runs past the end of the file (\(bytes.count) bytes); the file is truncated or not a safetensors file")
        }
        let headerEnd = 8 + Int(n)
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])),
              let header = object as? [String: Any] else {
            throw fail(path, "the header (bytes 8..<\(headerEnd)) is not a JSON object; the file is damaged or not a safetensors file")
        }
        let meta = (header["__metadata__"] as? [String: String]) ?? [:]
        let body = bytes.count - headerEnd
        var tensors: [String: Tensor] = [:]
        for (name, entry) in header where name != "__metadata__" {
            guard let e = entry as? [String: Any], let dtype = e["dtype"] as? String,
                  let shape = e["shape"] as? [Int], let offsets = e["data_offsets"] as? [Int], offsets.count == 2 else {
                throw fail(path, "header entry '\(name)' lacks dtype, shape or data_offsets")
            }
            guard dtype == "F32" else { throw fail(path, "tensor '\(name)' has dtype \(dtype); only F32 is supported") }
            let count = shape.reduce(1) { $0 * max(0, $1) }
            guard offsets[0] >= 0, offsets[1] <= body, offsets[1] - offsets[0] == 4 * count else {
                throw fail(path, "tensor '\(name)' claims bytes \(offsets[0])..<\(offsets[1]) of a \(body)-byte body for shape \(shape); the file is truncated or damaged")
            }
            var values = [Float](repeating: 0, count: count)
            let start = headerEnd + offsets[0]
            values.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in
                    dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[start..<(start + 4 * count)]))
                }
            }
            tensors[name] = try Tensor(shape: shape, data: values)
        }
        return (meta, tensors)
    }

    static func load(_ path: String) throws -> ModelValue {
        let (meta, tensors) = try read(path)
        guard meta["format"] == "lora", let kind = meta["kind"], let configText = meta["config"] else {
            throw fail(path, "has no lora metadata (format, kind, config); it was not written by model.save")
        }
        let config: ViTConfig
        do { config = try JSONDecoder().decode(ViTConfig.self, from: Data(configText.utf8)) } catch {
            throw fail(path, "its ViT configuration cannot be read (\(configText)); the file is damaged")
        }
        func int(_ k: String) throws -> Int {
            guard let s = meta[k], let v = Int(s) else { throw fail(path, "metadata '\(k)' is missing or not an integer") }
            return v
        }
        func targets() throws -> Set<Projection> {
            let parts = (meta["targets"] ?? "q,k,v,o").split(separator: ",").map(String.init)
            let ps = parts.compactMap { Projection(rawValue: $0) }
            guard ps.count == parts.count, !ps.isEmpty else { throw fail(path, "metadata 'targets' is not a list of q, k, v, o") }
            return Set(ps)
        }
        let source = "checkpoint '\(path)'"
        let base = try ViT(config, seed: 0)
        let value: ModelValue
        switch kind {
        case "vit":
            try base.loadStateDict(tensors, source: source)
            value = ModelValue(backbone: base)
        case "single":
            let m = try SingleNetwork(backbone: base)
            try m.network.loadStateDict(tensors, source: source)
            value = ModelValue(m)
        case "lora":
            var initA = LoRAInit.paper
            if let s = meta["init"], let i = try? JSONDecoder().decode(LoRAInit.self, from: Data(s.utf8)) { initA = i }
            let o = LoRAOptions(members: try int("members"), rank: try int("rank"), targets: try targets(), initA: initA,
                                alpha: meta["alpha"].flatMap(Float.init), copyHead: meta["copy_head"] == "true",
                                seed: UInt64(meta["seed"] ?? "0") ?? 0)
            let m = try LoRAEnsemble(backbone: base, options: o)
            try m.network.loadStateDict(tensors, source: source)
            value = ModelValue(m)
        case "explicit":
            let m = try ExplicitEnsemble(backbone: base, members: try int("members"))
            for (i, net) in m.networks.enumerated() {
                let prefix = "members.\(i)."
                var part: [String: Tensor] = [:]
                for (k, t) in tensors where k.hasPrefix(prefix) { part[String(k.dropFirst(prefix.count))] = t }
                try net.loadStateDict(part, source: source + " (member \(i))")
            }
            value = ModelValue(m)
        case "mc_dropout":
            let m = try MCDropout(backbone: base, p: Float(meta["p"] ?? "0.2") ?? 0.2, samples: try int("samples"),
                                  seed: UInt64(meta["seed"] ?? "0") ?? 0)
            try m.network.loadStateDict(tensors, source: source)
            value = ModelValue(m)
        case "batch_ensemble":
            let o = BatchEnsembleOptions(members: try int("members"), targets: try targets(),
                                         factorStd: Float(meta["factor_std"] ?? "0.1") ?? 0.1,
                                         trainShared: meta["train_shared"] != "false", seed: UInt64(meta["seed"] ?? "0") ?? 0)
            let m = try BatchEnsemble(backbone: base, options: o)
            try m.network.loadStateDict(tensors, source: source)
            value = ModelValue(m)
        default:
            throw fail(path, "model kind '\(kind)' is unknown to this version of lora")
        }
        if let l = meta["label"] { value.label = l }
        value.trainSeconds = Double(meta["train_time"] ?? "0") ?? 0
        return value
    }
}
