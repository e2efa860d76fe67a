// Branch-free exp and erf that the compiler can vectorise, for the fused
// kernels (softmax, cross-entropy, attention, GELU). Relative error ~1e-7.

/// e^x for Float (Cephes polynomial after range reduction); inputs are clamped
/// to [-87.3, 88.3], so very negative inputs give ~1e-38 instead of 0.
@inline(__always)
func fastExp(_ v: Float) -> Float {
    let x = Swift.min(Swift.max(v, -87.3), 88.3)
    let n = (x * 1.442695041).rounded(.toNearestOrEven)
    let r = x - n * 0.693359375 + n * 2.12194440e-4
    var p: Float = 1.9875691500e-4
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let y = p * r * r + r + 1
    return y * Float(bitPattern: UInt32(bitPattern: Int32(n) &+ 127) << 23)
}

/// erf(x) for Float (Abramowitz & Stegun 7.1.26 refined: absolute error < 1.5e-7).
@inline(__always)
func fastErf(_ x: Float) -> Float {
    let a = Swift.abs(x)
    let t = 1 / (1 + 0.3275911 * a)
    var p: Float = 1.061405429
    p = p * t - 1.453152027
    p = p * t + 1.421413741
    p = p * t - 0.284496736
    p = p * t + 0.254829592
    let y = 1 - p * t * fastExp(-a * a)
    return x < 0 ? -y : y
}
