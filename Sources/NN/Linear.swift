import Core
import Tensor

/// y = x W^T + b over the last axis. `weight` is [out, in], `bias` [out].
/// Initialised as torch.nn.Linear: U(-1/sqrt(in), 1/sqrt(in)) for both.
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout RNG) {
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = parameter(Tensor.uniform([outFeatures, inFeatures], low: -bound, high: bound, rng: &rng))
        self.bias = bias ? parameter(Tensor.uniform([outFeatures], low: -bound, high: bound, rng: &rng)) : nil
    }

    public var localParameters: [(name: String, tensor: Tensor)] {
        var p: [(name: String, tensor: Tensor)] = [("weight", weight)]
        if let b = bias { p.append(("bias", b)) }
        return p
    }

    /// x [..., in] -> [..., out], one gemm over all leading rows.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try Tensor.linear(x, weight: weight, bias: bias)
    }
}
