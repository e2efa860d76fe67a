// Exact GELU forward and backward, AVX-512 (see lora_kernels.h): fastErf and
// fastExp of Sources/Tensor/FastMath.swift with the same operations in the same
// order, so the numbers equal the portable loops' bit for bit.
#include "lora_kernels.h"
#include "lora_simd.h"

// fastErf of FastMath.swift, 16 lanes.
INLINE __m512 fast_erf16(__m512 v) {
    __m512 x = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(-4.0f)), _mm512_set1_ps(4.0f));
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 p = _mm512_set1_ps(-2.72614225801306e-10f);
    p = _mm512_add_ps(_mm512_mul_ps(p, x2), _mm512_set1_ps(2.77068142495902e-08f));
    p = _mm512_sub_ps(_mm512_mul_ps(p, x2), _mm512_set1_ps(2.10102402082508e-06f));
    p = _mm512_sub_ps(_mm512_mul_ps(p, x2), _mm512_set1_ps(5.69250639462346e-05f));
    p = _mm512_sub_ps(_mm512_mul_ps(p, x2), _mm512_set1_ps(7.34990630326855e-04f));
    p = _mm512_sub_ps(_mm512_mul_ps(p, x2), _mm512_set1_ps(2.95459980854025e-03f));
    p = _mm512_sub_ps(_mm512_mul_ps(p, x2), _mm512_set1_ps(1.60960333262415e-02f));
    p = _mm512_mul_ps(p, x);
    __m512 q = _mm512_set1_ps(-1.45660718464996e-05f);
    q = _mm512_sub_ps(_mm512_mul_ps(q, x2), _mm512_set1_ps(2.13374055278905e-04f));
    q = _mm512_sub_ps(_mm512_mul_ps(q, x2), _mm512_set1_ps(1.68282697438203e-03f));
    q = _mm512_sub_ps(_mm512_mul_ps(q, x2), _mm512_set1_ps(7.37332916720468e-03f));
    q = _mm512_sub_ps(_mm512_mul_ps(q, x2), _mm512_set1_ps(1.42647390514189e-02f));
    return _mm512_div_ps(p, q);
}

#define INV_SQRT2 0.70710678118654752f
#define INV_SQRT2PI 0.39894228040143268f

TARGET void lora_gelu_forward(long n, const float *x, float *y, float *cdf) {
    for (long i = 0; i < n; i += 16) {
        __mmask16 mk = tail_mask((int)(n - i < 16 ? n - i : 16));
        __m512 xv = _mm512_maskz_loadu_ps(mk, x + i);
        __m512 e = fast_erf16(_mm512_mul_ps(xv, _mm512_set1_ps(INV_SQRT2)));
        __m512 phi = _mm512_mul_ps(_mm512_set1_ps(0.5f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
        if (cdf) _mm512_mask_storeu_ps(cdf + i, mk, phi);
        _mm512_mask_storeu_ps(y + i, mk, _mm512_mul_ps(xv, phi));
    }
}

TARGET void lora_gelu_backward(long n, const float *d, const float *x, const float *cdf, float *g, int accumulate) {
    for (long i = 0; i < n; i += 16) {
        __mmask16 mk = tail_mask((int)(n - i < 16 ? n - i : 16));
        __m512 dv = _mm512_maskz_loadu_ps(mk, d + i), xv = _mm512_maskz_loadu_ps(mk, x + i);
        __m512 cv = _mm512_maskz_loadu_ps(mk, cdf + i);
        __m512 t = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(-0.5f), xv), xv);
        __m512 u = _mm512_mul_ps(_mm512_mul_ps(xv, _mm512_set1_ps(INV_SQRT2PI)), fast_exp16(t));
        __m512 r = _mm512_mul_ps(dv, _mm512_add_ps(cv, u));
        if (accumulate) r = _mm512_add_ps(_mm512_maskz_loadu_ps(mk, g + i), r);
        _mm512_mask_storeu_ps(g + i, mk, r);
    }
}
