// Shape ops: reshape, permute/transpose, slice, select, gather, concat, stack,
// expand. Storage is always contiguous, so views materialise (reshape shares
// the array copy-on-write and costs nothing).

extension Tensor {
    /// Normalises a possibly negative axis into 0..<rank.
    func axisIndex(_ axis: Int, op: String, rank r: Int? = nil) throws -> Int {
        let rk = r ?? rank
        let a = axis < 0 ? axis + rk : axis
        guard a >= 0 && a < rk else {
            throw TensorError.invalidArgument(op: op, detail: "axis \(axis) out of range for a rank-\(rk) tensor of shape \(shapeString(shape))")
        }
        return a
    }

    /// (outer, n, inner) sizes around `axis`.
    @inline(__always)
    func split(at axis: Int) -> (Int, Int, Int) {
        var outer = 1, inner = 1
        for i in 0..<axis { outer *= shape[i] }
        for i in (axis + 1)..<rank { inner *= shape[i] }
        return (outer, shape[axis], inner)
    }

    /// Same elements, new shape (one extent may be -1 and is inferred).
    public func reshape(_ newShape: [Int]) throws -> Tensor {
        let op = "reshape"
        var s = newShape
        let unknown = s.indices.filter { s[$0] == -1 }
        guard unknown.count <= 1, !s.contains(where: { $0 < -1 }) else {
            throw TensorError.invalidArgument(op: op, detail: "shape \(shapeString(newShape)) may hold at most one -1 and no other negative extent")
        }
        if let u = unknown.first {
            let known = s.enumerated().filter { $0.offset != u }.reduce(1) { $0 * $1.element }
            guard known > 0, count % known == 0 else {
                throw TensorError.shapeMismatch(op: op, shapes: [shape, newShape], detail: "cannot infer -1: \(count) elements do not divide into \(known)")
            }
            s[u] = count / known
        }
        let n = try Tensor.checkedCount(s, op: op)
        guard n == count else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape, newShape], detail: "\(count) elements cannot be viewed as \(n)")
        }
        let x = self
        return Tensor.result(s, data, [self], .shape) { t in x.accumulateGrad(t.grad!.data) }
    }

    /// Reorders the axes: output axis i is input axis `axes[i]`.
    public func permute(_ axes: [Int]) throws -> Tensor {
        let op = "permute"
        guard axes.count == rank else {
            throw TensorError.invalidArgument(op: op, detail: "\(axes) has \(axes.count) axes but the tensor has shape \(shapeString(shape))")
        }
        let ax = try axes.map { try axisIndex($0, op: op) }
        guard Set(ax).count == rank else {
            throw TensorError.invalidArgument(op: op, detail: "\(axes) is not a permutation of 0..<\(rank)")
        }
        if ax == Array(0..<rank) { return try reshape(shape) }
        let outShape = ax.map { shape[$0] }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in ax.enumerated() { inverse[a] = i }
        let out = Tensor.permuteData(data, shape: shape, axes: ax)
        let x = self
        return Tensor.result(outShape, out, [self], .shape) { t in
            x.accumulateGrad(Tensor.permuteData(t.grad!.data, shape: outShape, axes: inverse))
        }
    }

    /// Copies `src` (of `shape`) into the layout with axes reordered by `axes`.
    static func permuteData(_ src: [Float], shape: [Int], axes: [Int]) -> [Float] {
        let r = shape.count
        var inStride = [Int](repeating: 1, count: r)
        for i in stride(from: r - 2, through: 0, by: -1) { inStride[i] = inStride[i + 1] * shape[i + 1] }
        let outShape = axes.map { shape[$0] }
        let st = axes.map { inStride[$0] }  // input stride per output axis
        let n = src.count
        return uninitializedFloats(n, .shape) { y in
            src.withUnsafeBufferPointer { sb in
                let x = sb.baseAddress!
                let last = outShape[r - 1], ls = st[r - 1]
                let outerCount = n / Swift.max(last, 1)
                let outer = Array(outShape[0..<(r - 1)]), os = Array(st[0..<(r - 1)])
                var idx = [Int](repeating: 0, count: r - 1)
                var off = 0
                var o = 0
                for _ in 0..<outerCount {
                    if ls == 1 { (y + o).update(from: x + off, count: last) }
                    else { for j in 0..<last { y[o + j] = x[off + j * ls] } }
                    o += last
                    var d = r - 2
                    while d >= 0 {
                        idx[d] += 1; off += os[d]
                        if idx[d] < outer[d] { break }
                        off -= os[d] * outer[d]; idx[d] = 0
                        d -= 1
                    }
                }
            }
        }
    }

    /// Swaps axes `a` and `b`.
    public func transposed(_ a: Int, _ b: Int) throws -> Tensor {
        let i = try axisIndex(a, op: "transposed"), j = try axisIndex(b, op: "transposed")
        var axes = Array(0..<rank)
        axes.swapAt(i, j)
        return try permute(axes)
    }

    /// Elements `range` along `axis` (the axis is kept).
    public func slice(axis: Int, range: Range<Int>) throws -> Tensor {
        let op = "slice"
        let ax = try axisIndex(axis, op: op)
        guard range.lowerBound >= 0, range.upperBound <= shape[ax] else {
            throw TensorError.invalidArgument(op: op, detail: "range \(range) outside 0..<\(shape[ax]) of axis \(axis) in shape \(shapeString(shape))")
        }
        let (outer, n, inner) = split(at: ax)
        let len = range.count, lo = range.lowerBound
        var outShape = shape
        outShape[ax] = len
        let out = uninitializedFloats(outer * len * inner, .shape) { y in
            data.withUnsafeBufferPointer { xb in
                let x = xb.baseAddress!
                for o in 0..<outer { (y + o * len * inner).update(from: x + (o * n + lo) * inner, count: len * inner) }
            }
        }
        let x = self
        return Tensor.result(outShape, out, [self], .shape) { t in
            let dy = t.grad!.data
            dy.withUnsafeBufferPointer { db in
                let d = db.baseAddress!
                x.accumulateGrad { g, fresh in
                    if fresh { g.update(repeating: 0, count: outer * n * inner) }
                    for o in 0..<outer {
                        let gp = g + (o * n + lo) * inner, dp = d + o * len * inner
                        for i in 0..<(len * inner) { gp[i] += dp[i] }
                    }
                }
            }
        }
    }

    /// Element `index` along `axis`, dropping the axis.
    public func select(axis: Int, index: Int) throws -> Tensor {
        let ax = try axisIndex(axis, op: "select")
        guard index >= 0 && index < shape[ax] else {
            throw TensorError.invalidArgument(op: "select", detail: "index \(index) outside 0..<\(shape[ax]) of axis \(axis) in shape \(shapeString(shape))")
        }
        var s = shape
        s.remove(at: ax)
        return try slice(axis: ax, range: index..<(index + 1)).reshape(s)
    }

    /// Rows `rows` of axis 0 (repeats allowed); gradients scatter-add back.
    public func gather(rows: [Int]) throws -> Tensor {
        let op = "gather"
        guard rank >= 1 else { throw TensorError.notScalar(op: op, shape: shape) }
        let n = shape[0], inner = count / Swift.max(n, 1)
        for r in rows where r < 0 || r >= n {
            throw TensorError.invalidArgument(op: op, detail: "row \(r) outside 0..<\(n) of shape \(shapeString(shape))")
        }
        var outShape = shape
        outShape[0] = rows.count
        try Tensor.checkedCount(outShape, op: op)
        let out = uninitializedFloats(rows.count * inner, .shape) { y in
            data.withUnsafeBufferPointer { xb in
                let x = xb.baseAddress!
                for (i, r) in rows.enumerated() { (y + i * inner).update(from: x + r * inner, count: inner) }
            }
        }
        let x = self
        return Tensor.result(outShape, out, [self], .shape) { t in
            let dy = t.grad!.data
            dy.withUnsafeBufferPointer { db in
                let d = db.baseAddress!
                x.accumulateGrad { g, fresh in
                    if fresh { g.update(repeating: 0, count: n * inner) }
                    for (i, r) in rows.enumerated() {
                        let gp = g + r * inner, dp = d + i * inner
                        for j in 0..<inner { gp[j] += dp[j] }
                    }
                }
            }
        }
    }

    /// Joins tensors along an existing axis; all other extents must agree.
    public static func concat(_ ts: [Tensor], axis: Int) throws -> Tensor {
        let op = "concat"
        guard let first = ts.first else { throw TensorError.invalidArgument(op: op, detail: "no tensors given") }
        let ax = try first.axisIndex(axis, op: op)
        for t in ts {
            var s1 = t.shape, s0 = first.shape
            guard s1.count == s0.count else {
                throw TensorError.shapeMismatch(op: op, shapes: ts.map(\.shape), detail: "all tensors need the same rank")
            }
            s1[ax] = 0; s0[ax] = 0
            guard s1 == s0 else {
                throw TensorError.shapeMismatch(op: op, shapes: ts.map(\.shape), detail: "extents must agree except along axis \(axis)")
            }
        }
        let (outer, _, inner) = first.split(at: ax)
        let lens = ts.map { $0.shape[ax] }
        let total = lens.reduce(0, +)
        var outShape = first.shape
        outShape[ax] = total
        let n = try checkedCount(outShape, op: op)
        let out = uninitializedFloats(n, .shape) { y in
            var off = 0
            for (t, len) in zip(ts, lens) {
                t.data.withUnsafeBufferPointer { xb in
                    guard let x = xb.baseAddress else { return }
                    for o in 0..<outer { (y + (o * total + off) * inner).update(from: x + o * len * inner, count: len * inner) }
                }
                off += len
            }
        }
        return result(outShape, out, ts, .shape) { t in
            let dy = t.grad!.data
            dy.withUnsafeBufferPointer { db in
                let d = db.baseAddress!
                var off = 0
                for (x, len) in zip(ts, lens) {
                    x.accumulateGrad { g, fresh in
                        for o in 0..<outer {
                            let gp = g + o * len * inner, dp = d + (o * total + off) * inner
                            if fresh { gp.update(from: dp, count: len * inner) } else { for j in 0..<(len * inner) { gp[j] += dp[j] } }
                        }
                    }
                    off += len
                }
            }
        }
    }

    /// Stacks same-shape tensors along a new axis.
    public static func stack(_ ts: [Tensor], axis: Int) throws -> Tensor {
        let op = "stack"
        guard let first = ts.first else { throw TensorError.invalidArgument(op: op, detail: "no tensors given") }
        for t in ts where t.shape != first.shape {
            throw TensorError.shapeMismatch(op: op, shapes: ts.map(\.shape), detail: "all tensors must have the same shape")
        }
        let ax = try first.axisIndex(axis, op: op, rank: first.rank + 1)
        var s = first.shape
        s.insert(1, at: ax)
        return try concat(ts.map { try $0.reshape(s) }, axis: ax)
    }

    /// Broadcasts to `shape` (numpy rules), materialising the copy.
    public func expand(to target: [Int]) throws -> Tensor {
        let op = "expand"
        guard let b = broadcastShape(shape, target), b == target else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape, target], detail: "axes must be equal or 1 (aligned from the right) and the target must not be smaller")
        }
        if target == shape { return try reshape(shape) }
        let n = try Tensor.checkedCount(target, op: op)
        let plan = BroadcastPlan(out: target, a: shape, b: target)
        let m = plan.inner, sa = plan.innerA
        let out = uninitializedFloats(n, .shape) { y in
            data.withUnsafeBufferPointer { xb in
                let x = xb.baseAddress!
                plan.forEachRun { o, ia, _ in for i in 0..<m { y[o + i] = x[ia + i * sa] } }
            }
        }
        let x = self, from = shape
        return Tensor.result(target, out, [self], .shape) { t in
            x.accumulateGrad(reduceGrad(t.grad!.data, from: target, to: from))
        }
    }
}
