// Elementwise ops: broadcast binary arithmetic, tensor-scalar arithmetic,
// unary math (exp, log, sqrt, pow, tanh, relu, gelu, sigmoid) and comparisons.
// Forward and backward of each op side by side.
import CBLAS
import Foundation

/// Elementwise work below this many elements runs on one thread.
let elementwiseParallelMin = 1 << 16

// Per-element functions are small structs rather than closures: generic
// specialisation then inlines them into the loops, which vectorise.

/// A function of one float.
protocol Map1 { func callAsFunction(_ x: Float) -> Float }
/// A function of two floats.
protocol Map2 { func callAsFunction(_ a: Float, _ b: Float) -> Float }
/// A function of three floats.
protocol Map3 { func callAsFunction(_ a: Float, _ b: Float, _ c: Float) -> Float }

/// y[i] = f(p[i * sp], q[i * sq]) for i in 0..<m, with fast paths for unit and
/// zero (broadcast) strides so the common cases vectorise.
@inline(__always)
func stridedRun<F: Map2>(_ f: F, _ y: UnsafeMutablePointer<Float>, _ p: UnsafePointer<Float>, _ sp: Int,
                         _ q: UnsafePointer<Float>, _ sq: Int, _ m: Int) {
    if sp == 1 && sq == 1 { for i in 0..<m { y[i] = f(p[i], q[i]) } }
    else if sp == 1 && sq == 0 { let v = q[0]; for i in 0..<m { y[i] = f(p[i], v) } }
    else if sp == 0 && sq == 1 { let v = p[0]; for i in 0..<m { y[i] = f(v, q[i]) } }
    else { for i in 0..<m { y[i] = f(p[i * sp], q[i * sq]) } }
}

/// y[i] = f(x[i]) over n elements, parallel when large.
@inline(__always)
func map1<F: Map1>(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, cost: Int = 1, _ f: F) {
    Engine.parallelFor(n, work: n * cost, minWork: elementwiseParallelMin) { r in
        for i in r { y[i] = f(x[i]) }
    }
}

/// y[i] (=|+=) f(a[i], b[i]) over n elements, parallel when large.
@inline(__always)
func map2<F: Map2>(_ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                   accumulate: Bool, cost: Int = 1, _ f: F) {
    Engine.parallelFor(n, work: n * cost, minWork: elementwiseParallelMin) { r in
        if accumulate { for i in r { y[i] += f(a[i], b[i]) } } else { for i in r { y[i] = f(a[i], b[i]) } }
    }
}

/// y[i] (=|+=) f(a[i], b[i], c[i]) over n elements, parallel when large.
@inline(__always)
func map3<F: Map3>(_ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                   _ y: UnsafeMutablePointer<Float>, accumulate: Bool, cost: Int = 1, _ f: F) {
    Engine.parallelFor(n, work: n * cost, minWork: elementwiseParallelMin) { r in
        if accumulate { for i in r { y[i] += f(a[i], b[i], c[i]) } } else { for i in r { y[i] = f(a[i], b[i], c[i]) } }
    }
}

struct Affine: Map1 { let s: Float, c: Float; @inline(__always) func callAsFunction(_ x: Float) -> Float { s * x + c } }
struct RDiv: Map1 { let s: Float; @inline(__always) func callAsFunction(_ x: Float) -> Float { s / x } }
struct ExpF: Map1 {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 88.72 ? .infinity : (x < -103.9 ? 0 : fastExp(x)) }
}
struct LogF: Map1 { @inline(__always) func callAsFunction(_ x: Float) -> Float { Foundation.log(x) } }
struct SqrtF: Map1 { @inline(__always) func callAsFunction(_ x: Float) -> Float { x.squareRoot() } }
struct TanhF: Map1 {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { Foundation.tanh(x) }
}
struct ReluF: Map1 { @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : 0 } }
struct SigmoidF: Map1 { @inline(__always) func callAsFunction(_ x: Float) -> Float { 1 / (1 + fastExp(-x)) } }
struct GeluF: Map1 { @inline(__always) func callAsFunction(_ x: Float) -> Float { 0.5 * x * (1 + fastErf(x * invSqrt2)) } }
struct SquareF: Map1 { @inline(__always) func callAsFunction(_ x: Float) -> Float { x * x } }
struct PowF: Map1 { let e: Float; @inline(__always) func callAsFunction(_ x: Float) -> Float { Foundation.pow(x, e) } }

