// Elementwise ops: broadcast binary arithmetic, tensor-scalar arithmetic,
// unary math (exp, log, sqrt, pow, tanh, relu, gelu, sigmoid) and comparisons.
// Forward and backward of each op side by side.
import Foundation

/// Elementwise work below this many elements runs on one thread.
let elementwiseParallelMin = 1 << 16

/// y[i] = f(x[i]) over n elements, parallel when large.
@inline(__always)
func map1(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, cost: Int = 1,
          _ f: (Float) -> Float) {
    Engine.parallelFor(n, work: n * cost, minWork: elementwiseParallelMin) { r in
        for i in r { y[i] = f(x[i]) }
    }
}

/// y[i] (=|+=) f(a[i], b[i]) over n elements, parallel when large.
@inline(__always)
func map2(_ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
          accumulate: Bool, cost: Int = 1, _ f: (Float, Float) -> Float) {
    Engine.parallelFor(n, work: n * cost, minWork: elementwiseParallelMin) { r in
        if accumulate { for i in r { y[i] += f(a[i], b[i]) } } else { for i in r { y[i] = f(a[i], b[i]) } }
    }
}

/// y[i] (=|+=) f(a[i], b[i], c[i]) over n elements, parallel when large.
@inline(__always)
func map3(_ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
          _ y: UnsafeMutablePointer<Float>, accumulate: Bool, cost: Int = 1, _ f: (Float, Float, Float) -> Float) {
    Engine.parallelFor(n, work: n * cost, minWork: elementwiseParallelMin) { r in
        if accumulate { for i in r { y[i] += f(a[i], b[i], c[i]) } } else { for i in r { y[i] = f(a[i], b[i], c[i]) } }
    }
}

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
        let out = uninitializedFloats(n) { y in
            a.data.withUnsafeBufferPointer { ab in b.data.withUnsafeBufferPointer { bb in
                let x = ab.baseAddress!, z = bb.baseAddress!
                plan.forEachRun { o, ia, ib in
                    switch kind {
                    case .add: for i in 0..<m { y[o + i] = x[ia + i * sa] + z[ib + i * sb] }
                    case .sub: for i in 0..<m { y[o + i] = x[ia + i * sa] - z[ib + i * sb] }
                    case .mul: for i in 0..<m { y[o + i] = x[ia + i * sa] * z[ib + i * sb] }
                    case .div: for i in 0..<m { y[o + i] = x[ia + i * sa] / z[ib + i * sb] }
                    }
                }
            } }
        }
        return result(outShape, out, [a, b]) { t in
            let dy = t.grad!.data
            // Gradient w.r.t. each input at full (broadcast) size, then reduced.
            func full(_ forA: Bool) -> [Float] {
                switch kind {
                case .add: return dy
                case .sub: return forA ? dy : dy.map { -$0 }
                case .mul, .div:
                    return uninitializedFloats(n) { g in
                        dy.withUnsafeBufferPointer { db in a.data.withUnsafeBufferPointer { ab in b.data.withUnsafeBufferPointer { bb in
                            let d = db.baseAddress!, x = ab.baseAddress!, z = bb.baseAddress!
                            plan.forEachRun { o, ia, ib in
                                switch (kind, forA) {
                                case (.mul, true): for i in 0..<m { g[o + i] = d[o + i] * z[ib + i * sb] }
                                case (.mul, false): for i in 0..<m { g[o + i] = d[o + i] * x[ia + i * sa] }
                                case (.div, true): for i in 0..<m { g[o + i] = d[o + i] / z[ib + i * sb] }
                                default:
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
        let out = uninitializedFloats(n) { y in
            a.data.withUnsafeBufferPointer { ab in b.data.withUnsafeBufferPointer { bb in
                guard let x = ab.baseAddress, let z = bb.baseAddress else { return }
                switch kind {
                case .add: map2(n, x, z, y, accumulate: false) { $0 + $1 }
                case .sub: map2(n, x, z, y, accumulate: false) { $0 - $1 }
                case .mul: map2(n, x, z, y, accumulate: false) { $0 * $1 }
                case .div: map2(n, x, z, y, accumulate: false) { $0 / $1 }
                }
            } }
        }
        return result(a.shape, out, [a, b]) { t in
            let dy = t.grad!.data
            dy.withUnsafeBufferPointer { db in a.data.withUnsafeBufferPointer { ab in b.data.withUnsafeBufferPointer { bb in
                guard let d = db.baseAddress, let x = ab.baseAddress, let z = bb.baseAddress else { return }
                switch kind {
                case .add:
                    a.accumulateGrad(dy)
                    b.accumulateGrad(dy)
                case .sub:
                    a.accumulateGrad(dy)
                    b.accumulateGrad { g, fresh in map2(n, d, d, g, accumulate: !fresh) { v, _ in -v } }
                case .mul:
                    a.accumulateGrad { g, fresh in map2(n, d, z, g, accumulate: !fresh) { $0 * $1 } }
                    b.accumulateGrad { g, fresh in map2(n, d, x, g, accumulate: !fresh) { $0 * $1 } }
                case .div:
                    a.accumulateGrad { g, fresh in map2(n, d, z, g, accumulate: !fresh) { $0 / $1 } }
                    b.accumulateGrad { g, fresh in map3(n, d, x, z, g, accumulate: !fresh) { dv, xv, zv in -dv * xv / (zv * zv) } }
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
        let out = uninitializedFloats(n) { y in
            x.data.withUnsafeBufferPointer { xb in
                let p = xb.baseAddress!
                switch kind {
                case let .affine(s, c): map1(n, p, y) { s * $0 + c }
                case let .rdiv(s): map1(n, p, y) { s / $0 }
                case .exp: map1(n, p, y, cost: 8) { Foundation.exp($0) }
                case .log: map1(n, p, y, cost: 8) { Foundation.log($0) }
                case .sqrt: map1(n, p, y, cost: 4) { $0.squareRoot() }
                case .tanh: map1(n, p, y, cost: 8) { Foundation.tanh($0) }
                case .relu: map1(n, p, y) { $0 > 0 ? $0 : 0 }
                case .sigmoid: map1(n, p, y, cost: 8) { 1 / (1 + Foundation.exp(-$0)) }
                case .gelu: map1(n, p, y, cost: 12) { 0.5 * $0 * (1 + fastErf($0 * invSqrt2)) }
                case let .pow(e):
                    if e == 2 { map1(n, p, y) { $0 * $0 } } else { map1(n, p, y, cost: 8) { Foundation.pow($0, e) } }
                }
            }
        }
        return result(x.shape, out, [x]) { t in
            let dy = t.grad!.data, yv = t.data
            dy.withUnsafeBufferPointer { db in x.data.withUnsafeBufferPointer { xb in yv.withUnsafeBufferPointer { yb in
                guard let d = db.baseAddress, let xp = xb.baseAddress, let yp = yb.baseAddress else { return }
                x.accumulateGrad { g, fresh in
                    let acc = !fresh
                    switch kind {
                    case let .affine(s, _):
                        if s == 1 && fresh { for i in 0..<n { g[i] = d[i] } } else { map2(n, d, d, g, accumulate: acc) { v, _ in s * v } }
                    case let .rdiv(s): map2(n, d, xp, g, accumulate: acc) { dv, xv in -s * dv / (xv * xv) }
                    case .exp: map2(n, d, yp, g, accumulate: acc) { $0 * $1 }
                    case .log: map2(n, d, xp, g, accumulate: acc) { $0 / $1 }
                    case .sqrt: map2(n, d, yp, g, accumulate: acc) { $0 * 0.5 / $1 }
                    case .tanh: map2(n, d, yp, g, accumulate: acc) { $0 * (1 - $1 * $1) }
                    case .relu: map2(n, d, xp, g, accumulate: acc) { $1 > 0 ? $0 : 0 }
                    case .sigmoid: map2(n, d, yp, g, accumulate: acc) { $0 * $1 * (1 - $1) }
                    case .gelu:
                        map2(n, d, xp, g, accumulate: acc, cost: 16) { dv, xv in
                            let cdf = 0.5 * (1 + fastErf(xv * invSqrt2))
                            let pdf = invSqrt2Pi * fastExp(-0.5 * xv * xv)
                            return dv * (cdf + xv * pdf)
                        }
                    case let .pow(e):
                        if e == 2 { map2(n, d, xp, g, accumulate: acc) { 2 * $0 * $1 } }
                        else { map2(n, d, xp, g, accumulate: acc, cost: 8) { $0 * e * Foundation.pow($1, e - 1) } }
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
    /// Exact GELU x * Phi(x) (erf form, as torch.nn.GELU()).
    public func gelu() -> Tensor { Tensor.unary(self, .gelu) }
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
        let out = uninitializedFloats(n) { y in
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
