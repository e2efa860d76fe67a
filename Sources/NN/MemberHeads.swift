import Core
import Tensor

/// One linear classification head per member, stored together:
/// weight [M, classes, dim], bias [M, classes].
public final class MemberHeads: Module {
    public let weight: Tensor
    public let bias: Tensor
    public var members: Int { weight.shape[0] }

    /// Fresh heads, each initialised as torch.nn.Linear from its own stream.
    public init(members: Int, dim: Int, classes: Int, rng: inout RNG) {
        var w: [Float] = [], b: [Float] = []
        for _ in 0..<members {
            var r = rng.fork()
            let l = Linear(dim, classes, rng: &r)
            w += l.weight.data
            b += l.bias!.data
        }
        weight = parameter(try! Tensor(shape: [members, classes, dim], data: w))
        bias = parameter(try! Tensor(shape: [members, classes], data: b))
    }

    /// Every member starts as a copy of `head`.
    public init(members: Int, copying head: Linear) {
        let w = Array([[Float]](repeating: head.weight.data, count: members).joined())
        let bb = head.bias?.data ?? [Float](repeating: 0, count: head.outFeatures)
        let b = Array([[Float]](repeating: bb, count: members).joined())
        weight = parameter(try! Tensor(shape: [members, head.outFeatures, head.inFeatures], data: w))
        bias = parameter(try! Tensor(shape: [members, head.outFeatures], data: b))
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [("weight", weight), ("bias", bias)] }

    /// features [M*B, dim] (members folded into the batch) -> logits [M, B, classes].
    public func callAsFunction(_ features: Tensor) throws -> Tensor {
        try Self.logits(features, weight: weight, bias: bias)
    }

    /// The heads of members `range` on their features [k*B, dim] -> logits [k, B, classes]
    /// (the gradients flow back into every member's head tensors).
    func callAsFunction(_ features: Tensor, members range: Range<Int>) throws -> Tensor {
        if range == 0..<members { return try self(features) }
        return try Self.logits(features, weight: weight.slice(axis: 0, range: range), bias: bias.slice(axis: 0, range: range))
    }

    private static func logits(_ features: Tensor, weight: Tensor, bias: Tensor) throws -> Tensor {
        let m = weight.shape[0], d = weight.shape[2], c = weight.shape[1]
        let bsz = features.shape[0] / m
        let f = try features.reshape([m, bsz, d])
        let z = try Tensor.matmul(f, weight, transposeB: true)     // [M, B, C]
        return try z + bias.reshape([m, 1, c])
    }
}
