// Fused scaled-dot-product attention: softmax(q k^T / sqrt(Dh)) v per batch
// and head, with optional DropKey (MC dropout on the attention logits), an
// optional key-padding mask (`validKeys`: batch row b attends only to its first
// validKeys[b] keys, as BERT's attention mask for right-padded sequences), and
// the attention weights handed back on request. Per-head products go through BLAS
// with leading dimensions, so a packed qkv projection needs no permute copies.
// Heads run in parallel over the cores (BLAS single-threaded inside). Without
// DropKey, a slice runs as one AVX-512 kernel when the CPU has it (products,
// softmax and its backward in cache; same numbers: Engine.vectorKernels).
import CBLAS
import Core

/// Where each (batch, head) slice of q, k, v and the output lives.
struct AttentionLayout {
    var batch: Int, heads: Int, tq: Int, tk: Int, dh: Int, dv: Int
    var ldq: Int, ldk: Int, ldv: Int, ldo: Int
    /// Offsets of slice (b, h) = (b * strideB + h * strideH) for q, k, v, out.
    var qB: Int, qH: Int, kB: Int, kH: Int, vB: Int, vH: Int, oB: Int, oH: Int
}

extension Tensor {
    /// Attention over q [B, H, Tq, Dh], k [B, H, Tk, Dh], v [B, H, Tk, Dv]:
    /// returns output [B, H, Tq, Dv] and, when `keepWeights`, the (detached)
    /// weights [B, H, Tq, Tk]. `dropKey` > 0 drops each key logit with that
    /// probability (drawn from `rng`, which must then be given) before the softmax.
    public static func attention(q: Tensor, k: Tensor, v: Tensor, dropKey: Float = 0, rng: inout RNG?,
                                 validKeys: [Int]? = nil, keepWeights: Bool = false) throws -> (output: Tensor, weights: Tensor?) {
        let op = "attention"
        guard q.rank == 4, k.rank == 4, v.rank == 4,
              q.shape[0] == k.shape[0], k.shape[0] == v.shape[0],
              q.shape[1] == k.shape[1], k.shape[1] == v.shape[1],
              q.shape[3] == k.shape[3], k.shape[2] == v.shape[2] else {
            throw TensorError.shapeMismatch(op: op, shapes: [q.shape, k.shape, v.shape],
                detail: "need q [B, H, Tq, Dh], k [B, H, Tk, Dh], v [B, H, Tk, Dv]")
        }
        let b = q.shape[0], h = q.shape[1], tq = q.shape[2], tk = k.shape[2], dh = q.shape[3], dv = v.shape[3]
        let lay = AttentionLayout(batch: b, heads: h, tq: tq, tk: tk, dh: dh, dv: dv,
                                  ldq: dh, ldk: dh, ldv: dv, ldo: dv,
                                  qB: h * tq * dh, qH: tq * dh, kB: h * tk * dh, kH: tk * dh,
                                  vB: h * tk * dv, vH: tk * dv, oB: h * tq * dv, oH: tq * dv)
        return try attentionCore(op: op, q: q, k: k, v: v, lay: lay, outShape: [b, h, tq, dv],
                                 dropKey: dropKey, rng: &rng, validKeys: validKeys, keepWeights: keepWeights)
    }

    /// Attention without DropKey (no generator needed).
    public static func attention(q: Tensor, k: Tensor, v: Tensor, validKeys: [Int]? = nil, keepWeights: Bool = false) throws -> (output: Tensor, weights: Tensor?) {
        var none: RNG? = nil
        return try attention(q: q, k: k, v: v, dropKey: 0, rng: &none, validKeys: validKeys, keepWeights: keepWeights)
    }

