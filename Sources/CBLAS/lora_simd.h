// Shared pieces of the AVX-512 kernels (private to CBLAS): target macros,
// fastExp of Sources/Tensor/FastMath.swift in 16 lanes, tail masks, and the
// ordered sums (vsum, vdot) that make the kernels equal the portable loops bit for bit.
#ifndef LORA_SIMD_H
#define LORA_SIMD_H
#include <immintrin.h>
#include <stddef.h>

#pragma clang fp contract(off)

#define TARGET __attribute__((target("avx512f")))
#define INLINE static inline __attribute__((always_inline)) TARGET

// fastExp of FastMath.swift, 16 lanes.
INLINE __m512 fast_exp16(__m512 v) {
    __m512 x = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(-87.3f)), _mm512_set1_ps(88.3f));
    __m512 t = _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.442695041f)), _mm512_set1_ps(12582912.0f));
    __m512 n = _mm512_sub_ps(t, _mm512_set1_ps(12582912.0f));
    __m512 r = _mm512_add_ps(_mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f))),
                             _mm512_mul_ps(n, _mm512_set1_ps(2.12194440e-4f)));
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(5.0000001201e-1f));
    __m512 y = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(p, r), r), r), _mm512_set1_ps(1.0f));
    __m512i ni = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(0x4B400000));
    __m512i e = _mm512_slli_epi32(_mm512_add_epi32(ni, _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(y, _mm512_castsi512_ps(e));
}

INLINE __mmask16 tail_mask(int r) { return (__mmask16)(r >= 16 ? 0xFFFF : ((1u << r) - 1)); }

// Swift's SIMD16<Float>.sum(): lanes added in order onto -0.
INLINE float lane_sum(__m512 v) {
    float lanes[16];
    _mm512_storeu_ps(lanes, v);
    float s = -0.0f;
    for (int i = 0; i < 16; i++) s += lanes[i];
    return s;
}

// vsum of FastMath.swift: 16 lane sums over whole blocks, ordered lane sum, then the tail in order.
INLINE float vsum(const float *p, int n) {
    __m512 acc = _mm512_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) acc = _mm512_add_ps(acc, _mm512_loadu_ps(p + i));
    float s = lane_sum(acc);
    for (; i < n; i++) s += p[i];
    return s;
}

// vdot of FastMath.swift: 16 lanes of separately rounded products and sums, ordered lane sum, tail in order.
INLINE float vdot(const float *a, const float *b, int n) {
    __m512 acc = _mm512_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i)));
    float s = lane_sum(acc);
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

#endif
