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
        return try Tensor.layerNorm(x, gamma: weight, beta: bias, eps: eps)
    }
}
