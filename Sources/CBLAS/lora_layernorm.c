// Layer normalisation over rows of d, forward and backward, AVX-512 (see
// lora_kernels.h). Reproduces Sources/Tensor/LayerNorm.swift's loops operation
// for operation: vsum and vdot in 16 lanes with Swift's SIMD16.sum() order and
// the tail in order, separately rounded products and sums, the same
// association in every expression; so the numbers are the same bit for bit.
#include "lora_kernels.h"
#include "lora_simd.h"

TARGET void lora_layernorm_forward(long rows, int d, const float *x, const float *gamma, const float *beta,
                                   float eps, float invD, float *y, float *mean, float *rstd) {
    for (long row = 0; row < rows; row++) {
        const float *xr = x + row * d;
        float *yr = y + row * d;
        float m = vsum(xr, d) * invD;
        __m512 mv = _mm512_set1_ps(m);
        for (int i = 0; i < d; i += 16) {
            __mmask16 mk = tail_mask(d - i);
            _mm512_mask_storeu_ps(yr + i, mk, _mm512_sub_ps(_mm512_maskz_loadu_ps(mk, xr + i), mv));
        }
        float rs = 1.0f / __builtin_sqrtf(vdot(yr, yr, d) * invD + eps);
        mean[row] = m;
        rstd[row] = rs;
        __m512 rv = _mm512_set1_ps(rs);
        for (int i = 0; i < d; i += 16) {
            __mmask16 mk = tail_mask(d - i);
            __m512 v = _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(mk, yr + i), rv), _mm512_maskz_loadu_ps(mk, gamma + i));
            _mm512_mask_storeu_ps(yr + i, mk, _mm512_add_ps(v, _mm512_maskz_loadu_ps(mk, beta + i)));
        }
    }
}

TARGET void lora_layernorm_backward(long rows, int d, const float *dy, const float *x, const float *gamma,
                                    const float *mean, const float *rstd, float invD,
                                    float *dgamma, float *dbeta, float *dx, float *scratch) {
    float *xh = scratch, *dn = scratch + d;
    for (long row = 0; row < rows; row++) {
        const float *dr = dy + row * d, *xr = x + row * d;
        __m512 mv = _mm512_set1_ps(mean[row]), rv = _mm512_set1_ps(rstd[row]);
        for (int i = 0; i < d; i += 16) {
            __mmask16 mk = tail_mask(d - i);
            _mm512_mask_storeu_ps(xh + i, mk, _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(mk, xr + i), mv), rv));
        }
        if (dgamma && dbeta) {
            for (int i = 0; i < d; i += 16) {
                __mmask16 mk = tail_mask(d - i);
                __m512 dv = _mm512_maskz_loadu_ps(mk, dr + i);
                __m512 g = _mm512_add_ps(_mm512_maskz_loadu_ps(mk, dgamma + i), _mm512_mul_ps(_mm512_maskz_loadu_ps(mk, xh + i), dv));
                _mm512_mask_storeu_ps(dgamma + i, mk, g);
                _mm512_mask_storeu_ps(dbeta + i, mk, _mm512_add_ps(_mm512_maskz_loadu_ps(mk, dbeta + i), dv));
            }
        }
        if (dx) {
            for (int i = 0; i < d; i += 16) {
                __mmask16 mk = tail_mask(d - i);
                _mm512_mask_storeu_ps(dn + i, mk, _mm512_mul_ps(_mm512_maskz_loadu_ps(mk, dr + i), _mm512_maskz_loadu_ps(mk, gamma + i)));
            }
            __m512 s1 = _mm512_set1_ps(vsum(dn, d) * invD), s2 = _mm512_set1_ps(vdot(dn, xh, d) * invD);
            float *o = dx + row * d;
            for (int i = 0; i < d; i += 16) {
                __mmask16 mk = tail_mask(d - i);
                __m512 a = _mm512_sub_ps(_mm512_maskz_loadu_ps(mk, dn + i), s1);
                __m512 b = _mm512_mul_ps(_mm512_maskz_loadu_ps(mk, xh + i), s2);
                _mm512_mask_storeu_ps(o + i, mk, _mm512_mul_ps(rv, _mm512_sub_ps(a, b)));
            }
        }
    }
}
