// Fused layer normalisation over the last axis (forward saves mean and
// 1/std per row; backward in one pass per row, llm.c style). With AVX-512,
// rows go through lora_layernorm_* (same numbers: Engine.vectorKernels).
import CBLAS

extension Tensor {
    /// (x - mean) / sqrt(var + eps) * gamma + beta over the last axis of x [..., D];
    /// gamma and beta are [D]. Variance is the biased one, as torch.
    public static func layerNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, eps: Float = 1e-5) throws -> Tensor {
        let op = "layerNorm"
        guard x.rank >= 1 else { throw TensorError.shapeMismatch(op: op, shapes: [x.shape], detail: "x needs at least one axis") }
        let d = x.shape[x.rank - 1]
        guard gamma.shape == [d], beta.shape == [d] else {
            throw TensorError.shapeMismatch(op: op, shapes: [x.shape, gamma.shape, beta.shape],
                                            detail: "gamma and beta must be [\(d)] for x [..., \(d)]")
        }
        guard d > 0 else { throw TensorError.invalidArgument(op: op, detail: "last axis of \(shapeString(x.shape)) is empty") }
        let rows = x.count / d
        var meanS = [Float](repeating: 0, count: rows), rstdS = [Float](repeating: 0, count: rows)
        let invD = 1 / Float(d)
        let out = Profile.measure(.normalisation) { uninitializedFloats(rows * d) { y in
            x.data.withUnsafeBufferPointer { xb in gamma.data.withUnsafeBufferPointer { gb in beta.data.withUnsafeBufferPointer { bb in
            meanS.withUnsafeMutableBufferPointer { mb in rstdS.withUnsafeMutableBufferPointer { rb in
                let xp = xb.baseAddress!, gp = gb.baseAddress!, bp = bb.baseAddress!, mp = mb.baseAddress!, rp = rb.baseAddress!
                let kernel = Engine.vectorKernels
                Engine.parallelFor(rows, work: rows * d * 4) { r in
                    if kernel {
                        let lo = r.lowerBound
                        lora_layernorm_forward(r.count, Int32(d), xp + lo * d, gp, bp, eps, invD, y + lo * d, mp + lo, rp + lo)
                        return
                    }
                    for row in r {
                        let xr = xp + row * d, yr = y + row * d
                        let m = vsum(xr, d) * invD
                        for i in 0..<d { yr[i] = xr[i] - m }
                        let rs = 1 / (vdot(yr, yr, d) * invD + eps).squareRoot()
                        mp[row] = m; rp[row] = rs
                        for i in 0..<d { yr[i] = yr[i] * rs * gp[i] + bp[i] }
                    }
                }
            } }
            } } }
        } }
        return result(x.shape, out, [x, gamma, beta]) { t in
            let dy = t.grad!.data
            Profile.measure(.normalisation) {
            let wantX = x.requiresGrad, wantP = gamma.requiresGrad || beta.requiresGrad
            let chunks = Engine.chunkCount(rows, work: rows * d * 6)
            var dg = [Float](repeating: 0, count: wantP ? chunks * d : 0)
            var dbt = [Float](repeating: 0, count: wantP ? chunks * d : 0)
            var dx = wantX ? uninitializedFloats(rows * d) { _ in } : []
            dy.withUnsafeBufferPointer { db in x.data.withUnsafeBufferPointer { xb in gamma.data.withUnsafeBufferPointer { gb in
            meanS.withUnsafeBufferPointer { mb in rstdS.withUnsafeBufferPointer { rb in
            dg.withUnsafeMutableBufferPointer { dgb in dbt.withUnsafeMutableBufferPointer { dbb in dx.withUnsafeMutableBufferPointer { dxb in
                let dp = db.baseAddress!, xp = xb.baseAddress!, gp = gb.baseAddress!, mp = mb.baseAddress!, rp = rb.baseAddress!
                // (Empty arrays may still report a base address: select by the flags.)
                let dgp = wantP ? dgb.baseAddress : nil, dbp = wantP ? dbb.baseAddress : nil
                let dxp = wantX ? dxb.baseAddress : nil
                let kernel = Engine.vectorKernels
                Engine.parallelChunks(rows, chunks: chunks) { c, r in
                    // Per-chunk scratch: normalised row and dy * gamma.
                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * d)
                    defer { scratch.deallocate() }
                    if kernel {
                        let lo = r.lowerBound
                        lora_layernorm_backward(r.count, Int32(d), dp + lo * d, xp + lo * d, gp, mp + lo, rp + lo, invD,
                                                dgp.map { $0 + c * d }, dbp.map { $0 + c * d }, dxp.map { $0 + lo * d }, scratch)
                        return
                    }
                    let xh = scratch, dn = scratch + d
                    for row in r {
                        let dr = dp + row * d, xr = xp + row * d
                        let m = mp[row], rs = rp[row]
                        for i in 0..<d { xh[i] = (xr[i] - m) * rs }
                        if let dgp = dgp, let dbp = dbp {
                            let dgc = dgp + c * d, dbc = dbp + c * d
                            for i in 0..<d { dgc[i] += xh[i] * dr[i] }
                            for i in 0..<d { dbc[i] += dr[i] }
                        }
                        if let dxp = dxp {
                            for i in 0..<d { dn[i] = dr[i] * gp[i] }
                            let s1 = vsum(dn, d) * invD, s2 = vdot(dn, xh, d) * invD
                            let o = dxp + row * d
                            for i in 0..<d { o[i] = rs * (dn[i] - s1 - xh[i] * s2) }
                        }
                    }
                }
                if chunks > 1, let dgp = dgp, let dbp = dbp {
                    for c in 1..<chunks { for i in 0..<d { dgp[i] += dgp[c * d + i]; dbp[i] += dbp[c * d + i] } }
                }
            } } }
            } }
            } } }
            if wantX { x.accumulateGrad(dx) }
            if wantP {
                gamma.accumulateGrad(Array(dg[0..<d]))
                beta.accumulateGrad(Array(dbt[0..<d]))
            }
            }
        }
    }
}
