// Matrix products through the engine's own AVX-512 gemm or OpenBLAS, chosen
// per product (GemmKernel.swift), row-major. Transposed operands are passed as
// flags, never copied. `linear` is one gemm over all leading rows: the
// workhorse of every model.
import CBLAS

/// C (M x N, leading dim ldc) = alpha * op(A) * op(B) + beta * C, row-major,
/// on one thread, always OpenBLAS (attention's portable path relies on its
/// sums; its kernel reproduces them). Products of the layers use `gemm1`.
@inline(__always)
func sgemm1(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
            _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
            _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    lora_sgemm(ta ? 1 : 0, tb ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
               beta, c, Int32(ldc))
}

/// C (M x N, leading dim ldc) = alpha * op(A) * op(B) + beta * C, row-major.
/// OpenBLAS itself always runs single-threaded (its own thread pool would spin
/// against the engine's parallel loops on the same cores); a large product is
/// instead cut into `Engine.threads` blocks of rows (or columns, whichever
/// dimension is larger) that run on the engine's threads. The kernel (own or
/// OpenBLAS) is chosen on the whole shape before the split, so every element
/// of C is computed by the same kernel over the same k order either way.
@inline(__always)
func sgemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
           _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
           _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    let t = Engine.threads
    let own = Engine.usesOwnGemm(ta, tb, m, n, k)
    if t <= 1 || m * n * k < Engine.gemmParallelMin || Swift.max(m, n) < 64 {
        gemm1(own, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return
    }
    sgemmSplit(t, own, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

/// The parallel half of `sgemm`: blocks of 16 rows/columns (the kernels' tile) per thread.
func sgemmSplit(_ t: Int, _ own: Bool, _ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    let byRows = m >= n
    let extent = byRows ? m : n
    let tiles = (extent + 15) / 16
    let chunks = Swift.min(m * n * k >= 64 * Engine.gemmParallelMin ? 4 * t : t, tiles)   // see Engine.balancedChunks
    Engine.run(chunks) { ci in
        let lo = Swift.min(extent, tiles * ci / chunks * 16), hi = Swift.min(extent, tiles * (ci + 1) / chunks * 16)
        guard lo < hi else { return }
        if byRows {
            // Rows lo..<hi of op(A) and C.
            let ap = ta ? a + lo : a + lo * lda
            gemm1(own, ta, tb, hi - lo, n, k, alpha, ap, lda, b, ldb, beta, c + lo * ldc, ldc)
        } else {
            // Columns lo..<hi of op(B) and C.
            let bp = tb ? b + lo * ldb : b + lo
            gemm1(own, ta, tb, m, hi - lo, k, alpha, a, lda, bp, ldb, beta, c + lo, ldc)
        }
    }
}

/// C [rows, outF] (leading dim ldc) = x [rows, inF] W^T + bias, W [outF, inF],
/// in blocks of rows: each block's bias rows are written just before its gemm
/// adds onto them (beta 1), so the bias pass stays in cache; blocks run in
/// parallel (4 per thread, at least 256 rows) when the product is large, and
/// as one block on one thread (smaller gemms cost more: measured with
/// `lora-bench linearblock`, 32-row blocks +60%, 256-row +5% on one thread).
/// `Engine.linearBlockRows` > 0 forces a block size (for that benchmark).

func linearRows(_ rows: Int, _ outF: Int, _ inF: Int, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                _ bias: UnsafePointer<Float>?, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    Profile.gemm("linear", false, true, rows, outF, inF) {
        linearRowsBody(rows, outF, inF, x, w, bias, c, ldc)
    }
}

@inline(__always)
private func linearRowsBody(_ rows: Int, _ outF: Int, _ inF: Int, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                            _ bias: UnsafePointer<Float>?, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    let t = Engine.threads, gemmParallelMin = Engine.gemmParallelMin, linearBlockRows = Engine.linearBlockRows
    let parallel = t > 1 && rows * outF * inF >= gemmParallelMin
    let block = linearBlockRows > 0 ? linearBlockRows
        : (parallel ? Swift.max(256, (rows + 4 * t - 1) / (4 * t)) : Swift.max(rows, 1))
    let blocks = (rows + block - 1) / block
    let own = Engine.usesOwnGemm(false, true, rows, outF, inF)   // on the whole product: blocks depend on threads
    Engine.parallelFor(blocks, work: rows * outF * inF, minWork: gemmParallelMin) { r in
        for bi in r {
            let lo = bi * block, hi = Swift.min(rows, lo + block)
            // The own gemm adds the bias as it stores C (the same bits, one pass less).
            if own, let b = bias, gemmBias1(hi - lo, outF, inF, x + lo * inF, inF, w, inF, b, c + lo * ldc, ldc) { continue }
            if let b = bias { for i in lo..<hi { (c + i * ldc).update(from: b, count: outF) } }
            gemm1(own, false, true, hi - lo, outF, inF, 1, x + lo * inF, inF, w, inF, bias == nil ? 0 : 1, c + lo * ldc, ldc)
        }
    }
}

/// The gemm for slice bodies of a batched product: a single product may split
/// over the threads itself; slices of a batch run on one thread each.
typealias Gemm = (Bool, Bool, Int, Int, Int, Float, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int,
                  Float, UnsafeMutablePointer<Float>, Int) -> Void
@inline(__always)
func sliceGemm(batch: Int) -> Gemm {
    if batch == 1 { return { sgemm($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) } }
    return { gemmShaped1($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) }
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
                    Profile.gemm("matmul", false, tb, batch * m, n, k) {
                        sgemm(false, tb, batch * m, n, k, 1, ap, lda, bp, ldb, 0, c, n)
                    }
                } else {
                    let gemm = sliceGemm(batch: batch)
                    Profile.gemm("matmul", ta, tb, m, n, k, batch: batch) {
                        Engine.parallelFor(batch, work: batch * m * n * k, minWork: 1 << 20) { r in
                            for i in r { gemm(ta, tb, m, n, k, 1, ap + i * sA, lda, bp + i * sB, ldb, 0, c + i * sC, n) }
                        }
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
                        Profile.gemm("matmul dA", false, !tb, batch * m, k, n) {
                            sgemm(false, !tb, batch * m, k, n, 1, d, n, bp, ldb, beta, g, k)
                        }
                    } else {
                        let gemm = sliceGemm(batch: batch)
                        Profile.gemm("matmul dA", ta, !tb, ta ? k : m, ta ? m : k, n, batch: batch) {
                        Engine.parallelFor(batch, work: batch * m * n * k, minWork: 1 << 20) { r in
                            for i in r {
                                if !ta { gemm(false, !tb, m, k, n, 1, d + i * sC, n, bp + i * sB, ldb, beta, g + i * sA, k) }
                                else { gemm(tb, true, k, m, n, 1, bp + i * sB, ldb, d + i * sC, n, beta, g + i * sA, m) }
                            }
                        }
                        }
                    }
                }
                // dB: op(B) = B  -> dB = op(A)^T dC (K x N)
                //     op(B) = B^T -> dB = dC^T op(A) (N x K)
                b.accumulateGrad { g, fresh in
                    let beta: Float = fresh ? 0 : 1
                    if fold {
                        Profile.gemm("matmul dB", true, false, tb ? n : k, tb ? k : n, batch * m) {
                            if !tb { sgemm(true, false, k, n, batch * m, 1, ap, lda, d, n, beta, g, n) }
                            else { sgemm(true, false, n, k, batch * m, 1, d, n, ap, lda, beta, g, k) }
                        }
                    } else if shared {
                        // Shared B with transposed A: accumulate over the batch sequentially.
                        Profile.gemm("matmul dB", true, false, tb ? n : k, tb ? k : n, m, batch: batch) {
                        for i in 0..<batch {
                            let bt: Float = (i == 0 && fresh) ? 0 : 1
                            if !tb { sgemm(!ta, false, k, n, m, 1, ap + i * sA, lda, d + i * sC, n, bt, g, n) }
                            else { sgemm(true, ta, n, k, m, 1, d + i * sC, n, ap + i * sA, lda, bt, g, k) }
                        }
                        }
                    } else {
                        let gemm = sliceGemm(batch: batch)
                        Profile.gemm("matmul dB", true, false, tb ? n : k, tb ? k : n, m, batch: batch) {
                        Engine.parallelFor(batch, work: batch * m * n * k, minWork: 1 << 20) { r in
                            for i in r {
                                if !tb { gemm(!ta, false, k, n, m, 1, ap + i * sA, lda, d + i * sC, n, beta, g + i * sB, n) }
                                else { gemm(true, ta, n, k, m, 1, d + i * sC, n, ap + i * sA, lda, beta, g + i * sB, k) }
                            }
                        }
                        }
                    }
                }
            } } }
        }
    }

    /// The shapes of a linear layer: x [..., in], weight [out, in], bias [out] or none; (in, out).
    static func linearFeatures(_ x: Tensor, weight: Tensor, bias: Tensor?, op: String) throws -> (inF: Int, outF: Int) {
        guard x.rank >= 1, weight.rank == 2, x.shape[x.rank - 1] == weight.shape[1] else {
            throw TensorError.shapeMismatch(op: op, shapes: [x.shape, weight.shape],
                detail: "x must be [..., in] and weight [out, in] with the same `in`")
        }
        let inF = weight.shape[1], outF = weight.shape[0]
        if let b = bias, b.shape != [outF] {
            throw TensorError.shapeMismatch(op: op, shapes: [weight.shape, b.shape], detail: "bias must be [\(outF)] for weight [out, in]")
        }
        return (inF, outF)
    }

    /// x W^T + b for x [..., in], weight [out, in], bias [out]: one gemm over all leading rows.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        let op = "linear"
        let (inF, outF) = try linearFeatures(x, weight: weight, bias: bias, op: op)
        let rows = x.count / Swift.max(inF, 1)
        var outShape = x.shape
        outShape[outShape.count - 1] = outF
        try checkedCount(outShape, op: op)
        let out = uninitializedFloats(rows * outF) { c in
            x.data.withUnsafeBufferPointer { xb in weight.data.withUnsafeBufferPointer { wb in
                if inF == 0 {
                    if let b = bias {
                        b.data.withUnsafeBufferPointer { bb in for r in 0..<rows { (c + r * outF).update(from: bb.baseAddress!, count: outF) } }
                    } else { c.update(repeating: 0, count: rows * outF) }
                    return
                }
                if let b = bias {
                    b.data.withUnsafeBufferPointer { bb in linearRows(rows, outF, inF, xb.baseAddress!, wb.baseAddress!, bb.baseAddress!, c, outF) }
                } else {
                    linearRows(rows, outF, inF, xb.baseAddress!, wb.baseAddress!, nil, c, outF)
                }
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
                x.accumulateGrad { g, fresh in
                    Profile.gemm("linear dx", false, false, rows, inF, outF) {
                        sgemm(false, false, rows, inF, outF, 1, d, outF, wp, inF, fresh ? 0 : 1, g, inF)
                    }
                }
                // dW = dy^T x  [out, in]
                weight.accumulateGrad { g, fresh in
                    Profile.gemm("linear dW", true, false, outF, inF, rows) {
                        sgemm(true, false, outF, inF, rows, 1, d, outF, xp, inF, fresh ? 0 : 1, g, inF)
                    }
                }
                // db = column sums of dy
                bias?.accumulateGrad { g, fresh in biasGradient(g, fresh: fresh, d, rows: rows, outF: outF) }
            } } }
        }
    }
}

/// g (=|+=) the column sums of d [rows, outF]: the gradient of a bias.
func biasGradient(_ g: UnsafeMutablePointer<Float>, fresh: Bool, _ d: UnsafePointer<Float>, rows: Int, outF: Int) {
    Profile.measure(.reduction) {
        if fresh { g.update(from: d, count: outF) } else { for j in 0..<outF { g[j] += d[j] } }
        for r in 1..<rows { let row = d + r * outF; for j in 0..<outF { g[j] += row[j] } }
    }
}
