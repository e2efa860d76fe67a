/// Every size of a Vision Transformer.
public struct ViTConfig: Codable, Equatable, Sendable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var patch: Int
    public var dim: Int
    public var depth: Int
    public var heads: Int
    public var mlp: Int
    public var classes: Int
    /// LayerNorm epsilon (1e-6 as timm's ViT).
    public var eps: Float

    public init(channels: Int = 1, height: Int, width: Int, patch: Int, dim: Int, depth: Int,
                heads: Int, mlp: Int? = nil, classes: Int, eps: Float = 1e-6) {
        self.channels = channels; self.height = height; self.width = width
        self.patch = patch; self.dim = dim; self.depth = depth; self.heads = heads
        self.mlp = mlp ?? 4 * dim; self.classes = classes; self.eps = eps
    }

    /// Square images.
    public init(image: Int, channels: Int = 1, patch: Int, dim: Int, depth: Int, heads: Int,
                mlp: Int? = nil, classes: Int) {
        self.init(channels: channels, height: image, width: image, patch: patch, dim: dim,
                  depth: depth, heads: heads, mlp: mlp, classes: classes)
    }

    public var gridHeight: Int { height / patch }
    public var gridWidth: Int { width / patch }
    public var patchCount: Int { gridHeight * gridWidth }
    /// Tokens per image: the class token plus one per patch.
    public var tokens: Int { patchCount + 1 }
    public var patchFeatures: Int { channels * patch * patch }

    /// Throws a clear error when sizes do not fit together.
    public func validate() throws {
        func bad(_ s: String) -> NNError { .invalidConfiguration(s) }
        for (n, v) in [("channels", channels), ("height", height), ("width", width), ("patch", patch),
                       ("dim", dim), ("depth", depth), ("heads", heads), ("mlp", mlp), ("classes", classes)] {
            guard v > 0 else { throw bad("\(n) must be positive, got \(v)") }
        }
        guard height % patch == 0, width % patch == 0 else {
            throw bad("image \(height)x\(width) is not divisible by patch \(patch); choose a patch size that divides the image size")
        }
        guard dim % heads == 0 else {
            throw bad("dim \(dim) is not divisible by heads \(heads); choose dim a multiple of heads")
        }
        guard classes >= 2 else { throw bad("classes must be at least 2, got \(classes)") }
    }

    public var description: String {
        "ViT(image: \(channels)x\(height)x\(width), patch: \(patch), dim: \(dim), depth: \(depth), heads: \(heads), mlp: \(mlp), classes: \(classes))"
    }
}
