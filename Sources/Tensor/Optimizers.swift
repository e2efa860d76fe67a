// Optimizers over a list of parameter tensors (they know nothing of models):
// SGD with momentum, Adam (L2 into the gradient) and AdamW (decoupled weight
// decay), all with torch.optim semantics. State is kept per parameter object.
import Foundation

/// Updates parameters in place from their accumulated gradients.
public protocol Optimizer: AnyObject {
    /// Step size; schedules set it before each step.
    var learningRate: Float { get set }
    /// Updates `p.data` in place from `p.grad` for every parameter (skips nil grads).
    func step(_ parameters: [Tensor]) throws
    /// Bytes of optimizer state (for summaries).
    var stateBytes: Int { get }
}

/// Checks that a parameter's gradient matches its shape.
private func checkedGrad(_ p: Tensor, op: String) throws -> Tensor? {
    guard let g = p.grad else { return nil }
    guard g.count == p.count else {
        throw TensorError.shapeMismatch(op: op, shapes: [p.shape, g.shape], detail: "gradient of \(p.label ?? "parameter") does not match its shape")
    }
    return g
}

/// Stochastic gradient descent with optional momentum and L2 weight decay (torch.optim.SGD, dampening 0).
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float
    public let weightDecay: Float
    private var buffers: [ObjectIdentifier: (Tensor, [Float])] = [:]

    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    public var stateBytes: Int { buffers.values.reduce(0) { $0 + $1.1.count * 4 } }

    public func step(_ parameters: [Tensor]) throws {
        try Profile.measure(.optimizer) { try sgdStep(parameters) }
    }

    private func sgdStep(_ parameters: [Tensor]) throws {
        let lr = learningRate, mu = momentum, wd = weightDecay
        for p in parameters {
            guard let g = try checkedGrad(p, op: "SGD.step") else { continue }
            let n = p.count
            let id = ObjectIdentifier(p)
            var buf: [Float] = []
            let first: Bool
            if mu != 0 {
                if let e = buffers[id] { buf = e.1; first = false; buffers[id] = nil } else { buf = [Float](repeating: 0, count: n); first = true }
            } else { first = false }
            p.data.withUnsafeMutableBufferPointer { pb in g.data.withUnsafeBufferPointer { gb in buf.withUnsafeMutableBufferPointer { bb in
                let w = pb.baseAddress!, d = gb.baseAddress!
                if mu != 0 {
                    let m = bb.baseAddress!
                    for i in 0..<n {
                        let gi = d[i] + wd * w[i]
                        m[i] = first ? gi : mu * m[i] + gi
                        w[i] -= lr * m[i]
                    }
                } else {
                    for i in 0..<n { w[i] -= lr * (d[i] + wd * w[i]) }
                }
            } } }
            if mu != 0 { buffers[id] = (p, buf) }
        }
    }
}

/// Adam / AdamW state of one parameter.
private struct AdamState {
    let param: Tensor  // keeps the identity alive
    var m: [Float]
    var v: [Float]
    var step: Int
}

