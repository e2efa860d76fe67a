/// Attention rollout (Abnar & Zuidema, "Quantifying Attention Flow in
/// Transformers", 2020): each layer's attention matrix A (T x T, rows sum to 1)
/// gets the identity added for the residual path and its rows renormalised,
/// Â = (A + I) / rowsum; the layers are multiplied from the first up,
/// R = Â_L ... Â_2 Â_1. Row 0 of R is how much the class token draws from
/// each input token through all the layers.
public enum AttentionRollout {
    /// Rollout of `layers` (each T x T, row-major, first layer first).
    public static func rollout(_ layers: [[Double]], tokens t: Int) -> [Double] {
        var r = identity(t)
        for a in layers {
            var hat = a
            for i in 0..<t {
                hat[i * t + i] += 1
                var s = 0.0
                for j in 0..<t { s += hat[i * t + j] }
                if s > 0 { for j in 0..<t { hat[i * t + j] /= s } }
            }
            r = multiply(hat, r, t)
        }
        return r
    }

    static func identity(_ t: Int) -> [Double] {
        var m = [Double](repeating: 0, count: t * t)
        for i in 0..<t { m[i * t + i] = 1 }
        return m
    }

    /// a x b for T x T row-major matrices.
    static func multiply(_ a: [Double], _ b: [Double], _ t: Int) -> [Double] {
        var c = [Double](repeating: 0, count: t * t)
        for i in 0..<t {
            for k in 0..<t {
                let x = a[i * t + k]
                if x == 0 { continue }
                for j in 0..<t { c[i * t + j] += x * b[k * t + j] }
            }
        }
        return c
    }

    /// Per-patch standard deviation (population) across the members' maps:
    /// where the members disagree.
    public static func spread(_ maps: [[Double]]) -> [Double] {
        guard let first = maps.first else { return [] }
        let n = Double(maps.count)
        return first.indices.map { i in
            let mean = maps.reduce(0) { $0 + $1[i] } / n
            let v = maps.reduce(0) { $0 + ($1[i] - mean) * ($1[i] - mean) } / n
            return v.squareRoot()
        }
    }
}
