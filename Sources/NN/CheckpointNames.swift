import Tensor

/// The names tensors carry in a checkpoint file (format 3), so other tools
/// know them: a ViT's parameters take timm's names (`patch_embed.proj.weight`
/// [d, C, p, p], `cls_token`, `pos_embed`, `blocks.{i}.norm1`,
/// `blocks.{i}.attn.{q,k,v,proj}`, `blocks.{i}.mlp.fc1`, `norm`, `head`); a
/// BERT's keep the names of its Hugging Face file; adapters are one per
/// member, PEFT style (`<projection path>.lora_A.member{m}.weight` [r, in],
/// `<projection path>.lora_B.member{m}.weight` [out, r]); member heads are
/// `heads.{m}.{weight,bias}`. Inside lora, members stay stacked
/// (`lora.{i}.{p}.A` [M, r, in], `heads.weight` [M, classes, d]).
enum CheckpointNames {
    /// lora's own names (inside a ViT) -> timm's.
    static let vitRenames: [(lora: String, timm: String)] = [
        ("patch.", "patch_embed.proj."), ("cls", "cls_token"), ("pos", "pos_embed"),
    ]
    static let vitBlockRenames: [(lora: String, timm: String)] = [
        (".ln1.", ".norm1."), (".ln2.", ".norm2."), (".attn.o.", ".attn.proj."),
    ]
    /// Where a projection's weights live in a backbone of each family (below "backbone.").
    static func projectionPath(_ family: String, layer: Int, _ p: Projection) -> String {
        if family == "bert" {
            let part = ["q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value", "o": "attention.output.dense"][p.rawValue]!
            return "backbone.encoder.layer.\(layer).\(part)"
        }
        return "backbone.blocks.\(layer).attn.\(p == .o ? "proj" : p.rawValue)"
    }

    /// "members.3.", "snapshots.0.", "backbone." or "" and the rest of the name.
    static func root(_ name: String) -> (prefix: String, rest: Substring) {
        if name.hasPrefix("backbone.") { return ("backbone.", name.dropFirst(9)) }
        for outer in ["members.", "snapshots."] where name.hasPrefix(outer) {
            let rest = name.dropFirst(outer.count)
            if let dot = rest.firstIndex(of: "."), Int(rest[..<dot]) != nil {
                return (outer + rest[...dot], rest[rest.index(after: dot)...])
            }
        }
        return ("", name[...])
    }

    /// A backbone parameter's name in the file (ViT: timm's), given lora's.
    static func vitFileName(_ name: String) -> String {
        let (prefix, rest) = root(name)
        var r = String(rest)
        if r.hasPrefix("blocks.") {
            for (a, b) in vitBlockRenames { r = r.replacingOccurrences(of: a, with: b) }
        } else {
            for (a, b) in vitRenames where r == a || (a.hasSuffix(".") && r.hasPrefix(a)) {
                r = b + r.dropFirst(a.count)
                break
            }
        }
        return prefix + r
    }

    static func vitInternalName(_ name: String) -> String {
        let (prefix, rest) = root(name)
        var r = String(rest)
        if r.hasPrefix("blocks.") {
            for (a, b) in vitBlockRenames { r = r.replacingOccurrences(of: b, with: a) }
        } else {
            for (a, b) in vitRenames where r == b || (b.hasSuffix(".") && r.hasPrefix(b)) {
                r = a + r.dropFirst(b.count)
                break
            }
        }
        return prefix + r
    }

