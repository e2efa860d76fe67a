import Tensor

/// Layer normalisation over the last axis with learned scale and shift
/// (torch.nn.LayerNorm, eps 1e-6 as timm's ViT unless told otherwise).
public final class LayerNorm: Module {
    public let weight: Tensor
    public let bias: Tensor
    public let eps: Float

    public init(_ features: Int, eps: Float = 1e-6) {
        weight = parameter(Tensor.ones([features]))
        bias = parameter(Tensor.zeros([features]))
        self.eps = eps
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [("weight", weight), ("bias", bias)] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        // Workaround: Tensor.layerNorm's backward (fabbe63) writes through the
        // base address of an EMPTY array when gamma/beta need no gradient,
        // corrupting the runtime's empty-collection singletons (later crashes
        // in Dictionary). With a frozen LayerNorm in a graph, hand it throwaway
        // trainable copies so it takes the well-defined path; the frozen
        // parameters themselves get no gradient.
        if Tensor.isGradEnabled && x.requiresGrad && !weight.requiresGrad && !bias.requiresGrad {
            let g = weight.detached(), b = bias.detached()
            g.requiresGrad = true; b.requiresGrad = true
            return try Tensor.layerNorm(x, gamma: g, beta: b, eps: eps)
        }
        return try Tensor.layerNorm(x, gamma: weight, beta: bias, eps: eps)
    }
}