struct AddF: Map2 { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b } }
struct SubF: Map2 { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b } }
struct MulF: Map2 { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b } }
struct DivF: Map2 { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b } }
struct ScaleFirst: Map2 { let s: Float; @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { s * a } }
struct RDivBack: Map2 { let s: Float; @inline(__always) func callAsFunction(_ d: Float, _ x: Float) -> Float { -s * d / (x * x) } }
struct SqrtBack: Map2 { @inline(__always) func callAsFunction(_ d: Float, _ y: Float) -> Float { d * 0.5 / y } }
struct TanhBack: Map2 { @inline(__always) func callAsFunction(_ d: Float, _ y: Float) -> Float { d * (1 - y * y) } }
struct ReluBack: Map2 { @inline(__always) func callAsFunction(_ d: Float, _ x: Float) -> Float { x > 0 ? d : 0 } }
struct SigmoidBack: Map2 { @inline(__always) func callAsFunction(_ d: Float, _ y: Float) -> Float { d * y * (1 - y) } }
struct GeluBack: Map2 {
    @inline(__always) func callAsFunction(_ d: Float, _ x: Float) -> Float {
        let cdf = 0.5 * (1 + fastErf(x * invSqrt2))
        let pdf = invSqrt2Pi * fastExp(-0.5 * x * x)
        return d * (cdf + x * pdf)
    }
}
struct GeluBackSaved: Map3 {
    @inline(__always) func callAsFunction(_ d: Float, _ x: Float, _ cdf: Float) -> Float {
        d * (cdf + x * invSqrt2Pi * fastExp(-0.5 * x * x))
    }
}
struct SquareBack: Map2 { @inline(__always) func callAsFunction(_ d: Float, _ x: Float) -> Float { 2 * d * x } }
struct PowBack: Map2 { let e: Float; @inline(__always) func callAsFunction(_ d: Float, _ x: Float) -> Float { d * e * Foundation.pow(x, e - 1) } }
struct DivBackB: Map3 { @inline(__always) func callAsFunction(_ d: Float, _ a: Float, _ b: Float) -> Float { -d * a / (b * b) } }

// MARK: - Binary (broadcasting)

enum BinaryKind { case add, sub, mul, div
    var name: String {
        switch self { case .add: return "add"; case .sub: return "subtract"; case .mul: return "multiply"; case .div: return "divide" }
    }
}

extension Tensor {
    static func binary(_ a: Tensor, _ b: Tensor, _ kind: BinaryKind) throws -> Tensor {
        if a.shape == b.shape { return binarySame(a, b, kind) }
        guard let outShape = broadcastShape(a.shape, b.shape) else {
            throw TensorError.shapeMismatch(op: kind.name, shapes: [a.shape, b.shape],
                                            detail: "axes must be equal or 1 (aligned from the right)")
        }
        let n = try checkedCount(outShape, op: kind.name)
        let plan = BroadcastPlan(out: outShape, a: a.shape, b: b.shape)
        let m = plan.inner, sa = plan.innerA, sb = plan.innerB
        let out = uninitializedFloats(n, .elementwise) { y in
            a.data.withUnsafeBufferPointer { ab in b.data.withUnsafeBufferPointer { bb in
                let x = ab.baseAddress!, z = bb.baseAddress!
                switch kind {
                case .add: plan.forEachRun { o, ia, ib in stridedRun(AddF(), y + o, x + ia, sa, z + ib, sb, m) }
                case .sub: plan.forEachRun { o, ia, ib in stridedRun(SubF(), y + o, x + ia, sa, z + ib, sb, m) }
                case .mul: plan.forEachRun { o, ia, ib in stridedRun(MulF(), y + o, x + ia, sa, z + ib, sb, m) }
                case .div: plan.forEachRun { o, ia, ib in stridedRun(DivF(), y + o, x + ia, sa, z + ib, sb, m) }
                }
            } }
        }
        return result(outShape, out, [a, b], .elementwise) { t in
            let dy = t.grad!.data
            // Gradient w.r.t. each input at full (broadcast) size, then reduced.
            func full(_ forA: Bool) -> [Float] {
                switch kind {
                case .add: return dy
                case .sub: return forA ? dy : dy.map { -$0 }
                case .mul, .div:
                    return uninitializedFloats(n, .elementwise) { g in
                        dy.withUnsafeBufferPointer { db in a.data.withUnsafeBufferPointer { ab in b.data.withUnsafeBufferPointer { bb in
                            let d = db.baseAddress!, x = ab.baseAddress!, z = bb.baseAddress!
                            switch (kind, forA) {
                            case (.mul, true): plan.forEachRun { o, _, ib in stridedRun(MulF(), g + o, d + o, 1, z + ib, sb, m) }
                            case (.mul, false): plan.forEachRun { o, ia, _ in stridedRun(MulF(), g + o, d + o, 1, x + ia, sa, m) }
                            case (.div, true): plan.forEachRun { o, _, ib in stridedRun(DivF(), g + o, d + o, 1, z + ib, sb, m) }
                            default:
                                plan.forEachRun { o, ia, ib in
                                    for i in 0..<m {
                                        let zv = z[ib + i * sb]
                                        g[o + i] = -d[o + i] * x[ia + i * sa] / (zv * zv)
                                    }
                                }
                            }
                        } } }
                    }
                }
            }
            if a.requiresGrad { a.accumulateGrad(reduceGrad(full(true), from: outShape, to: a.shape)) }
            if b.requiresGrad { b.accumulateGrad(reduceGrad(full(false), from: outShape, to: b.shape)) }
        }
    }

