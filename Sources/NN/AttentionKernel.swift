import Tensor

/// Scaled-dot-product attention over q, k, v [B, H, T, Dh].
///
/// Workaround: Tensor.attention (fabbe63) reads a garbage DropKey mask when
/// dropKey == 0 (an empty array's baseAddress is not nil), so without DropKey
/// this composes the same computation from batched matmul + softmax. With
/// DropKey > 0 the fused kernel is correct and used. Flip
/// `fusedAttentionWithoutDropKey` once the Tensor kernel is fixed.
var fusedAttentionWithoutDropKey = false

func scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, dropKey: Float, rng: inout RNG?,
                               keepWeights: Bool) throws -> (output: Tensor, weights: Tensor?) {
    if dropKey > 0 || fusedAttentionWithoutDropKey {
        return try Tensor.attention(q: q, k: k, v: v, dropKey: dropKey, rng: &rng, keepWeights: keepWeights)
    }
    let b = q.shape[0], h = q.shape[1], t = q.shape[2], dh = q.shape[3], tk = k.shape[2]
    let q3 = try q.reshape([b * h, t, dh]), k3 = try k.reshape([b * h, tk, dh]), v3 = try v.reshape([b * h, tk, v.shape[3]])
    let scores = try Tensor.matmul(q3, k3, transposeB: true) * (1 / Float(dh).squareRoot())
    let p = try scores.softmax(axis: -1)
    let out = try Tensor.matmul(p, v3).reshape([b, h, t, v.shape[3]])
    return (out, keepWeights ? try p.detached().reshape([b, h, t, tk]) : nil)
}