    /// Attention straight from a packed projection `qkv` [B, T, 3 * D] (q, k, v
    /// blocks in that order, each split into `heads` heads of D / heads), giving
    /// output [B, T, D] with the heads merged, as after `permute` + `reshape`.
    /// Same numbers as the 4-D form on the permuted tensors, without the copies.
    public static func attention(qkv: Tensor, heads: Int, dropKey: Float = 0, rng: inout RNG?,
                                 validKeys: [Int]? = nil, keepWeights: Bool = false) throws -> (output: Tensor, weights: Tensor?) {
        let op = "attention(qkv:)"
        guard qkv.rank == 3, heads > 0, qkv.shape[2] % (3 * heads) == 0 else {
            throw TensorError.shapeMismatch(op: op, shapes: [qkv.shape],
                detail: "need qkv [B, T, 3 * D] with D divisible by heads (\(heads))")
        }
        let b = qkv.shape[0], t = qkv.shape[1], d = qkv.shape[2] / 3, dh = d / heads
        let lay = AttentionLayout(batch: b, heads: heads, tq: t, tk: t, dh: dh, dv: dh,
                                  ldq: 3 * d, ldk: 3 * d, ldv: 3 * d, ldo: d,
                                  qB: t * 3 * d, qH: dh, kB: t * 3 * d, kH: dh,
                                  vB: t * 3 * d, vH: dh, oB: t * d, oH: dh)
        return try attentionCore(op: op, q: qkv, k: qkv, v: qkv, lay: lay, outShape: [b, t, d],
                                 dropKey: dropKey, rng: &rng, validKeys: validKeys, keepWeights: keepWeights,
                                 packed: true, kOffset: d, vOffset: 2 * d)
    }

    /// Packed-qkv attention without DropKey.
    public static func attention(qkv: Tensor, heads: Int, validKeys: [Int]? = nil, keepWeights: Bool = false) throws -> (output: Tensor, weights: Tensor?) {
        var none: RNG? = nil
        return try attention(qkv: qkv, heads: heads, dropKey: 0, rng: &none, validKeys: validKeys, keepWeights: keepWeights)
    }

    /// Attention on projections with the heads still merged: q [B, Tq, D],
    /// k [B, Tk, D], v [B, Tk, D], each split into `heads` heads of D / heads
    /// along the last axis; returns output [B, Tq, D] with the heads merged again
    /// and weights [B, H, Tq, Tk]. Same numbers as reshape + permute into the
    /// 4-D form and back, without the copies (BLAS reads the heads in place).
    public static func attention(q: Tensor, k: Tensor, v: Tensor, heads: Int, dropKey: Float = 0, rng: inout RNG?,
                                 keepWeights: Bool = false) throws -> (output: Tensor, weights: Tensor?) {
        let op = "attention(heads:)"
        guard q.rank == 3, k.rank == 3, v.rank == 3, heads > 0,
              q.shape[0] == k.shape[0], k.shape[0] == v.shape[0], k.shape[1] == v.shape[1],
              q.shape[2] == k.shape[2], k.shape[2] == v.shape[2], q.shape[2] % heads == 0 else {
            throw TensorError.shapeMismatch(op: op, shapes: [q.shape, k.shape, v.shape],
                detail: "need q [B, Tq, D], k [B, Tk, D], v [B, Tk, D] with D divisible by heads (\(heads))")
        }
        let b = q.shape[0], tq = q.shape[1], tk = k.shape[1], d = q.shape[2], dh = d / heads
        let lay = AttentionLayout(batch: b, heads: heads, tq: tq, tk: tk, dh: dh, dv: dh,
                                  ldq: d, ldk: d, ldv: d, ldo: d,
                                  qB: tq * d, qH: dh, kB: tk * d, kH: dh,
                                  vB: tk * d, vH: dh, oB: tq * d, oH: dh)
        return try attentionCore(op: op, q: q, k: k, v: v, lay: lay, outShape: [b, tq, d],
                                 dropKey: dropKey, rng: &rng, keepWeights: keepWeights)
    }

    /// Merged-heads attention without DropKey.
    public static func attention(q: Tensor, k: Tensor, v: Tensor, heads: Int, keepWeights: Bool = false) throws -> (output: Tensor, weights: Tensor?) {
        var none: RNG? = nil
        return try attention(q: q, k: k, v: v, heads: heads, dropKey: 0, rng: &none, keepWeights: keepWeights)
    }