    /// Same-shape fast path: straight vectorisable loops, gradients written in place.
    private static func binarySame(_ a: Tensor, _ b: Tensor, _ kind: BinaryKind) -> Tensor {
        let n = a.count
        let out = uninitializedFloats(n, .elementwise) { y in
            a.data.withUnsafeBufferPointer { ab in b.data.withUnsafeBufferPointer { bb in
                guard let x = ab.baseAddress, let z = bb.baseAddress else { return }
                switch kind {
                case .add: map2(n, x, z, y, accumulate: false, AddF())
                case .sub: map2(n, x, z, y, accumulate: false, SubF())
                case .mul: map2(n, x, z, y, accumulate: false, MulF())
                case .div: map2(n, x, z, y, accumulate: false, DivF())
                }
            } }
        }
        return result(a.shape, out, [a, b], .elementwise) { t in
            let dy = t.grad!.data
            dy.withUnsafeBufferPointer { db in a.data.withUnsafeBufferPointer { ab in b.data.withUnsafeBufferPointer { bb in
                guard let d = db.baseAddress, let x = ab.baseAddress, let z = bb.baseAddress else { return }
                switch kind {
                case .add:
                    a.accumulateGrad(dy)
                    b.accumulateGrad(dy)
                case .sub:
                    a.accumulateGrad(dy)
                    b.accumulateGrad { g, fresh in map2(n, d, d, g, accumulate: !fresh, ScaleFirst(s: -1)) }
                case .mul:
                    a.accumulateGrad { g, fresh in map2(n, d, z, g, accumulate: !fresh, MulF()) }
                    b.accumulateGrad { g, fresh in map2(n, d, x, g, accumulate: !fresh, MulF()) }
                case .div:
                    a.accumulateGrad { g, fresh in map2(n, d, z, g, accumulate: !fresh, DivF()) }
                    b.accumulateGrad { g, fresh in map3(n, d, x, z, g, accumulate: !fresh, DivBackB()) }
                }
            } } }
        }
    }

    /// Elementwise sum with broadcasting.
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try binary(a, b, .add) }
    /// Elementwise difference with broadcasting.
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try binary(a, b, .sub) }
    /// Elementwise product with broadcasting.
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try binary(a, b, .mul) }
    /// Elementwise quotient with broadcasting.
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try binary(a, b, .div) }
}

// MARK: - Unary (including tensor-scalar)

enum UnaryKind {
    case affine(Float, Float)      // y = s * x + c
    case rdiv(Float)               // y = s / x
    case exp, log, sqrt, tanh, relu, gelu, sigmoid
    case pow(Float)
}

let invSqrt2: Float = 0.70710678118654752
let invSqrt2Pi: Float = 0.39894228040143268

