// Numpy-style broadcasting: the output shape, a plan that walks two inputs in
// runs of contiguous output elements, and THE one helper that reduces a
// broadcast gradient back to an input's shape.

/// Broadcast shape of `a` and `b` (numpy rules), or nil if incompatible.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let r = max(a.count, b.count)
    var out = [Int](repeating: 1, count: r)
    for i in 0..<r {
        let da = i < r - a.count ? 1 : a[i - (r - a.count)]
        let db = i < r - b.count ? 1 : b[i - (r - b.count)]
        if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
    }
    return out
}

/// Walks an output shape while tracking offsets into two broadcast inputs.
/// Dimensions are coalesced, so same-shape operands become one run.
struct BroadcastPlan {
    /// Outer extents (coalesced, without the innermost).
    var outer: [Int] = []
    var outerA: [Int] = []
    var outerB: [Int] = []
    /// Innermost run length and the inputs' strides along it (0 = broadcast).
    var inner = 1
    var innerA = 0
    var innerB = 0
    var total = 1

    init(out: [Int], a: [Int], b: [Int]) {
        let r = out.count
        func strides(_ s: [Int]) -> [Int] {
            let pad = r - s.count
            var st = [Int](repeating: 0, count: r)
            var acc = 1
            for i in stride(from: r - 1, through: 0, by: -1) {
                let d = i < pad ? 1 : s[i - pad]
                st[i] = d == 1 ? 0 : acc
                acc *= d
            }
            return st
        }
        let sa = strides(a), sb = strides(b)
        var ext: [Int] = [], xa: [Int] = [], xb: [Int] = []
        for i in 0..<r where out[i] != 1 {
            if let last = ext.last, xa.last! == sa[i] * out[i], xb.last! == sb[i] * out[i] {
                ext[ext.count - 1] = last * out[i]
                xa[xa.count - 1] = sa[i]
                xb[xb.count - 1] = sb[i]
            } else {
                ext.append(out[i]); xa.append(sa[i]); xb.append(sb[i])
            }
        }
        total = Tensor.product(out)
        if let l = ext.popLast() {
            inner = l; innerA = xa.removeLast(); innerB = xb.removeLast()
        }
        outer = ext; outerA = xa; outerB = xb
    }

    /// Calls `body(outOffset, aOffset, bOffset)` at the start of every inner run.
    @inline(__always)
    func forEachRun(_ body: (Int, Int, Int) -> Void) {
        if total == 0 { return }
        if outer.isEmpty { body(0, 0, 0); return }
        let r = outer.count
        var idx = [Int](repeating: 0, count: r)
        var o = 0, ia = 0, ib = 0
        while true {
            body(o, ia, ib)
            o += inner
            var d = r - 1
            while d >= 0 {
                idx[d] += 1
                ia += outerA[d]; ib += outerB[d]
                if idx[d] < outer[d] { break }
                ia -= outerA[d] * outer[d]; ib -= outerB[d] * outer[d]
                idx[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }
}

/// Sums a gradient of shape `from` (a broadcast result) back to shape `to`.
/// The one place where broadcasting is undone for every op.
func reduceGrad(_ g: [Float], from: [Int], to: [Int]) -> [Float] {
    if from == to { return g }
    let plan = BroadcastPlan(out: from, a: to, b: from)
    var res = [Float](repeating: 0, count: Tensor.product(to))
    res.withUnsafeMutableBufferPointer { rb in
        g.withUnsafeBufferPointer { gb in
            guard let r = rb.baseAddress, let gp = gb.baseAddress else { return }
            let n = plan.inner, s = plan.innerA
            plan.forEachRun { o, a, _ in
                if s == 0 {
                    var acc: Float = 0
                    for i in 0..<n { acc += gp[o + i] }
                    r[a] += acc
                } else if s == 1 {
                    for i in 0..<n { r[a + i] += gp[o + i] }
                } else {
                    for i in 0..<n { r[a + i * s] += gp[o + i] }
                }
            }
        }
    }
    return res
}