    private static func attentionCore(op: String, q: Tensor, k: Tensor, v: Tensor, lay: AttentionLayout, outShape: [Int],
                                      dropKey: Float, rng: inout RNG?, validKeys: [Int]? = nil, keepWeights: Bool,
                                      packed: Bool = false, kOffset: Int = 0, vOffset: Int = 0) throws -> (output: Tensor, weights: Tensor?) {
        guard dropKey >= 0 && dropKey < 1 else {
            throw TensorError.invalidArgument(op: op, detail: "dropKey \(dropKey) must be in [0, 1)")
        }
        if let vk = validKeys {
            guard vk.count == lay.batch, vk.allSatisfy({ $0 >= 1 && $0 <= lay.tk }) else {
                throw TensorError.invalidArgument(op: op, detail: "validKeys needs one count in 1...\(lay.tk) per batch row (\(lay.batch) rows), got \(vk.count) counts")
            }
        }
        // Keys each batch row attends to (all when there is no mask).
        let keyCounts = validKeys ?? [Int](repeating: lay.tk, count: lay.batch)
        let slices = lay.batch * lay.heads, tq = lay.tq, tk = lay.tk, dh = lay.dh, dv = lay.dv
        let pn = try checkedCount([slices, tq, tk], op: op)
        try checkedCount(outShape, op: op)
        // DropKey mask, drawn sequentially so results do not depend on threading.
        var keepMask: [Bool] = []
        if dropKey > 0 {
            guard rng != nil else {
                throw TensorError.invalidArgument(op: op, detail: "dropKey \(dropKey) needs a random generator (rng)")
            }
            keepMask = [Bool](repeating: true, count: pn)
            for i in 0..<pn { keepMask[i] = rng!.uniform() >= dropKey }
        }
        let scale = 1 / Float(dh).squareRoot()
        var probs = uninitializedFloats(pn) { _ in }  // every slice is written below
        let work = slices * tq * tk * (dh + dv + 8)
        let chunks = Engine.chunkCount(slices, work: work, minWork: 1 << 17)
        let kernel = Engine.attentionKernel(tk: tk, dh: dh, dv: dv)
        let out = Profile.measure(.attention, flops: 2 * Double(slices) * Double(tq * tk * (dh + dv))) {
        uninitializedFloats(Tensor.product(outShape)) { o in
            q.data.withUnsafeBufferPointer { qb in k.data.withUnsafeBufferPointer { kb in v.data.withUnsafeBufferPointer { vb in
            probs.withUnsafeMutableBufferPointer { pb in keepMask.withUnsafeBufferPointer { mb in
                let qp = qb.baseAddress!, kp = kb.baseAddress! + kOffset, vp = vb.baseAddress! + vOffset, pp = pb.baseAddress!
                let mp = dropKey > 0 ? mb.baseAddress : nil
                Engine.parallelChunks(slices, chunks: chunks) { _, r in
                    for s in r {
                        let bi = s / lay.heads, hi = s % lay.heads
                        let qs = qp + bi * lay.qB + hi * lay.qH
                        let ks = kp + bi * lay.kB + hi * lay.kH
                        let vs = vp + bi * lay.vB + hi * lay.vH
                        let os = o + bi * lay.oB + hi * lay.oH
                        let ps = pp + s * tq * tk
                        let nk = keyCounts[bi]
                        if kernel && mp == nil {
                            lora_attention_forward(Int32(tq), Int32(tk), Int32(nk), Int32(dh), Int32(dv), scale,
                                                   qs, Int32(lay.ldq), ks, Int32(lay.ldk), vs, Int32(lay.ldv), ps, os, Int32(lay.ldo))
                            continue
                        }
                        sgemm1(false, true, tq, tk, dh, scale, qs, lay.ldq, ks, lay.ldk, 0, ps, tk)
                        // Padding keys (j >= nk) get probability 0, so they also get no gradient.
                        for i in 0..<tq {
                            let row = ps + i * tk
                            for j in nk..<tk { row[j] = 0 }
                            if let mp = mp {
                                let mr = mp + s * tq * tk + i * tk
                                var any = false
                                for j in 0..<nk where mr[j] { any = true; break }
                                if any {
                                    var m = -Float.infinity
                                    for j in 0..<nk where mr[j] { m = Swift.max(m, row[j]) }
                                    var sum: Float = 0
                                    for j in 0..<nk {
                                        let e = mr[j] ? fastExp(row[j] - m) : 0
                                        row[j] = e; sum += e
                                    }
                                    let inv = 1 / sum
                                    for j in 0..<nk { row[j] *= inv }
                                    continue
                                }
                                // Every key dropped: fall back to the plain softmax for this row.
                            }
                            softmaxRow(row, row, nk)
                        }
                        sgemm1(false, false, tq, dv, tk, 1, ps, tk, vs, lay.ldv, 0, os, lay.ldo)
                    }
                }
            } }
            } } }
        }
        }
        let weights = keepWeights ? Tensor([lay.batch, lay.heads, tq, tk], probs) : nil
        let parents = packed ? [q] : [q, k, v]
        let output = result(outShape, out, parents) { t in
            let dy = t.grad!.data
            // Every slice writes its whole block of each wanted gradient (beta 0), so no zeroing.
            var dq = q.requiresGrad ? uninitializedFloats(q.count) { _ in } : []
            var dk = (!packed && k.requiresGrad) ? uninitializedFloats(k.count) { _ in } : []
            var dvv = (!packed && v.requiresGrad) ? uninitializedFloats(v.count) { _ in } : []
            let wantQ = q.requiresGrad, wantK = k.requiresGrad, wantV = v.requiresGrad
            let backFlops = 2 * Double(slices * tq * tk) * Double((wantV ? dv : 0) + (wantQ || wantK ? dv : 0) + (wantQ ? dh : 0) + (wantK ? dh : 0))
            Profile.measure(.attention, flops: backFlops) {
            dy.withUnsafeBufferPointer { db in probs.withUnsafeBufferPointer { pb in
            q.data.withUnsafeBufferPointer { qb in k.data.withUnsafeBufferPointer { kb in v.data.withUnsafeBufferPointer { vb in
            dq.withUnsafeMutableBufferPointer { dqb in dk.withUnsafeMutableBufferPointer { dkb in dvv.withUnsafeMutableBufferPointer { dvb in
                let dp = db.baseAddress!, pp = pb.baseAddress!
                let qp = qb.baseAddress!, kp = kb.baseAddress! + kOffset, vp = vb.baseAddress! + vOffset
                // (Empty arrays may still report a base address: select by the flags.)
                let gq = wantQ ? dqb.baseAddress : nil
                let gk = packed ? gq.map { $0 + kOffset } : (wantK ? dkb.baseAddress : nil)
                let gv = packed ? gq.map { $0 + vOffset } : (wantV ? dvb.baseAddress : nil)
                Engine.parallelChunks(slices, chunks: chunks) { _, r in
                    var dP = [Float](repeating: 0, count: tq * tk)
                    dP.withUnsafeMutableBufferPointer { sb in
                        let dps = sb.baseAddress!
                        for s in r {
                            let bi = s / lay.heads, hi = s % lay.heads
                            let qs = qp + bi * lay.qB + hi * lay.qH
                            let ks = kp + bi * lay.kB + hi * lay.kH
                            let vs = vp + bi * lay.vB + hi * lay.vH
                            let dos = dp + bi * lay.oB + hi * lay.oH
                            let ps = pp + s * tq * tk
                            if kernel {
                                lora_attention_backward(Int32(tq), Int32(tk), Int32(dh), Int32(dv), scale,
                                                        qs, Int32(lay.ldq), ks, Int32(lay.ldk), vs, Int32(lay.ldv), ps, dos, Int32(lay.ldo),
                                                        wantQ ? gq.map { $0 + bi * lay.qB + hi * lay.qH } : nil, Int32(lay.ldq),
                                                        wantK ? gk.map { $0 + bi * lay.kB + hi * lay.kH } : nil, Int32(lay.ldk),
                                                        wantV ? gv.map { $0 + bi * lay.vB + hi * lay.vH } : nil, Int32(lay.ldv), dps)
                                continue
                            }
                            // dV = P^T dO
                            if wantV, let gv = gv {
                                sgemm1(true, false, tk, dv, tq, 1, ps, tk, dos, lay.ldo, 0, gv + bi * lay.vB + hi * lay.vH, lay.ldv)
                            }
                            guard wantQ || wantK else { continue }
                            // dP = dO V^T; dS = P * (dP - rowsum(dP * P)) * scale
                            sgemm1(false, true, tq, tk, dv, 1, dos, lay.ldo, vs, lay.ldv, 0, dps, tk)
                            for i in 0..<tq {
                                let pr = ps + i * tk, dr = dps + i * tk
                                let acc = vdot(pr, dr, tk)
                                for j in 0..<tk { dr[j] = pr[j] * (dr[j] - acc) * scale }
                            }
                            // dQ = dS K; dK = dS^T Q
                            if wantQ, let gq = gq {
                                sgemm1(false, false, tq, dh, tk, 1, dps, tk, ks, lay.ldk, 0, gq + bi * lay.qB + hi * lay.qH, lay.ldq)
                            }
                            if wantK, let gk = gk {
                                sgemm1(true, false, tk, dh, tq, 1, dps, tk, qs, lay.ldq, 0, gk + bi * lay.kB + hi * lay.kH, lay.ldk)
                            }
                        }
                    }
                }
            } } }
            } } }
            } }
            }
            if wantQ { q.accumulateGrad(dq) }
            if !packed {
                if wantK { k.accumulateGrad(dk) }
                if wantV { v.accumulateGrad(dvv) }
            }
        }
        return (output, weights)
    }
}
