import Core
import Tensor

/// How the LoRA down-projection A is initialised (B always starts at 0).
public enum LoRAInit: Equatable, Codable, Sendable, CustomStringConvertible {
    /// Xavier/Glorot uniform with a gain: U(-g*sqrt(6/(in+r)), +g*sqrt(6/(in+r))).
    /// The paper's final ViT configs use gain 10.
    case xavierUniform(gain: Float)
    /// N(0, std^2) (0.02 in the paper's alternatives).
    case gaussian(std: Float)
    /// torch's kaiming_uniform_(a = sqrt(5)) as in PEFT: U(-1/sqrt(in), 1/sqrt(in)).
    case kaimingUniform

    /// The paper's default: Xavier-uniform with gain 10.
    public static let paper = LoRAInit.xavierUniform(gain: 10)

    /// The names `named` accepts, one per kind (aliases aside).
    public static let names = ["xavier", "gaussian", "kaiming"]

    /// Parses a user's choice: "xavier" / "xavier_uniform" (gain, default 10),
    /// "gaussian" / "normal" (std, default 0.02), "kaiming" / "kaiming_uniform".
    public static func named(_ name: String, gain: Float? = nil, std: Float? = nil) throws -> LoRAInit {
        switch name.lowercased() {
        case "xavier", "xavier_uniform", "xavieruniform": return .xavierUniform(gain: gain ?? 10)
        case "gaussian", "normal": return .gaussian(std: std ?? 0.02)
        case "kaiming", "kaiming_uniform", "kaiminguniform": return .kaimingUniform
        default:
            throw NNError.invalidConfiguration("unknown LoRA init '\(name)'; choose xavier (gain, default 10), gaussian (std, default 0.02) or kaiming")
        }
    }

    public var description: String {
        switch self {
        case .xavierUniform(let g): return "xavier_uniform(gain: \(g))"
        case .gaussian(let s): return "gaussian(std: \(s))"
        case .kaimingUniform: return "kaiming_uniform"
        }
    }

    func sample(rank r: Int, inFeatures d: Int, rng: inout RNG) -> [Float] {
        var a = [Float](repeating: 0, count: r * d)
        switch self {
        case .xavierUniform(let g):
            let bound = g * (6 / Float(d + r)).squareRoot()
            for i in a.indices { a[i] = (2 * rng.uniform() - 1) * bound }
        case .gaussian(let s):
            for i in a.indices { a[i] = rng.normal() * s }
        case .kaimingUniform:
            let bound = 1 / Float(d).squareRoot()
            for i in a.indices { a[i] = (2 * rng.uniform() - 1) * bound }
        }
        return a
    }
}

/// Low-rank updates of one projection for M members, all in one tensor each:
/// A [M, r, in], B [M, out, r]. Member m computes
/// y = W0 x + b + scale * B_m (A_m x), with the shared W0 x done as ONE gemm over
/// all M*B rows and the rank-r terms batched per member.
public final class LoRAAdapter: Module, ProjectionAdapter {
    public let a: Tensor
    public let b: Tensor
    public let scale: Float
    public var members: Int { a.shape[0] }
    public var rank: Int { a.shape[1] }

    public init(members: Int, rank: Int, inFeatures: Int, outFeatures: Int, initA: LoRAInit,
                scale: Float, rng: inout RNG) {
        var data: [Float] = []
        data.reserveCapacity(members * rank * inFeatures)
        for _ in 0..<members { data += initA.sample(rank: rank, inFeatures: inFeatures, rng: &rng) }
        a = parameter(try! Tensor(shape: [members, rank, inFeatures], data: data))
        b = parameter(Tensor.zeros([members, outFeatures, rank]))
        self.scale = scale
    }

    /// The adapters of members `range` only, for a pass over those members:
    /// A and B are slices whose gradients flow back into this adapter's.
    private init(slicing a: Tensor, _ b: Tensor, scale: Float) {
        self.a = a; self.b = b; self.scale = scale
    }

    func members(_ range: Range<Int>) throws -> LoRAAdapter {
        if range == 0..<members { return self }
        return LoRAAdapter(slicing: try a.slice(axis: 0, range: range), try b.slice(axis: 0, range: range), scale: scale)
    }

    public var localParameters: [(name: String, tensor: Tensor)] { [("A", a), ("B", b)] }

    public func project(_ x: Tensor, through base: Linear) throws -> Tensor {
        // Shared frozen product over all rows, the rank-r terms added in place per member.
        try Tensor.linear(x, weight: base.weight, bias: base.bias, lowRank: [update(offset: 0)])
    }

    /// This adapter as an in-place update of output columns offset..<offset+out.
    public func update(offset: Int) -> LowRankUpdate {
        LowRankUpdate(a: a, b: b, scale: scale, offset: offset)
    }

    public func lowRankUpdate(offset: Int) -> LowRankUpdate? { update(offset: offset) }

    /// Member m's dense update scale * B_m A_m: [out, in] (for merging into W0).
    public func delta(member mi: Int) throws -> [Float] {
        let r = rank, out = b.shape[1], inF = a.shape[2]
        var d = [Float](repeating: 0, count: out * inF)
        for o in 0..<out {
            for k in 0..<r {
                let bv = b.data[(mi * out + o) * r + k] * scale
                if bv == 0 { continue }
                for i in 0..<inF { d[o * inF + i] += bv * a.data[(mi * r + k) * inF + i] }
            }
        }
        return d
    }
}
