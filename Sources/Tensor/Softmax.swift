// Fused softmax, log-softmax and cross-entropy (llm.c style: forward saves the
// probabilities; backward is one pass).
import Foundation

/// Softmax of one row of `n` elements from x into y (may alias).
@inline(__always)
func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let m = vmax(x, n)
    for i in 0..<n { y[i] = fastExp(x[i] - m) }
    let inv = 1 / vsum(y, n)
    for i in 0..<n { y[i] *= inv }
}

extension Tensor {
    /// Softmax along `axis` (default: last).
    public func softmax(axis: Int = -1) throws -> Tensor {
        try softmaxOp(axis: axis, log: false)
    }

    /// Log-softmax along `axis` (default: last), computed stably.
    public func logSoftmax(axis: Int = -1) throws -> Tensor {
        try softmaxOp(axis: axis, log: true)
    }

    private func softmaxOp(axis: Int, log: Bool) throws -> Tensor {
        let op = log ? "logSoftmax" : "softmax"
        let ax = try axisIndex(axis, op: op)
        let (outer, n, inner) = split(at: ax)
        // Work on rows: move the axis last when it is not (rare), else in place.
        if inner != 1 {
            var perm = Array(0..<rank)
            perm.remove(at: ax); perm.append(ax)
            var back = [Int](repeating: 0, count: rank)
            for (i, p) in perm.enumerated() { back[p] = i }
            return try permute(perm).softmaxOp(axis: -1, log: log).permute(back)
        }
        let rows = outer
        let out = uninitializedFloats(rows * n, .softmax) { y in
            data.withUnsafeBufferPointer { xb in
                let x = xb.baseAddress!
                Engine.parallelFor(rows, work: rows * n * 8) { r in
                    for row in r {
                        let xr = x + row * n, yr = y + row * n
                        if log {
                            var m = -Float.infinity
                            for i in 0..<n { m = Swift.max(m, xr[i]) }
                            var s: Float = 0
                            for i in 0..<n { s += fastExp(xr[i] - m) }
                            let l = m + Foundation.log(s)
                            for i in 0..<n { yr[i] = xr[i] - l }
                        } else {
                            softmaxRow(xr, yr, n)
                        }
                    }
                }
            }
        }
        let x = self
        return Tensor.result(shape, out, [self], .softmax) { t in
            let dy = t.grad!.data, yv = t.data
            dy.withUnsafeBufferPointer { db in yv.withUnsafeBufferPointer { yb in
                let d = db.baseAddress!, y = yb.baseAddress!
                x.accumulateGrad { g, fresh in
                    Engine.parallelFor(rows, work: rows * n * 4) { r in
                        for row in r {
                            let dr = d + row * n, yr = y + row * n, gr = g + row * n
                            if log {
                                // dx = dy - softmax * sum(dy)
                                var s: Float = 0
                                for i in 0..<n { s += dr[i] }
                                if fresh { for i in 0..<n { gr[i] = dr[i] - fastExp(yr[i]) * s } }
                                else { for i in 0..<n { gr[i] += dr[i] - fastExp(yr[i]) * s } }
                            } else {
                                // dx = y * (dy - sum(dy * y))
                                var s: Float = 0
                                for i in 0..<n { s += dr[i] * yr[i] }
                                if fresh { for i in 0..<n { gr[i] = yr[i] * (dr[i] - s) } }
                                else { for i in 0..<n { gr[i] += yr[i] * (dr[i] - s) } }
                            }
                        }
                    }
                }
            } }
        }
    }

    /// Mean cross-entropy of `logits` [N, C] against integer `labels` (N of them,
    /// each in 0..<C), with a fused log-softmax. Returns a scalar.
    ///
    /// `meanOver` divides the sum by another count than the rows here: one
    /// group of a larger batch whose loss is the mean over all of it (member
    /// groups), or a rank's share of a batch spread over processes (MPI). The
    /// whole batch's loss is then the sum of the parts' losses, and every row's
    /// gradient is exactly that of the whole batch's mean.
    public static func crossEntropy(logits: Tensor, labels: [Int], meanOver: Int? = nil) throws -> Tensor {
        let op = "crossEntropy"
        guard logits.rank == 2 else {
            throw TensorError.shapeMismatch(op: op, shapes: [logits.shape], detail: "logits must be [N, C]")
        }
        let rows = logits.shape[0], c = logits.shape[1]
        guard labels.count == rows else {
            throw TensorError.shapeMismatch(op: op, shapes: [logits.shape, [labels.count]], detail: "need one label per row of logits")
        }
        guard rows > 0, c > 0 else { throw TensorError.invalidArgument(op: op, detail: "empty logits of shape \(shapeString(logits.shape))") }
        for l in labels where l < 0 || l >= c {
            throw TensorError.invalidArgument(op: op, detail: "label \(l) outside 0..<\(c) classes")
        }
        let divisor = meanOver ?? rows
        guard divisor >= rows else {
            throw TensorError.invalidArgument(op: op, detail: "meanOver \(divisor) is smaller than the \(rows) rows")
        }
        let keep = needsGraph(logits)
        var probs = keep ? [Float](repeating: 0, count: rows * c) : []
        var total: Double = 0
        logits.data.withUnsafeBufferPointer { xb in
            let x = xb.baseAddress!
            for row in 0..<rows {
                let xr = x + row * c
                var m = -Float.infinity
                for i in 0..<c { m = Swift.max(m, xr[i]) }
                var s: Float = 0
                for i in 0..<c { s += fastExp(xr[i] - m) }
                let lse = m + Foundation.log(s)
                total += Double(lse - xr[labels[row]])
                if keep {
                    probs.withUnsafeMutableBufferPointer { pb in
                        let p = pb.baseAddress! + row * c
                        let inv = 1 / s
                        for i in 0..<c { p[i] = fastExp(xr[i] - m) * inv }
                    }
                }
            }
        }
        let loss = Float(total / Double(divisor))
        return result([], [loss], [logits], .softmax) { t in
            let scale = t.grad!.data[0] / Float(divisor)
            logits.accumulateGrad { g, fresh in
                probs.withUnsafeBufferPointer { pb in
                    let p = pb.baseAddress!
                    for row in 0..<rows {
                        let pr = p + row * c, gr = g + row * c, l = labels[row]
                        if fresh {
                            for i in 0..<c { gr[i] = pr[i] * scale }
                            gr[l] -= scale
                        } else {
                            for i in 0..<c { gr[i] += pr[i] * scale }
                            gr[l] -= scale
                        }
                    }
                }
            }
        }
    }
}
