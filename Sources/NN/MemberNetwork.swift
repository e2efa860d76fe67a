import Tensor

/// A network that computes the logits of all its members in one pass:
/// images [B, C, H, W] -> logits [members, B, classes]. The trainer and the
/// ensemble models drive every kind of network through this.
public protocol MemberNetwork: Module {
    var members: Int { get }
    var vitConfig: ViTConfig { get }
    func memberLogits(_ images: [Float], count: Int, context: ForwardContext) throws -> Tensor
}

extension ViT: MemberNetwork {
    public var members: Int { 1 }
    public var vitConfig: ViTConfig { config }
    public func memberLogits(_ images: [Float], count n: Int, context: ForwardContext) throws -> Tensor {
        try logits(images, count: n, context: context).reshape([1, n, config.classes])
    }
}
