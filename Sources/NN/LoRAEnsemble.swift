import Data
import Tensor

/// LoRA-Ensemble (Halbheer et al. 2024): M members sharing one frozen
/// backbone, each with its own low-rank adapters on the attention projections
/// and its own head, trained together in one batched pass. With M = 1 it is
/// the "single + LoRA" baseline.
public final class LoRAEnsemble: OneNetworkModel {
    public let network: LoRAEnsembleNetwork
    public var memberNetwork: MemberNetwork { network }
    public var baseBackbone: Backbone { network.backbone }
    public var history: [EpochRecord] = []
    public var kind: EnsembleKind { network.members == 1 ? .singleLoRA : .loraEnsemble }
    public var memberCount: Int { network.members }
    public var architecture: Architecture { network.architecture }
    public var options: LoRAOptions { network.options }

    public init(backbone: Backbone, options: LoRAOptions = LoRAOptions()) throws {
        network = try LoRAEnsembleNetwork(backbone: backbone, options: options)
    }

    public func summary() -> ModelSummary {
        let o = options
        let parts = ModelSummary.parts(of: network) { n in
            if n.hasPrefix("backbone.head.") { return "backbone head (unused)" }
            if n.hasPrefix("backbone.") { return "backbone" }
            if n.hasPrefix("lora.") { return "adapters" }
            return "heads"
        }
        var t = Projection.allCases.filter { o.targets.contains($0) }.map { $0.rawValue }.joined(separator: ",")
        if let l = o.layers { t += " of layers \(l.lowerBound)..<\(l.upperBound)" }
        return ModelSummary(kind: kind.rawValue, members: o.members, architecture: architecture, parts: parts,
                            details: ["rank \(o.rank) on \(t); A init \(o.initA); scale \(o.scale); heads \(o.copyHead ? "copied from the backbone" : "fresh")"],
                            trainablePerMember: network.trainableParametersPerMember)
    }

    public func namedParameters() -> [(name: String, tensor: Tensor)] { network.namedParameters() }
}

extension LoRAEnsemble: CheckpointOptions {
    static var checkpointKinds: [EnsembleKind] { [.loraEnsemble, .singleLoRA] }

    var checkpointOptions: [String: String] {
        let o = options
        var md = ["members": "\(o.members)", "rank": "\(o.rank)",
                  "targets": Projection.allCases.filter { o.targets.contains($0) }.map { $0.rawValue }.joined(separator: ","),
                  "alpha": o.alpha.map { "\($0)" } ?? "none", "copyHead": "\(o.copyHead)",
                  "init": Checkpoint.json(o.initA), "seed": "\(o.seed)"]
        if let l = o.layers { md["layers"] = "\(l.lowerBound)..<\(l.upperBound)" }
        return md
    }

    /// The options in `md`, checked against the tensors: members from the
    /// heads' first extent, rank from the adapters'.
    static func options(_ md: CheckpointMetadata, tensors: [String: Tensor], depth: Int, width: Int) throws -> LoRAOptions {
        let members = try md.int("members", in: 1...Int(Int32.max))
        let held = try md.leadingExtent("heads.weight", in: tensors)
        guard members == held else {
            throw md.fail("metadata says members \(members) but the file holds \(held) member heads (heads.0 ...); the metadata disagrees with the tensors")
        }
        let rank = try md.int("rank", in: 1...max(1, width))
        let targets = try md.targets()
        let layers = try md.layers(depth: depth)
        let first = (layers ?? 0..<depth).lowerBound
        let p = Projection.allCases.first { targets.contains($0) }!
        let name = "lora.\(first).\(p.rawValue).A"
        guard let a = tensors[name], a.shape.count == 3 else {
            throw md.fail("tensor '\(name)' of the adapters the metadata describes is missing or not [members, rank, width]")
        }
        guard a.shape[0] == members, a.shape[1] == rank else {
            throw md.fail("metadata says members \(members) and rank \(rank) but tensor '\(name)' has shape \(a.shape); the metadata disagrees with the tensors")
        }
        var alpha: Float? = nil
        let alphaText = try md.string("alpha")
        if alphaText != "none" {
            alpha = try md.float("alpha", in: Float.leastNormalMagnitude...Float.greatestFiniteMagnitude)
        }
        let initA: LoRAInit = md.has("init") ? try loraInit(md) : .paper
        return LoRAOptions(members: members, rank: rank, targets: targets, initA: initA, alpha: alpha,
                           copyHead: try md.bool("copyHead", default: false), seed: try md.seed("seed"), layers: layers)
    }

    static func loraInit(_ md: CheckpointMetadata) throws -> LoRAInit {
        // Files of the first format wrote the description ("xavier_uniform(gain: 10.0)").
        let text = try md.string("init")
        let i: LoRAInit
        if text.hasPrefix("{") {
            i = try md.json("init", as: LoRAInit.self, what: "LoRA initialisation")
        } else if text.hasPrefix("xavier_uniform(gain: "), let g = Float(text.dropFirst(21).dropLast()) {
            i = .xavierUniform(gain: g)
        } else if text.hasPrefix("gaussian(std: "), let s = Float(text.dropFirst(14).dropLast()) {
            i = .gaussian(std: s)
        } else if text == "kaiming_uniform" {
            i = .kaimingUniform
        } else {
            throw md.fail("metadata 'init' (\(text.prefix(40))) is not a LoRA initialisation")
        }
        switch i {
        case .xavierUniform(let g) where !g.isFinite: throw md.fail("metadata 'init' has a gain of \(g); it must be finite")
        case .gaussian(let s) where !(s.isFinite && s >= 0): throw md.fail("metadata 'init' has a std of \(s); it must be finite and >= 0")
        default: return i
        }
    }

    static func plannedParameters(_ md: CheckpointMetadata, tensors: [String: Tensor], backbone: Double) throws -> Double {
        let (depth, width, classes) = try backboneSizes(md, tensors: tensors)
        let o = try options(md, tensors: tensors, depth: depth, width: width)
        let layers = Double((o.layers ?? 0..<depth).count), m = Double(o.members), d = Double(width)
        let adapters: Double = layers * Double(o.targets.count) * m * Double(o.rank) * 2 * d
        return backbone + adapters + m * linearParameters(d, Double(classes))
    }

    static func restore(_ md: CheckpointMetadata, tensors: [String: Tensor], backbone: Backbone) throws -> LoRAEnsemble {
        let a = backbone.architecture
        let m = try LoRAEnsemble(backbone: backbone, options: options(md, tensors: tensors, depth: a.depth, width: a.width))
        try m.network.loadStateDict(tensors, source: "'\(md.path)'")
        return m
    }
}

/// Depth, width and classes of the backbone in a file, from its head's and
/// blocks' tensors (checked against the recipe when the backbone is built).
func backboneSizes(_ md: CheckpointMetadata, tensors: [String: Tensor], prefix: String = "backbone.") throws -> (depth: Int, width: Int, classes: Int) {
    guard let head = tensors[prefix + "head.weight"], head.shape.count == 2 else {
        throw md.fail("tensor '\(prefix)head.weight' is missing or not a matrix; the file was not written by lora's save or is damaged")
    }
    let blocks = CheckpointMetadata.indices(under: prefix + "blocks.", in: tensors)
        .union(CheckpointMetadata.indices(under: prefix + "encoder.layer.", in: tensors))
    return (blocks.count, head.shape[1], head.shape[0])
}
