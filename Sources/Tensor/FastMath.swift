// Branch-free exp and erf that the compiler can vectorise, for the fused
// kernels (softmax, cross-entropy, attention, GELU), plus SIMD reductions.
// Relative error of fastExp ~5e-7; absolute error of fastErf ~1e-6 or better.

/// e^x for Float (Cephes polynomial after range reduction); inputs are clamped
/// to [-87.3, 88.3], so very negative inputs give ~1e-38 instead of 0.
@inline(__always)
func fastExp(_ v: Float) -> Float {
    let x = Swift.min(Swift.max(v, -87.3), 88.3)
    // n = round(x / ln 2) with the 1.5 * 2^23 trick (keeps the loop vectorisable).
    let t = x * 1.442695041 + 12_582_912
    let n = t - 12_582_912
    let r = x - n * 0.693359375 + n * 2.12194440e-4
    var p: Float = 1.9875691500e-4
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let y = p * r * r + r + 1
    let ni = Int32(bitPattern: t.bitPattern) &- 0x4B40_0000
    return y * Float(bitPattern: UInt32(bitPattern: (ni &+ 127) << 23))
}

/// erf(x) for Float: odd/even rational approximation on [-4, 4] (the one used
/// by Eigen's fast erf; erf is +-1 in Float beyond). One division, no exp.
@inline(__always)
func fastErf(_ v: Float) -> Float {
    let x = Swift.min(Swift.max(v, -4), 4)
    let x2 = x * x
    var p: Float = -2.72614225801306e-10
    p = p * x2 + 2.77068142495902e-08
    p = p * x2 - 2.10102402082508e-06
    p = p * x2 - 5.69250639462346e-05
    p = p * x2 - 7.34990630326855e-04
    p = p * x2 - 2.95459980854025e-03
    p = p * x2 - 1.60960333262415e-02
    p = p * x
    var q: Float = -1.45660718464996e-05
    q = q * x2 - 2.13374055278905e-04
    q = q * x2 - 1.68282697438203e-03
    q = q * x2 - 7.37332916720468e-03
    q = q * x2 - 1.42647390514189e-02
    return p / q
}

/// Sum of n floats (16 lanes).
@inline(__always)
func vsum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i + 16 <= n {
        acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        i += 16
    }
    var s = acc.sum()
    while i < n { s += p[i]; i += 1 }
    return s
}

/// Dot product of n floats (16 lanes).
@inline(__always)
func vdot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    var i = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    while i + 16 <= n {
        acc += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        i += 16
    }
    var s = acc.sum()
    while i < n { s += a[i] * b[i]; i += 1 }
    return s
}

/// Maximum of n floats (-inf when n == 0; NaNs are not propagated).
@inline(__always)
func vmax(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    // Eight independent compare-selects (SIMD pointwiseMax is slow in Swift).
    var m0 = -Float.infinity, m1 = m0, m2 = m0, m3 = m0, m4 = m0, m5 = m0, m6 = m0, m7 = m0
    var i = 0
    while i + 8 <= n {
        let a0 = p[i], a1 = p[i + 1], a2 = p[i + 2], a3 = p[i + 3]
        let a4 = p[i + 4], a5 = p[i + 5], a6 = p[i + 6], a7 = p[i + 7]
        m0 = a0 > m0 ? a0 : m0; m1 = a1 > m1 ? a1 : m1; m2 = a2 > m2 ? a2 : m2; m3 = a3 > m3 ? a3 : m3
        m4 = a4 > m4 ? a4 : m4; m5 = a5 > m5 ? a5 : m5; m6 = a6 > m6 ? a6 : m6; m7 = a7 > m7 ? a7 : m7
        i += 8
    }
    while i < n { let a = p[i]; m0 = a > m0 ? a : m0; i += 1 }
    m0 = m1 > m0 ? m1 : m0; m2 = m3 > m2 ? m3 : m2; m4 = m5 > m4 ? m5 : m4; m6 = m7 > m6 ? m7 : m6
    m0 = m2 > m0 ? m2 : m0; m4 = m6 > m4 ? m6 : m4
    return m4 > m0 ? m4 : m0
}