extension Tensor {
    static func unary(_ x: Tensor, _ kind: UnaryKind) -> Tensor {
        let n = x.count
        let out = uninitializedFloats(n, .elementwise) { y in
            x.data.withUnsafeBufferPointer { xb in
                let p = xb.baseAddress!
                switch kind {
                case let .affine(s, c): map1(n, p, y, Affine(s: s, c: c))
                case let .rdiv(s): map1(n, p, y, RDiv(s: s))
                case .exp: map1(n, p, y, cost: 8, ExpF())
                case .log: map1(n, p, y, cost: 8, LogF())
                case .sqrt: map1(n, p, y, cost: 4, SqrtF())
                case .tanh: map1(n, p, y, cost: 8, TanhF())
                case .relu: map1(n, p, y, ReluF())
                case .sigmoid: map1(n, p, y, cost: 8, SigmoidF())
                case .gelu:
                    if Engine.vectorKernels {
                        Engine.parallelFor(n, work: n * 12, minWork: elementwiseParallelMin) { r in
                            lora_gelu_forward(r.count, p + r.lowerBound, y + r.lowerBound, nil)
                        }
                    } else { map1(n, p, y, cost: 12, GeluF()) }
                case let .pow(e):
                    if e == 2 { map1(n, p, y, SquareF()) } else { map1(n, p, y, cost: 8, PowF(e: e)) }
                }
            }
        }
        return result(x.shape, out, [x], .elementwise) { t in
            let dy = t.grad!.data, yv = t.data
            dy.withUnsafeBufferPointer { db in x.data.withUnsafeBufferPointer { xb in yv.withUnsafeBufferPointer { yb in
                guard let d = db.baseAddress, let xp = xb.baseAddress, let yp = yb.baseAddress else { return }
                x.accumulateGrad { g, fresh in
                    let acc = !fresh
                    switch kind {
                    case let .affine(s, _):
                        if s == 1 && fresh { g.update(from: d, count: n) } else { map2(n, d, d, g, accumulate: acc, ScaleFirst(s: s)) }
                    case let .rdiv(s): map2(n, d, xp, g, accumulate: acc, RDivBack(s: s))
                    case .exp: map2(n, d, yp, g, accumulate: acc, MulF())
                    case .log: map2(n, d, xp, g, accumulate: acc, DivF())
                    case .sqrt: map2(n, d, yp, g, accumulate: acc, SqrtBack())
                    case .tanh: map2(n, d, yp, g, accumulate: acc, TanhBack())
                    case .relu: map2(n, d, xp, g, accumulate: acc, ReluBack())
                    case .sigmoid: map2(n, d, yp, g, accumulate: acc, SigmoidBack())
                    case .gelu: map2(n, d, xp, g, accumulate: acc, cost: 16, GeluBack())
                    case let .pow(e):
                        if e == 2 { map2(n, d, xp, g, accumulate: acc, SquareBack()) }
                        else { map2(n, d, xp, g, accumulate: acc, cost: 8, PowBack(e: e)) }
                    }
                }
            } } }
        }
    }

    /// e^x.
    public func exp() -> Tensor { Tensor.unary(self, .exp) }
    /// Natural logarithm.
    public func log() -> Tensor { Tensor.unary(self, .log) }
    /// Square root.
    public func sqrt() -> Tensor { Tensor.unary(self, .sqrt) }
    /// x^p.
    public func pow(_ p: Float) -> Tensor { Tensor.unary(self, .pow(p)) }
    /// Hyperbolic tangent.
    public func tanh() -> Tensor { Tensor.unary(self, .tanh) }
    /// max(x, 0).
    public func relu() -> Tensor { Tensor.unary(self, .relu) }
    /// Exact GELU x * Phi(x) (erf form, as torch.nn.GELU()). Fused: the forward
    /// keeps Phi(x) for the backward when a graph is recorded.
    public func gelu() -> Tensor {
        guard Tensor.needsGraph(self) else { return Tensor.unary(self, .gelu) }
        let n = count
        var cdf = uninitializedFloats(n, .elementwise) { _ in }
        let out = uninitializedFloats(n, .elementwise) { y in
            data.withUnsafeBufferPointer { xb in cdf.withUnsafeMutableBufferPointer { cb in
                let x = xb.baseAddress!, c = cb.baseAddress!
                let kernel = Engine.vectorKernels
                Engine.parallelFor(n, work: n * 12, minWork: elementwiseParallelMin) { r in
                    if kernel { lora_gelu_forward(r.count, x + r.lowerBound, y + r.lowerBound, c + r.lowerBound); return }
                    for i in r {
                        let phi = 0.5 * (1 + fastErf(x[i] * invSqrt2))
                        c[i] = phi
                        y[i] = x[i] * phi
                    }
                }
            } }
        }
        let x = self
        return Tensor.result(shape, out, [self], .elementwise) { t in
            t.grad!.data.withUnsafeBufferPointer { db in x.data.withUnsafeBufferPointer { xb in cdf.withUnsafeBufferPointer { cb in
                guard let d = db.baseAddress, let xp = xb.baseAddress, let c = cb.baseAddress else { return }
                x.accumulateGrad { g, fresh in
                    if Engine.vectorKernels {
                        Engine.parallelFor(n, work: n * 8, minWork: elementwiseParallelMin) { r in
                            let o = r.lowerBound
                            lora_gelu_backward(r.count, d + o, xp + o, c + o, g + o, fresh ? 0 : 1)
                        }
                    } else {
                        map3(n, d, xp, c, g, accumulate: !fresh, cost: 8, GeluBackSaved())
                    }
                }
            } } }
        }
    }
    /// Logistic sigmoid.
    public func sigmoid() -> Tensor { Tensor.unary(self, .sigmoid) }

