// Inverted dropout and embedding lookup.
import Core

extension Tensor {
    /// Zeroes each element with probability `p` and scales the rest by 1/(1-p)
    /// when `training`; identity otherwise (or when p == 0). The mask is drawn
    /// from `rng` in row-major order.
    public func dropout(p: Float, rng: inout RNG, training: Bool) throws -> Tensor {
        guard p >= 0 && p <= 1 else {
            throw TensorError.invalidArgument(op: "dropout", detail: "probability \(p) must be in [0, 1]")
        }
        if !training || p == 0 { return self }
        let n = count
        let scale: Float = p >= 1 ? 0 : 1 / (1 - p)
        var mask = [Float](repeating: 0, count: n)
        for i in 0..<n { mask[i] = rng.uniform() < p ? 0 : scale }
        let out = uninitializedFloats(n, .elementwise) { y in
            data.withUnsafeBufferPointer { xb in mask.withUnsafeBufferPointer { mb in
                map2(n, xb.baseAddress!, mb.baseAddress!, y, accumulate: false, MulF())
            } }
        }
        let x = self
        return Tensor.result(shape, out, [self], .elementwise) { t in
            t.grad!.data.withUnsafeBufferPointer { db in mask.withUnsafeBufferPointer { mb in
                x.accumulateGrad { g, fresh in map2(n, db.baseAddress!, mb.baseAddress!, g, accumulate: !fresh, MulF()) }
            } }
        }
    }

    /// Rows `indices` of `table` [V, D] as a [indices.count, D] tensor; the
    /// gradient scatter-adds into the table.
    public static func embedding(_ indices: [Int], table: Tensor) throws -> Tensor {
        guard table.rank == 2 else {
            throw TensorError.shapeMismatch(op: "embedding", shapes: [table.shape], detail: "table must be [vocabulary, dim]")
        }
        for i in indices where i < 0 || i >= table.shape[0] {
            throw TensorError.invalidArgument(op: "embedding", detail: "index \(i) outside 0..<\(table.shape[0]) rows of table \(shapeString(table.shape))")
        }
        return try table.gather(rows: indices)
    }
}
