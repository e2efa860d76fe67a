// Attention on short sequences, one (batch, head) slice per call, AVX-512
// (see lora_kernels.h). Reproduces Sources/Tensor/Attention.swift's portable
// path operation for operation: the softmax and its backward with the same
// roundings and summation order (Swift's vsum, vdot, SIMD16.sum()), and the
// products in the order of OpenBLAS's kernels for the shapes where the engine
// calls this (Engine.attentionKernel): each C element ONE chain of fused
// multiply-adds over k in order, then times alpha.
//
// A ViT step runs thousands of products like 50x50x16 per head; through
// cblas_sgemm each pays a call, packing and edge handling. Here: register blocks
// of up to 8 rows x 64 columns, B read in place (or packed once when
// transposed, on the stack), A broadcast.
#include "lora_kernels.h"
#include "lora_simd.h"

// R rows x NV vectors of 16 columns (the last one masked by `last`):
// c[r][j] = alpha * sum_p a(r, p) b(p, j), a(r, p) = a[r * ars + p * acs].
INLINE void block(const int R, const int NV, int k, float alpha,
                  const float *a, ptrdiff_t ars, ptrdiff_t acs,
                  const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc, __mmask16 last) {
    __m512 acc[8][4];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
    for (int p = 0; p < k; p++) {
        const float *bp = b + p * ldb;
        __m512 bv[4];
        for (int v = 0; v < NV; v++)
            bv[v] = (v == NV - 1) ? _mm512_maskz_loadu_ps(last, bp + 16 * v) : _mm512_loadu_ps(bp + 16 * v);
        const float *ap = a + p * acs;
        for (int r = 0; r < R; r++) {
            __m512 av = _mm512_set1_ps(ap[r * ars]);
            for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
    }
    __m512 al = _mm512_set1_ps(alpha);
    for (int r = 0; r < R; r++) {
        float *cr = c + r * ldc;
        for (int v = 0; v < NV; v++) {
            __m512 x = _mm512_mul_ps(acc[r][v], al);
            if (v == NV - 1) _mm512_mask_storeu_ps(cr + 16 * v, last, x);
            else _mm512_storeu_ps(cr + 16 * v, x);
        }
    }
}

// All rows of one panel of nv vectors (nv in 1...4).
INLINE void panel(const int NV, int m, int k, float alpha, const float *a, ptrdiff_t ars, ptrdiff_t acs,
                  const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc, __mmask16 last) {
    int i = 0;
    if (NV <= 2) {
        for (; i + 8 <= m; i += 8) block(8, NV, k, alpha, a + i * ars, ars, acs, b, ldb, c + i * ldc, ldc, last);
    }
    for (; i + 4 <= m; i += 4) block(4, NV, k, alpha, a + i * ars, ars, acs, b, ldb, c + i * ldc, ldc, last);
    for (; i + 2 <= m; i += 2) block(2, NV, k, alpha, a + i * ars, ars, acs, b, ldb, c + i * ldc, ldc, last);
    for (; i < m; i++) block(1, NV, k, alpha, a + i * ars, ars, acs, b, ldb, c + i * ldc, ldc, last);
}

TARGET static void product(int m, int n, int k, float alpha, const float *a, ptrdiff_t ars, ptrdiff_t acs,
                           const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc) {
    for (int j = 0; j < n; j += 64) {
        int w = n - j < 64 ? n - j : 64;
        int nv = (w + 15) / 16;
        int tail = w - 16 * (nv - 1);
        __mmask16 last = (__mmask16)(tail == 16 ? 0xFFFF : ((1u << tail) - 1));
        switch (nv) {
        case 1: panel(1, m, k, alpha, a, ars, acs, b + j, ldb, c + j, ldc, last); break;
        case 2: panel(2, m, k, alpha, a, ars, acs, b + j, ldb, c + j, ldc, last); break;
        case 3: panel(3, m, k, alpha, a, ars, acs, b + j, ldb, c + j, ldc, last); break;
        default: panel(4, m, k, alpha, a, ars, acs, b + j, ldb, c + j, ldc, last); break;
        }
    }
}


enum { PACK_MAX = LORA_ATTENTION_PACK_MAX };

// C (m x n, ldc) = alpha * op(A) op(B), op(B) given transposed as B [n x k] when tb.
TARGET static void small_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                              const float *b, int ldb, float *c, int ldc, float *pack) {
    ptrdiff_t ars = ta ? 1 : lda, acs = ta ? lda : 1;
    if (tb) {
        for (int p = 0; p < k; p++) {
            float *pp = pack + (ptrdiff_t)p * n;
            const float *bp = b + p;
            for (int j = 0; j < n; j++) pp[j] = bp[(ptrdiff_t)j * ldb];
        }
        product(m, n, k, alpha, a, ars, acs, pack, n, c, ldc);
    } else {
        product(m, n, k, alpha, a, ars, acs, b, ldb, c, ldc);
    }
}

