import Core
import Tensor

/// Vision Transformer: patch embedding (a linear map of flattened C x p x p
/// patches, equal to a stride-p convolution), class token, learned position
/// embeddings, pre-LN encoder blocks, final LayerNorm, linear head on the
/// class token.
public final class ViT: Module {
    public let config: ViTConfig
    /// Conv2d-equivalent patch projection: weight [dim, C*p*p], bias [dim].
    public let patchEmbedding: Linear
    /// [1, 1, dim]
    public let classToken: Tensor
    /// [1, tokens, dim]
    public let positions: Tensor
    public let blocks: [TransformerBlock]
    public let norm: LayerNorm
    public let head: Linear

    public init(_ config: ViTConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        var rng = RNG(seed: seed)
        patchEmbedding = Linear(config.patchFeatures, config.dim, rng: &rng)
        classToken = parameter(Tensor.randn([1, 1, config.dim], mean: 0, std: 0.02, rng: &rng))
        positions = parameter(Tensor.randn([1, config.tokens, config.dim], mean: 0, std: 0.02, rng: &rng))
        var bs: [TransformerBlock] = []
        for _ in 0..<config.depth {
            bs.append(try TransformerBlock(dim: config.dim, heads: config.heads, mlpHidden: config.mlp,
                                           eps: config.eps, rng: &rng))
        }
        blocks = bs
        norm = LayerNorm(config.dim, eps: config.eps)
        head = Linear(config.dim, config.classes, rng: &rng)
        labelParameters()
    }

    /// A deep copy (same values, same trainable/frozen flags).
    public func copy() throws -> ViT {
        let c = try ViT(config, seed: 0)
        try c.loadStateDict(stateDict(), source: "a copy")
        for (a, b) in zip(parameters(), c.parameters()) { b.requiresGrad = a.requiresGrad }
        return c
    }

    public var localParameters: [(name: String, tensor: Tensor)] {
        [("cls", classToken), ("pos", positions)]
    }

    public var children: [(name: String, module: Module)] {
        var c: [(name: String, module: Module)] = [("patch", patchEmbedding)]
        for (i, b) in blocks.enumerated() { c.append(("blocks.\(i)", b)) }
        c.append(("norm", norm))
        c.append(("head", head))
        return c
    }

    /// Token embeddings [N, tokens, dim] of N images ([N, C, H, W] floats).
    public func embed(_ images: [Float], count n: Int) throws -> Tensor {
        let patches = try extractPatches(images, count: n, config: config)
        let x = try patchEmbedding(patches)                                // [N, P, d]
        let cls = try classToken.expand(to: [n, 1, config.dim])
        let tokens = try Tensor.concat([cls, x], axis: 1)                 // [N, T, d]
        return try tokens + positions
    }

    /// Class-token features after the final LayerNorm: [N, d] (what the head sees).
    public func features(_ images: [Float], count n: Int, context: ForwardContext) throws -> Tensor {
        try features(.images(images, count: n), context: context)
    }

    /// Logits [N, classes].
    public func logits(_ images: [Float], count n: Int, context: ForwardContext = ForwardContext()) throws -> Tensor {
        try logits(.images(images, count: n), context: context)
    }
}

extension ViT: Backbone {
    public var architecture: Architecture {
        Architecture(family: "ViT", width: config.dim, depth: config.depth, heads: config.heads, classes: config.classes,
                     input: .images(channels: config.channels, height: config.height, width: config.width, patch: config.patch),
                     description: config.description)
    }

    public func copyBackbone() throws -> Backbone { try copy() }

    public func embed(_ input: ModelInput) throws -> EmbeddedBatch {
        guard case .images(let pixels, let n) = input else {
            throw NNError.dataMismatch("a ViT reads images, but got texts; use a text model (load_model(\"minilm\")) for text data")
        }
        return EmbeddedBatch(tokens: try embed(pixels, count: n), validTokens: nil, pieces: nil)
    }

    /// The final LayerNorm.
    public func finish(_ h: Tensor) throws -> Tensor { try norm(h) }

    /// The class token.
    public func pool(_ h: Tensor, validTokens: [Int]?) throws -> Tensor { try h.select(axis: 1, index: 0) }
}

extension ViT: BackboneCheckpoint {
    static var family: String { "vit" }

    var checkpointRecipe: [String: String] { ["config": Checkpoint.json(config)] }

    static func plannedParameters(_ md: CheckpointMetadata) throws -> Double {
        let c = try md.json("config", as: ViTConfig.self, what: "ViT configuration")
        try checkSizes([("channels", c.channels), ("height", c.height), ("width", c.width), ("patch", c.patch), ("dim", c.dim),
                        ("depth", c.depth), ("heads", c.heads), ("mlp", c.mlp), ("classes", c.classes)], md)
        try checkEpsilon(c.eps, md)
        do { try c.validate() } catch { throw md.fail("its ViT configuration: \(error)") }
        let d = Double(c.dim), mlp = Double(c.mlp)
        let tokens: Double = Double(c.height / c.patch) * Double(c.width / c.patch) + 1
        let norms: Double = 4 * d
        let attention: Double = 4 * linearParameters(d, d)
        let block: Double = norms + attention + linearParameters(d, mlp) + linearParameters(mlp, d)
        let patches: Double = linearParameters(Double(c.channels) * Double(c.patch) * Double(c.patch), d)
        let embedding: Double = patches + d + tokens * d
        let encoder: Double = Double(c.depth) * block
        return embedding + encoder + 2 * d + linearParameters(d, Double(c.classes))
    }

    static func rebuild(_ md: CheckpointMetadata) throws -> Backbone {
        try ViT(md.json("config", as: ViTConfig.self, what: "ViT configuration"), seed: 0)
    }
}
