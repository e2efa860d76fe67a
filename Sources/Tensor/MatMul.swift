// Matrix products through BLAS (CBLAS's lora_sgemm, row-major). Transposed
// operands are passed as BLAS flags, never copied. `linear` is one gemm over
// all leading rows: the workhorse of every model.
import CBLAS

/// C (M x N, leading dim ldc) = alpha * op(A) * op(B) + beta * C, row-major.
@inline(__always)
func sgemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
           _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
           _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    lora_sgemm(ta ? 1 : 0, tb ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
               beta, c, Int32(ldc))
}

extension Tensor {
    /// op(a) @ op(b) where op transposes the last two axes when asked.
    /// 2-D x 2-D; n-D x n-D batched over equal leading axes (e.g. [B, H, T, D]);
    /// n-D x 2-D (the 2-D operand shared across the batch, folded into one gemm
    /// when `a` is not transposed).
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
        let op = "matmul"
        let ta = transposeA, tb = transposeB
        guard a.rank >= 2, b.rank >= 2, b.rank == 2 || b.rank == a.rank else {
            throw TensorError.shapeMismatch(op: op, shapes: [a.shape, b.shape],
                detail: "supported: 2-D x 2-D, n-D x n-D batched over equal leading axes, n-D x 2-D (shared right operand)")
        }
        let lead = Array(a.shape.dropLast(2))
        if b.rank > 2 && Array(b.shape.dropLast(2)) != lead {
            throw TensorError.shapeMismatch(op: op, shapes: [a.shape, b.shape],
                                            detail: "batch axes \(lead) and \(Array(b.shape.dropLast(2))) differ")
        }
        let batch = Tensor.product(lead)
        let ar = a.shape[a.rank - 2], ac = a.shape[a.rank - 1]
        let br = b.shape[b.rank - 2], bc = b.shape[b.rank - 1]
        let m = ta ? ac : ar, k = ta ? ar : ac
        let k2 = tb ? bc : br, n = tb ? br : bc
        guard k == k2 else {
            throw TensorError.shapeMismatch(op: op, shapes: [a.shape, b.shape],
                detail: "inner dimensions differ: \(k) vs \(k2) (transposeA: \(ta), transposeB: \(tb))")
        }
        let outShape = lead + [m, n]
        try checkedCount(outShape, op: op)
        let lda = ac, ldb = bc
        let sA = ar * ac, sB = b.rank > 2 ? br * bc : 0, sC = m * n
        let shared = b.rank == 2 && a.rank > 2
        let fold = shared && !ta   // [B*M, K] x op(B): one gemm
        let out = uninitializedFloats(batch * sC) { c in
            a.data.withUnsafeBufferPointer { ab in b.data.withUnsafeBufferPointer { bb in
                let ap = ab.baseAddress ?? UnsafePointer(c), bp = bb.baseAddress ?? UnsafePointer(c)
                if fold {
                    sgemm(false, tb, batch * m, n, k, 1, ap, lda, bp, ldb, 0, c, n)
                } else {
                    Engine.parallelFor(batch, work: batch * m * n * k, minWork: 1 << 20, usesBLAS: true) { r in
                        for i in r { sgemm(ta, tb, m, n, k, 1, ap + i * sA, lda, bp + i * sB, ldb, 0, c + i * sC, n) }
                    }
                }
            } }
        }
        return result(outShape, out, [a, b]) { t in
            let dy = t.grad!.data
            dy.withUnsafeBufferPointer { db in a.data.withUnsafeBufferPointer { ab in b.data.withUnsafeBufferPointer { bb in
                guard let d = db.baseAddress, let ap = ab.baseAddress, let bp = bb.baseAddress else { return }
                // dA: op(A) = A  -> dA = dC op(B)^T  (M x K)
                //     op(A) = A^T -> dA = op(B) dC^T (K x M)
                a.accumulateGrad { g, fresh in
                    let beta: Float = fresh ? 0 : 1
                    if fold {
                        sgemm(false, !tb, batch * m, k, n, 1, d, n, bp, ldb, beta, g, k)
                    } else {
                        Engine.parallelFor(batch, work: batch * m * n * k, minWork: 1 << 20, usesBLAS: true) { r in
                            for i in r {
                                if !ta { sgemm(false, !tb, m, k, n, 1, d + i * sC, n, bp + i * sB, ldb, beta, g + i * sA, k) }
                                else { sgemm(tb, true, k, m, n, 1, bp + i * sB, ldb, d + i * sC, n, beta, g + i * sA, m) }
                            }
                        }
                    }
                }
                // dB: op(B) = B  -> dB = op(A)^T dC (K x N)
                //     op(B) = B^T -> dB = dC^T op(A) (N x K)
                b.accumulateGrad { g, fresh in
                    let beta: Float = fresh ? 0 : 1
                    if fold {
                        if !tb { sgemm(true, false, k, n, batch * m, 1, ap, lda, d, n, beta, g, n) }
                        else { sgemm(true, false, n, k, batch * m, 1, d, n, ap, lda, beta, g, k) }
                    } else if shared {
                        // Shared B with transposed A: accumulate over the batch sequentially.
                        for i in 0..<batch {
                            let bt: Float = (i == 0 && fresh) ? 0 : 1
                            if !tb { sgemm(!ta, false, k, n, m, 1, ap + i * sA, lda, d + i * sC, n, bt, g, n) }
                            else { sgemm(true, ta, n, k, m, 1, d + i * sC, n, ap + i * sA, lda, bt, g, k) }
                        }
                    } else {
                        Engine.parallelFor(batch, work: batch * m * n * k, minWork: 1 << 20, usesBLAS: true) { r in
                            for i in r {
                                if !tb { sgemm(!ta, false, k, n, m, 1, ap + i * sA, lda, d + i * sC, n, beta, g + i * sB, n) }
                                else { sgemm(true, ta, n, k, m, 1, d + i * sC, n, ap + i * sA, lda, beta, g + i * sB, k) }
                            }
                        }
                    }
                }
            } } }
        }
    }

    /// x W^T + b for x [..., in], weight [out, in], bias [out]: one gemm over all leading rows.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        let op = "linear"
        guard x.rank >= 1, weight.rank == 2, x.shape[x.rank - 1] == weight.shape[1] else {
            throw TensorError.shapeMismatch(op: op, shapes: [x.shape, weight.shape],
                detail: "x must be [..., in] and weight [out, in] with the same `in`")
        }
        let inF = weight.shape[1], outF = weight.shape[0]
        if let b = bias, b.shape != [outF] {
            throw TensorError.shapeMismatch(op: op, shapes: [weight.shape, b.shape], detail: "bias must be [\(outF)] for weight [out, in]")
        }
        let rows = x.count / Swift.max(inF, 1)
        var outShape = x.shape
        outShape[outShape.count - 1] = outF
        try checkedCount(outShape, op: op)
        let out = uninitializedFloats(rows * outF) { c in
            x.data.withUnsafeBufferPointer { xb in weight.data.withUnsafeBufferPointer { wb in
                var beta: Float = 0
                if let b = bias {
                    b.data.withUnsafeBufferPointer { bb in
                        let bp = bb.baseAddress!
                        for r in 0..<rows { (c + r * outF).update(from: bp, count: outF) }
                    }
                    beta = 1
                }
                if inF == 0 {
                    if bias == nil { c.update(repeating: 0, count: rows * outF) }
                    return
                }
                sgemm(false, true, rows, outF, inF, 1, xb.baseAddress!, inF, wb.baseAddress!, inF, beta, c, outF)
            } }
        }
        var parents = [x, weight]
        if let b = bias { parents.append(b) }
        return result(outShape, out, parents) { t in
            let dy = t.grad!.data
            guard rows > 0, inF > 0, outF > 0 else { return }
            dy.withUnsafeBufferPointer { db in x.data.withUnsafeBufferPointer { xb in weight.data.withUnsafeBufferPointer { wb in
                let d = db.baseAddress!, xp = xb.baseAddress!, wp = wb.baseAddress!
                // dx = dy W  [rows, in]
                x.accumulateGrad { g, fresh in sgemm(false, false, rows, inF, outF, 1, d, outF, wp, inF, fresh ? 0 : 1, g, inF) }
                // dW = dy^T x  [out, in]
                weight.accumulateGrad { g, fresh in sgemm(true, false, outF, inF, rows, 1, d, outF, xp, inF, fresh ? 0 : 1, g, inF) }
                // db = column sums of dy
                bias?.accumulateGrad { g, fresh in
                    if fresh { g.update(from: d, count: outF) } else { for j in 0..<outF { g[j] += d[j] } }
                    for r in 1..<rows { let row = d + r * outF; for j in 0..<outF { g[j] += row[j] } }
                }
            } } }
        }
    }
}