/// Shared Adam update; `decoupled` selects AdamW's weight decay.
private func adamStep(_ parameters: [Tensor], state: inout [ObjectIdentifier: AdamState], lr: Float, b1: Float, b2: Float,
                      eps: Float, wd: Float, decoupled: Bool, op: String) throws {
    try Profile.measure(.optimizer) {
    for p in parameters {
        guard let g = try checkedGrad(p, op: op) else { continue }
        let n = p.count
        let id = ObjectIdentifier(p)
        var s = state.removeValue(forKey: id) ?? AdamState(param: p, m: [Float](repeating: 0, count: n), v: [Float](repeating: 0, count: n), step: 0)
        s.step += 1
        let bc1 = 1 - Foundation.pow(Double(b1), Double(s.step))
        let bc2 = 1 - Foundation.pow(Double(b2), Double(s.step))
        let stepSize = Float(Double(lr) / bc1)
        let rbc2 = Float(1 / bc2.squareRoot())
        let decay: Float = decoupled ? 1 - lr * wd : 1
        let l2: Float = decoupled ? 0 : wd
        p.data.withUnsafeMutableBufferPointer { pb in g.data.withUnsafeBufferPointer { gb in
        s.m.withUnsafeMutableBufferPointer { mb in s.v.withUnsafeMutableBufferPointer { vb in
            let w = pb.baseAddress!, d = gb.baseAddress!, m = mb.baseAddress!, v = vb.baseAddress!
            for i in 0..<n {
                let gi = d[i] + l2 * w[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                let denom = v[i].squareRoot() * rbc2 + eps
                w[i] = w[i] * decay - stepSize * m[i] / denom
            }
        } } } }
        state[id] = s
    }
    }
}

/// Adam and AdamW: the same moments, bias corrections and update (`adamStep`);
/// they differ only in how weight decay enters (`decoupled`) and its default.
public class AdamFamily: Optimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    /// false: L2 added to the gradient (Adam); true: p *= 1 - lr * weightDecay (AdamW).
    let decoupled: Bool
    /// The operation's name in errors ("AdamW.step").
    let op: String
    private var state: [ObjectIdentifier: AdamState] = [:]

    init(learningRate: Float, beta1: Float, beta2: Float, eps: Float, weightDecay: Float, decoupled: Bool, op: String) {
        self.learningRate = learningRate
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
        self.decoupled = decoupled; self.op = op
    }

    public var stateBytes: Int { state.values.reduce(0) { $0 + ($1.m.count + $1.v.count) * 4 } }

    public func step(_ parameters: [Tensor]) throws {
        try adamStep(parameters, state: &state, lr: learningRate, b1: beta1, b2: beta2, eps: eps, wd: weightDecay,
                     decoupled: decoupled, op: op)
    }
}

/// Adam (torch.optim.Adam): weight decay is L2 added to the gradient.
public final class Adam: AdamFamily {
    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0) {
        super.init(learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
                   decoupled: false, op: "Adam.step")
    }
}

/// AdamW (torch.optim.AdamW): decoupled weight decay p *= 1 - lr * weightDecay.
public final class AdamW: AdamFamily {
    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0.01) {
        super.init(learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
                   decoupled: true, op: "AdamW.step")
    }
}

/// Scales all gradients so their global L2 norm is at most `maxNorm`; returns
/// the norm before clipping (torch.nn.utils.clip_grad_norm_ semantics).
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    Profile.measure(.optimizer) { clipGradNormBody(parameters, maxNorm: maxNorm) }
}

private func clipGradNormBody(_ parameters: [Tensor], maxNorm: Float) -> Float {
    var total: Double = 0
    for p in parameters {
        guard let g = p.grad else { continue }
        g.data.withUnsafeBufferPointer { b in
            if let p = b.baseAddress { total += Double(vdot(p, p, b.count)) }
        }
    }
    let norm = Float(total.squareRoot())
    scaleGradients(parameters, norm: norm, maxNorm: maxNorm)
    return norm
}

/// The scaling half of global-norm clipping, given the norm however it was
/// summed (here, or per member across MPI ranks): every gradient times
/// maxNorm / (norm + 1e-6) when that is below 1.
public func scaleGradients(_ parameters: [Tensor], norm: Float, maxNorm: Float) {
    let coef = maxNorm / (norm + 1e-6)
    guard coef < 1 else { return }
    Profile.measure(.optimizer) {
    for p in parameters {
        guard let g = p.grad else { continue }
        g.data.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] *= coef } }
    }
    }
}

/// Learning-rate schedules.
public enum LRSchedule {
    /// The same rate at every step.
    case constant(Float)
    /// Linear warm-up from base/warmupSteps to base over `warmupSteps`, then cosine decay to 0 at `totalSteps`.
    case warmupCosine(base: Float, warmupSteps: Int, totalSteps: Int)

    /// Rate for step `atStep` (0-based).
    public func learningRate(atStep step: Int) -> Float {
        switch self {
        case let .constant(lr): return lr
        case let .warmupCosine(base, warmup, total):
            if step < warmup { return base * Float(step + 1) / Float(warmup) }
            let span = Swift.max(1, total - warmup)
            let progress = Swift.min(1, Double(step - warmup) / Double(span))
            return base * Float(0.5 * (1 + Foundation.cos(Double.pi * progress)))
        }
    }
}