// softmaxRow of Softmax.swift on one row of n (in place): max, exp, vsum's order, scale.
INLINE void softmax_row(float *row, int n) {
    // max (order-free)
    __m512 mv = _mm512_set1_ps(-__builtin_inff());
    for (int j = 0; j < n; j += 16) {
        __mmask16 mk = tail_mask(n - j);
        mv = _mm512_mask_max_ps(mv, mk, _mm512_maskz_loadu_ps(mk, row + j), mv);
    }
    __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(mv));
    for (int j = 0; j < n; j += 16) {
        __mmask16 mk = tail_mask(n - j);
        __m512 e = fast_exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(mk, row + j), m));
        _mm512_mask_storeu_ps(row + j, mk, e);
    }
    float s = vsum(row, n);
    __m512 inv = _mm512_set1_ps(1.0f / s);
    for (int jj = 0; jj < n; jj += 16) {
        __mmask16 mk = tail_mask(n - jj);
        _mm512_mask_storeu_ps(row + jj, mk, _mm512_mul_ps(_mm512_maskz_loadu_ps(mk, row + jj), inv));
    }
}

TARGET void lora_attention_forward(int tq, int tk, int nk, int dh, int dv, float scale,
                                   const float *q, int ldq, const float *k, int ldk, const float *v, int ldv,
                                   float *p, float *o, int ldo) {
    float pack[PACK_MAX];
    small_gemm(0, 1, tq, tk, dh, scale, q, ldq, k, ldk, p, tk, pack);
    for (int i = 0; i < tq; i++) {
        float *row = p + (ptrdiff_t)i * tk;
        for (int j = nk; j < tk; j++) row[j] = 0;
        softmax_row(row, nk);
    }
    small_gemm(0, 0, tq, dv, tk, 1.0f, p, tk, v, ldv, o, ldo, pack);
}

TARGET void lora_attention_backward(int tq, int tk, int dh, int dv, float scale,
                                    const float *q, int ldq, const float *k, int ldk, const float *v, int ldv,
                                    const float *p, const float *dout, int ldo,
                                    float *gq, int ldgq, float *gk, int ldgk, float *gv, int ldgv, float *dps) {
    float pack[PACK_MAX];
    if (gv) small_gemm(1, 0, tk, dv, tq, 1.0f, p, tk, dout, ldo, gv, ldgv, pack);
    if (!gq && !gk) return;
    small_gemm(0, 1, tq, tk, dv, 1.0f, dout, ldo, v, ldv, dps, tk, pack);
    __m512 sc = _mm512_set1_ps(scale);
    for (int i = 0; i < tq; i++) {
        const float *pr = p + (ptrdiff_t)i * tk;
        float *dr = dps + (ptrdiff_t)i * tk;
        float s = vdot(pr, dr, tk);
        __m512 sv = _mm512_set1_ps(s);
        for (int jj = 0; jj < tk; jj += 16) {
            __mmask16 mk = tail_mask(tk - jj);
            __m512 x = _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(mk, pr + jj),
                                                   _mm512_sub_ps(_mm512_maskz_loadu_ps(mk, dr + jj), sv)), sc);
            _mm512_mask_storeu_ps(dr + jj, mk, x);
        }
    }
    if (gq) small_gemm(0, 0, tq, dh, tk, 1.0f, dps, tk, k, ldk, gq, ldgq, pack);
    if (gk) small_gemm(1, 0, tk, dh, tq, 1.0f, dps, tk, q, ldq, gk, ldgk, pack);
}

