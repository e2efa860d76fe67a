import Core

/// M members on one copied backbone that differ by per-member adapters on the
/// attention projections and by per-member heads: LoRA-Ensemble
/// (`LoRAEnsembleNetwork`) and BatchEnsemble (`BatchEnsembleNetwork`). What
/// the two build and expose alike lives here; they differ in their adapters,
/// which layers get them and whether the backbone trains.
public protocol AdaptedMemberNetwork: MemberNetwork {
    associatedtype Adapter: Module & ProjectionAdapter
    var backbone: Backbone { get }
    /// adapters[layer][projection]; layers without adapters have none.
    var adapters: [[Projection: Adapter]] { get }
    var heads: MemberHeads { get }
    /// The adapters' prefix in parameter names ("lora" in "lora.3.q.a").
    static var adapterPrefix: String { get }
}

extension AdaptedMemberNetwork {
    public var architecture: Architecture { backbone.architecture }
    public var sharedBackbone: Backbone { backbone }

    /// The backbone, then every adapter ("<prefix>.<layer>.<projection>") layer by
    /// layer in `Projection.allCases` order, then the heads (checkpoint names).
    public var children: [(name: String, module: Module)] {
        var c: [(name: String, module: Module)] = [("backbone", backbone)]
        for (i, layer) in adapters.enumerated() {
            for p in Projection.allCases { if let a = layer[p] { c.append(("\(Self.adapterPrefix).\(i).\(p.rawValue)", a)) } }
        }
        c.append(("heads", heads))
        return c
    }

    /// The adapters as `MemberPass` takes them.
    var projectionAdapters: [[Projection: ProjectionAdapter]] {
        adapters.map { $0.mapValues { $0 as ProjectionAdapter } }
    }

    /// Without a graph only one layer's tensors live at a time: the member's
    /// copy of the shared tokens and the layer's input, the packed q, k, v,
    /// attention output, o projection, residual sum and LayerNorm outputs
    /// (about 9d), the attention probabilities (heads x T), the MLP's hidden
    /// layer before and after GELU; four bytes each, times 1.25 for kernels'
    /// scratch.
    public func predictionBytesPerMember(batch: Int) -> Double {
        let a = architecture
        let d = Double(a.width), tokens = Double(longestTokens)
        let hidden = backbone.blocks.map { Double($0.mlp.fc1.outFeatures) }.max() ?? 4 * d
        let floats = tokens * (10 * d + 2 * hidden + Double(a.heads) * tokens)
        return 4 * 1.25 * floats * Double(batch)
    }

    /// Tokens of the longest input the model reads (class token included for images).
    var longestTokens: Int {
        switch architecture.input {
        case .text(let maxTokens): return maxTokens
        case .images(_, let h, let w, let patch): return (h / patch) * (w / patch) + 1
        }
    }
}

/// The initial draws of an adapted network, in the order every seed's numbers
/// depend on: for each layer of `layers` (of `depth`), each target projection
/// in `Projection.allCases` order gets an adapter made from its own fork of
/// the network's stream; then the heads get the next fork.
struct AdapterInitialization<Adapter> {
    let adapters: [[Projection: Adapter]]
    /// The heads' stream (forked after the adapters'; drawn even when the heads are copied).
    var headStream: RNG

    init(seed: UInt64, depth: Int, layers: Range<Int>, targets: Set<Projection>, make: (inout RNG) -> Adapter) {
        var rng = RNG(seed: seed)
        var all: [[Projection: Adapter]] = []
        for layer in 0..<depth {
            var here: [Projection: Adapter] = [:]
            if layers.contains(layer) {
                for p in Projection.allCases where targets.contains(p) {
                    var r = rng.fork()
                    here[p] = make(&r)
                }
            }
            all.append(here)
        }
        adapters = all
        headStream = rng.fork()
    }
}