    public static prefix func - (a: Tensor) -> Tensor { unary(a, .affine(-1, 0)) }
    public static func + (a: Tensor, s: Float) -> Tensor { unary(a, .affine(1, s)) }
    public static func + (s: Float, a: Tensor) -> Tensor { unary(a, .affine(1, s)) }
    public static func - (a: Tensor, s: Float) -> Tensor { unary(a, .affine(1, -s)) }
    public static func - (s: Float, a: Tensor) -> Tensor { unary(a, .affine(-1, s)) }
    public static func * (a: Tensor, s: Float) -> Tensor { unary(a, .affine(s, 0)) }
    public static func * (s: Float, a: Tensor) -> Tensor { unary(a, .affine(s, 0)) }
    public static func / (a: Tensor, s: Float) -> Tensor { unary(a, .affine(1 / s, 0)) }
    public static func / (s: Float, a: Tensor) -> Tensor { unary(a, .rdiv(s)) }
}

// MARK: - Comparisons (no gradient)

extension Tensor {
    private static func compare(_ a: Tensor, _ b: Tensor, _ op: String, _ f: (Float, Float) -> Bool) throws -> Tensor {
        guard let outShape = broadcastShape(a.shape, b.shape) else {
            throw TensorError.shapeMismatch(op: op, shapes: [a.shape, b.shape], detail: "axes must be equal or 1 (aligned from the right)")
        }
        let n = try checkedCount(outShape, op: op)
        let plan = BroadcastPlan(out: outShape, a: a.shape, b: b.shape)
        let m = plan.inner, sa = plan.innerA, sb = plan.innerB
        let out = uninitializedFloats(n, .elementwise) { y in
            a.data.withUnsafeBufferPointer { ab in b.data.withUnsafeBufferPointer { bb in
                let x = ab.baseAddress!, z = bb.baseAddress!
                plan.forEachRun { o, ia, ib in
                    for i in 0..<m { y[o + i] = f(x[ia + i * sa], z[ib + i * sb]) ? 1 : 0 }
                }
            } }
        }
        return Tensor(outShape, out)
    }

    /// 1 where self > other (broadcasting), else 0. No gradient.
    public func greater(_ other: Tensor) throws -> Tensor { try Tensor.compare(self, other, "greater") { $0 > $1 } }
    /// 1 where self < other (broadcasting), else 0. No gradient.
    public func less(_ other: Tensor) throws -> Tensor { try Tensor.compare(self, other, "less") { $0 < $1 } }
    /// 1 where self == other (broadcasting), else 0. No gradient.
    public func equal(_ other: Tensor) throws -> Tensor { try Tensor.compare(self, other, "equal") { $0 == $1 } }
    /// 1 where self > s, else 0.
    public func greater(_ s: Float) -> Tensor { Tensor(shape, data.map { $0 > s ? 1 : 0 }) }
    /// 1 where self < s, else 0.
    public func less(_ s: Float) -> Tensor { Tensor(shape, data.map { $0 < s ? 1 : 0 }) }
    /// 1 where self == s, else 0.
    public func equal(_ s: Float) -> Tensor { Tensor(shape, data.map { $0 == s ? 1 : 0 }) }
}
