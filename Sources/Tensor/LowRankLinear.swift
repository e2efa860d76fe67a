// A linear layer shared by M members plus per-member low-rank (LoRA) terms,
// in one op: y = x W^T + b over all rows (ONE gemm), then member m's rows get
// scale * (x A_m^T) B_m^T added in place to a block of output columns. Same
// numbers as linear + matmul + add, without materialising the [rows, out]
// delta tensors, their concat and the extra add pass (the memory traffic that
// made a 16-member step cost more than 16 single steps).
import CBLAS

/// Member m's rows of the output columns [offset, offset + out) get
/// scale * (x_m A_m^T) B_m^T, with A [M, r, in] and B [M, out, r].
public struct LowRankUpdate {
    public let a: Tensor
    public let b: Tensor
    public let scale: Float
    public let offset: Int
    public init(a: Tensor, b: Tensor, scale: Float, offset: Int) {
        self.a = a; self.b = b; self.scale = scale; self.offset = offset
    }
}

extension Tensor {
    /// x [..., in] W^T + bias, plus the low-rank `updates` of M members whose
    /// rows are the M consecutive equal blocks of x's leading rows (member-major).
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, lowRank updates: [LowRankUpdate]) throws -> Tensor {
        let op = "linear(lowRank:)"
        if updates.isEmpty { return try linear(x, weight: weight, bias: bias) }
        let (inF, outF) = try linearFeatures(x, weight: weight, bias: bias, op: op)
        let mem = updates[0].a.rank == 3 ? updates[0].a.shape[0] : 0
        let rows = inF > 0 ? x.count / inF : 0
        for u in updates {
            guard u.a.rank == 3, u.b.rank == 3, u.a.shape[0] == mem, u.b.shape[0] == mem, mem > 0,
                  u.a.shape[2] == inF, u.b.shape[2] == u.a.shape[1], u.offset >= 0, u.offset + u.b.shape[1] <= outF else {
                throw TensorError.shapeMismatch(op: op, shapes: [x.shape, weight.shape, u.a.shape, u.b.shape],
                    detail: "each update needs A [M, r, in] and B [M, out, r] with the same M, in = \(inF), and columns offset \(u.offset) + out within \(outF)")
            }
        }
        if rows == 0 { return try linear(x, weight: weight, bias: bias) }
        guard inF > 0, rows % mem == 0 else {
            throw TensorError.shapeMismatch(op: op, shapes: [x.shape], detail: "the \(rows) rows must split into \(mem) equal member blocks")
        }
        var outShape = x.shape
        outShape[outShape.count - 1] = outF
        try checkedCount(outShape, op: op)
        let rm = rows / mem                                   // rows per member
        let ranks = updates.map { $0.a.shape[1] }
        let hOff = ranks.indices.map { i in rows * ranks[..<i].reduce(0, +) }
        let work = rows * ranks.reduce(0, +) * (inF + outF)
        // Flops of the forward's low-rank products (x A^T, then h B^T), all members (for the profile).
        let lowRankFlops = 2 * Double(rows) * Double(zip(ranks, updates).reduce(0) { $0 + $1.0 * (inF + $1.1.b.shape[1]) })
        // H_u = x A_u^T per member: [rows, r_u] blocks, kept for backward.
        var hAll = uninitializedFloats(rows * ranks.reduce(0, +)) { _ in }
        let out = uninitializedFloats(rows * outF) { c in
            x.data.withUnsafeBufferPointer { xb in weight.data.withUnsafeBufferPointer { wb in
                let xp = xb.baseAddress!
                if let b = bias {
                    b.data.withUnsafeBufferPointer { bb in linearRows(rows, outF, inF, xp, wb.baseAddress!, bb.baseAddress!, c, outF) }
                } else {
                    linearRows(rows, outF, inF, xp, wb.baseAddress!, nil, c, outF)
                }
                hAll.withUnsafeMutableBufferPointer { hb in
                    let hp = hb.baseAddress!
                    withPointers(updates) { ap, bp in
                        Profile.gemm("lowrank xA^T, hB^T", false, true, rm, ranks[0], inF, batch: mem * updates.count,
                                     flops: lowRankFlops) {
                        Engine.parallelFor(mem, work: work, minWork: 1 << 20) { range in
                            for m in range {
                                for (ui, u) in updates.enumerated() {
                                    let r = ranks[ui], o = u.b.shape[1]
                                    let h = hp + hOff[ui] + m * rm * r
                                    gemmShaped1(false, true, rm, r, inF, 1, xp + m * rm * inF, inF, ap[ui] + m * r * inF, inF, 0, h, r)
                                    gemmShaped1(false, true, rm, o, r, u.scale, h, r, bp[ui] + m * o * r, r, 1,
                                           c + m * rm * outF + u.offset, outF)
                                }
                            }
                        }
                        }
                    }
                }
            } }
        }
        var parents = [x, weight]
        if let b = bias { parents.append(b) }
        for u in updates { parents.append(u.a); parents.append(u.b) }
        return result(outShape, out, parents) { t in
            let dy = t.grad!.data
            let wantLowRank = x.requiresGrad || updates.contains { $0.a.requiresGrad || $0.b.requiresGrad }
            // dH_u = scale * dy_u B_u per member: [rows, r_u] blocks (same layout as H).
            var dhAll = wantLowRank ? uninitializedFloats(hAll.count) { _ in } : []
            dy.withUnsafeBufferPointer { db in x.data.withUnsafeBufferPointer { xb in weight.data.withUnsafeBufferPointer { wb in
            hAll.withUnsafeBufferPointer { hb in dhAll.withUnsafeMutableBufferPointer { dhb in
                let d = db.baseAddress!, xp = xb.baseAddress!, wp = wb.baseAddress!, hp = hb.baseAddress!
                withPointers(updates) { ap, bp in
                    if wantLowRank, let dhp = dhb.baseAddress {
                        Profile.gemm("lowrank dH", false, false, rm, ranks[0], updates[0].b.shape[1], batch: mem * updates.count,
                                     flops: 2 * Double(rows) * Double(zip(ranks, updates).reduce(0) { $0 + $1.0 * $1.1.b.shape[1] })) {
                        Engine.parallelFor(mem, work: work, minWork: 1 << 20) { range in
                            for m in range {
                                for (ui, u) in updates.enumerated() {
                                    let r = ranks[ui], o = u.b.shape[1]
                                    gemmShaped1(false, false, rm, r, o, u.scale, d + m * rm * outF + u.offset, outF,
                                           bp[ui] + m * o * r, r, 0, dhp + hOff[ui] + m * rm * r, r)
                                }
                            }
                        }
                        }
                    }
                    let dhp = UnsafePointer(dhb.baseAddress)
                    // dx = dy W + sum_u dH_u A_u
                    x.accumulateGrad { g, fresh in
                        Profile.gemm("linear dx", false, false, rows, inF, outF) {
                            sgemm(false, false, rows, inF, outF, 1, d, outF, wp, inF, fresh ? 0 : 1, g, inF)
                        }
                        Profile.gemm("lowrank dx += dH A", false, false, rm, inF, ranks[0], batch: mem * updates.count,
                                     flops: 2 * Double(rows) * Double(inF) * Double(ranks.reduce(0, +))) {
                        Engine.parallelFor(mem, work: work, minWork: 1 << 20) { range in
                            for m in range {
                                for ui in updates.indices {
                                    let r = ranks[ui]
                                    gemmShaped1(false, false, rm, inF, r, 1, dhp! + hOff[ui] + m * rm * r, r,
                                           ap[ui] + m * r * inF, inF, 1, g + m * rm * inF, inF)
                                }
                            }
                        }
                        }
                    }
                    weight.accumulateGrad { g, fresh in
                        Profile.gemm("linear dW", true, false, outF, inF, rows) {
                            sgemm(true, false, outF, inF, rows, 1, d, outF, xp, inF, fresh ? 0 : 1, g, inF)
                        }
                    }
                    bias?.accumulateGrad { g, fresh in biasGradient(g, fresh: fresh, d, rows: rows, outF: outF) }
                    for (ui, u) in updates.enumerated() {
                        let r = ranks[ui], o = u.b.shape[1]
                        // dA_m = dH_m^T x_m  [r, in]
                        u.a.accumulateGrad { g, fresh in
                            Profile.gemm("lowrank dA", true, false, r, inF, rm, batch: mem) {
                            Engine.parallelFor(mem, work: work, minWork: 1 << 20) { range in
                                for m in range {
                                    gemmShaped1(true, false, r, inF, rm, 1, dhp! + hOff[ui] + m * rm * r, r, xp + m * rm * inF, inF,
                                           fresh ? 0 : 1, g + m * r * inF, inF)
                                }
                            }
                            }
                        }
                        // dB_m = scale * dy_m^T H_m  [out, r]
                        u.b.accumulateGrad { g, fresh in
                            Profile.gemm("lowrank dB", true, false, o, r, rm, batch: mem) {
                            Engine.parallelFor(mem, work: work, minWork: 1 << 20) { range in
                                for m in range {
                                    gemmShaped1(true, false, o, r, rm, u.scale, d + m * rm * outF + u.offset, outF,
                                           hp + hOff[ui] + m * rm * r, r, fresh ? 0 : 1, g + m * o * r, r)
                                }
                            }
                            }
                        }
                    }
                }
            } } } } }
        }
    }
}

/// Base pointers of every update's A and B data, valid inside `body`.
/// (The tensors are held by the caller for the whole call.)
private func withPointers(_ updates: [LowRankUpdate],
                          _ body: ([UnsafePointer<Float>], [UnsafePointer<Float>]) -> Void) {
    var ap: [UnsafePointer<Float>] = [], bp: [UnsafePointer<Float>] = []
    func nest(_ i: Int) {
        if i == updates.count { body(ap, bp); return }
        updates[i].a.data.withUnsafeBufferPointer { a in updates[i].b.data.withUnsafeBufferPointer { b in
            ap.append(a.baseAddress!); bp.append(b.baseAddress!)
            nest(i + 1)
        } }
    }
    nest(0)
}