    /// The tensors of `model` under their file names.
    /// `patch` is (channels, side) of a ViT's patches: its patch weights are stored as timm's conv kernel [d, C, p, p].
    static func fileTensors(_ named: [(name: String, tensor: Tensor)], family: String,
                            patch: (channels: Int, side: Int)?) throws -> [(name: String, tensor: Tensor)] {
        var out: [(name: String, tensor: Tensor)] = []
        for (name, t) in named {
            if name.hasPrefix("lora."), name.hasSuffix(".A") || name.hasSuffix(".B") {
                let parts = name.split(separator: ".")
                guard parts.count == 4, let layer = Int(parts[1]), let p = Projection(rawValue: String(parts[2])) else {
                    out.append((name, t)); continue
                }
                let path = projectionPath(family, layer: layer, p) + ".lora_\(parts[3])"
                let m = t.shape[0], rows = t.shape[1], cols = t.shape[2]
                for i in 0..<m {
                    out.append(("\(path).member\(i).weight", try t.select(axis: 0, index: i).detached().reshape([rows, cols])))
                }
            } else if name == "heads.weight" || name == "heads.bias" {
                let part = name.dropFirst("heads.".count)
                for i in 0..<t.shape[0] {
                    out.append(("heads.\(i).\(part)", try t.select(axis: 0, index: i).detached()))
                }
            } else if family == "vit" {
                let file = vitFileName(name)
                if file.hasSuffix("patch_embed.proj.weight"), let (c, side) = patch {
                    out.append((file, try t.reshape([t.shape[0], c, side, side])))
                } else {
                    out.append((file, t))
                }
            } else {
                out.append((name, t))
            }
        }
        return out
    }

    /// The tensors of a file (format 3) under lora's names: members stacked again.
    static func internalTensors(_ tensors: [String: Tensor], family: String, md: CheckpointMetadata) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        var adapters: [String: [Int: Tensor]] = [:]   // "lora.{i}.{p}.{A|B}" -> member -> tensor
        var heads: [String: [Int: Tensor]] = [:]      // "heads.weight" -> member -> tensor
        var paths: [String: (Int, Projection)] = [:]
        let depth = CheckpointMetadata.indices(under: "backbone.blocks.", in: tensors)
            .union(CheckpointMetadata.indices(under: "backbone.encoder.layer.", in: tensors))
        for layer in depth { for p in Projection.allCases { paths[projectionPath(family, layer: layer, p)] = (layer, p) } }
        for (name, t) in tensors {
            if let r = name.range(of: ".lora_") {
                let path = String(name[..<r.lowerBound])
                let tail = name[r.upperBound...].split(separator: ".")   // ["A", "member3", "weight"]
                guard let (layer, p) = paths[path], tail.count == 3, tail[0] == "A" || tail[0] == "B", tail[2] == "weight",
                      tail[1].hasPrefix("member"), let m = Int(tail[1].dropFirst(6)), m >= 0, t.shape.count == 2 else {
                    throw md.fail("tensor '\(name.prefix(120))' is not an adapter of this backbone (<projection>.lora_A.member{m}.weight)")
                }
                adapters["lora.\(layer).\(p.rawValue).\(tail[0])", default: [:]][m] = t
            } else if name.hasPrefix("heads."), case let parts = name.split(separator: "."), parts.count == 3,
                      let m = Int(parts[1]), m >= 0 {
                heads["heads.\(parts[2])", default: [:]][m] = t
            } else if family == "vit" {
                let internalName = vitInternalName(name)
                out[internalName] = internalName.hasSuffix("patch.weight") && t.shape.count == 4
                    ? try t.reshape([t.shape[0], t.shape[1] * t.shape[2] * t.shape[3]]) : t
            } else {
                out[name] = t
            }
        }
        for (name, members) in adapters.merging(heads, uniquingKeysWith: { a, _ in a }) {
            out[name] = try stack(members, name: name, md: md)
        }
        return out
    }

    /// Member tensors 0..<M of one shape, stacked on a new first axis.
    static func stack(_ members: [Int: Tensor], name: String, md: CheckpointMetadata) throws -> Tensor {
        let m = members.count
        guard let first = members[0], (0..<m).allSatisfy({ members[$0] != nil }) else {
            throw md.fail("the members of '\(name)' are not numbered 0..<\(m) in the file")
        }
        var data: [Float] = []
        data.reserveCapacity(m * first.count)
        for i in 0..<m {
            let t = members[i]!
            guard t.shape == first.shape else {
                throw md.fail("member \(i) of '\(name)' has shape \(t.shape) but member 0 has \(first.shape)")
            }
            data += t.data
        }
        return try Tensor(shape: [m] + first.shape, data: data)
    }
}
