// Reductions along one axis or over everything: sum, mean, max (gradient to
// the argmax), argmax (no gradient), logsumexp (fused, stable).
import Foundation

extension Tensor {
    /// Output shape of reducing `axis` (nil = all) with or without kept dims.
    private func reducedShape(_ axis: Int?, keepDims: Bool) -> [Int] {
        guard let a = axis else { return keepDims ? [Int](repeating: 1, count: rank) : [] }
        var s = shape
        if keepDims { s[a] = 1 } else { s.remove(at: a) }
        return s
    }

    /// (outer, n, inner) for a reduction over `axis` (nil = everything).
    private func reductionSplit(_ axis: Int?) -> (Int, Int, Int) {
        guard let a = axis else { return (1, count, 1) }
        return split(at: a)
    }

    /// Sum over `axis` (nil = all elements).
    public func sum(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor {
        let ax = try axis.map { try axisIndex($0, op: "sum") }
        return reduceSum(ax, keepDims: keepDims, scale: 1)
    }

    /// Mean over `axis` (nil = all elements).
    public func mean(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor {
        let ax = try axis.map { try axisIndex($0, op: "mean") }
        let n = ax.map { shape[$0] } ?? count
        guard n > 0 else { throw TensorError.invalidArgument(op: "mean", detail: "mean over an empty axis of shape \(shapeString(shape))") }
        return reduceSum(ax, keepDims: keepDims, scale: 1 / Float(n))
    }

    private func reduceSum(_ ax: Int?, keepDims: Bool, scale: Float) -> Tensor {
        let (outer, n, inner) = reductionSplit(ax)
        let outShape = reducedShape(ax, keepDims: keepDims)
        let out = uninitializedFloats(outer * inner, .reduction) { y in
            data.withUnsafeBufferPointer { xb in
                guard let x = xb.baseAddress else { y.update(repeating: 0, count: outer * inner); return }
                if inner == 1 {
                    for o in 0..<outer { y[o] = vsum(x + o * n, n) * scale }  // 16 partial sums: faster and more accurate
                } else {
                    for o in 0..<outer {
                        let yo = y + o * inner
                        yo.update(repeating: 0, count: inner)
                        for i in 0..<n { let r = x + (o * n + i) * inner; for j in 0..<inner { yo[j] += r[j] } }
                        if scale != 1 { for j in 0..<inner { yo[j] *= scale } }
                    }
                }
            }
        }
        let x = self
        return Tensor.result(outShape, out, [self], .reduction) { t in
            let dy = t.grad!.data
            dy.withUnsafeBufferPointer { db in
                let d = db.baseAddress!
                x.accumulateGrad { g, fresh in
                    for o in 0..<outer {
                        for i in 0..<n {
                            let gp = g + (o * n + i) * inner, dp = d + o * inner
                            if fresh { for j in 0..<inner { gp[j] = dp[j] * scale } }
                            else { for j in 0..<inner { gp[j] += dp[j] * scale } }
                        }
                    }
                }
            }
        }
    }

    /// Maximum over `axis` (nil = all); the gradient flows to the (first) argmax.
    public func max(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor {
        let ax = try axis.map { try axisIndex($0, op: "max") }
        let (outer, n, inner) = reductionSplit(ax)
        guard n > 0 else { throw TensorError.invalidArgument(op: "max", detail: "max over an empty axis of shape \(shapeString(shape))") }
        let outShape = reducedShape(ax, keepDims: keepDims)
        let idx = argmaxIndices(outer, n, inner)
        let out = data.withUnsafeBufferPointer { xb in
            (0..<(outer * inner)).map { k in xb[(k / inner * n + idx[k]) * inner + k % inner] }
        }
        let x = self
        return Tensor.result(outShape, out, [self], .reduction) { t in
            let dy = t.grad!.data
            x.accumulateGrad { g, fresh in
                if fresh { g.update(repeating: 0, count: outer * n * inner) }
                for k in 0..<(outer * inner) { g[(k / inner * n + idx[k]) * inner + k % inner] += dy[k] }
            }
        }
    }

    private func argmaxIndices(_ outer: Int, _ n: Int, _ inner: Int) -> [Int] {
        data.withUnsafeBufferPointer { xb in
            var res = [Int](repeating: 0, count: outer * inner)
            for o in 0..<outer {
                for j in 0..<inner {
                    var best = 0
                    var bv = xb[o * n * inner + j]
                    for i in 1..<Swift.max(n, 1) {
                        let v = xb[(o * n + i) * inner + j]
                        if v > bv || (bv.isNaN == false && v.isNaN) { bv = v; best = i }
                    }
                    res[o * inner + j] = best
                }
            }
            return res
        }
    }

    /// Index of the maximum along `axis` for every other position (row-major order). No gradient.
    public func argmax(axis: Int) throws -> [Int] {
        let ax = try axisIndex(axis, op: "argmax")
        let (outer, n, inner) = split(at: ax)
        guard n > 0 else { throw TensorError.invalidArgument(op: "argmax", detail: "argmax over an empty axis of shape \(shapeString(shape))") }
        return argmaxIndices(outer, n, inner)
    }

    /// log(sum(exp(x))) over `axis` (nil = all), computed stably.
    public func logsumexp(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor {
        let ax = try axis.map { try axisIndex($0, op: "logsumexp") }
        let (outer, n, inner) = reductionSplit(ax)
        guard n > 0 else { throw TensorError.invalidArgument(op: "logsumexp", detail: "empty axis in shape \(shapeString(shape))") }
        let outShape = reducedShape(ax, keepDims: keepDims)
        let out: [Float] = data.withUnsafeBufferPointer { xb in
            (0..<(outer * inner)).map { k in
                let o = k / inner, j = k % inner
                var m = -Float.infinity
                for i in 0..<n { m = Swift.max(m, xb[(o * n + i) * inner + j]) }
                if m == -.infinity { return m }
                var s: Float = 0
                for i in 0..<n { s += Foundation.exp(xb[(o * n + i) * inner + j] - m) }
                return m + Foundation.log(s)
            }
        }
        let x = self
        return Tensor.result(outShape, out, [self], .reduction) { t in
            let dy = t.grad!.data, lse = t.data
            x.data.withUnsafeBufferPointer { xb in
                x.accumulateGrad { g, fresh in
                    for o in 0..<outer {
                        for i in 0..<n {
                            for j in 0..<inner {
                                let k = o * inner + j, e = (o * n + i) * inner + j
                                let v = dy[k] * Foundation.exp(xb[e] - lse[k])
                                if fresh { g[e] = v } else { g[e] += v }
                            }
                        }
                    }
                }
            }
        }
    }
}
