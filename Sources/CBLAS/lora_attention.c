// Attention on short sequences, one (batch, head) slice per call, AVX-512
// (see lora_kernels.h). The softmax and its backward follow
// Sources/Tensor/Attention.swift's portable path operation for operation (the
// same roundings and summation order: Swift's vsum, vdot, SIMD16.sum()); every
// product element is ONE chain of fused multiply-adds over k in order, then
// times alpha. That is OpenBLAS's order (0.3.21, SkylakeX) for the shapes of
// Engine.attentionKernelMatchesBLAS, so there the numbers equal the portable
// path's bit for bit; at other head widths (MiniLM's 32) they differ from
// OpenBLAS's by rounding only.
//
// A ViT step runs thousands of products like 50x50x16 per head; through
// cblas_sgemm each pays a call, packing and edge handling. Here: up to 128
// keys, a block of query rows keeps its scores in registers from q k^T through
// the softmax (and dO V^T through dS in the backward), and the rows' P V (dS K)
// follows while they are in cache; one pass writes P (dS). The products: register blocks
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

// Lanes start..start+15 of a row of n: all, some or none.
INLINE __mmask16 lanes_below(int n, int start) {
    int r = n - start;
    return (__mmask16)(r >= 16 ? 0xFFFF : (r <= 0 ? 0 : ((1u << r) - 1)));
}

// 16 x 16 transpose in registers: r[i] lane j becomes r[j] lane i.
INLINE void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xDD);
        t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xDD);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
        r[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
        r[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xDD);
    }
}

// B^T packed for the fused row blocks: pack[p * 16 nv + j] = b[j * ldb + p] for j < n, 0 up to 16 nv.
// Blocks of 16 x 16 transposed in registers.
TARGET static void pack_transposed(int n, int k, int nv, const float *b, int ldb, float *pack) {
    int w = 16 * nv;
    for (int j0 = 0; j0 < w; j0 += 16) {
        for (int p0 = 0; p0 < k; p0 += 16) {
            __mmask16 cols = lanes_below(k, p0);
            __m512 r[16];
            for (int i = 0; i < 16; i++)
                r[i] = j0 + i < n ? _mm512_maskz_loadu_ps(cols, b + (ptrdiff_t)(j0 + i) * ldb + p0) : _mm512_setzero_ps();
            transpose16(r);
            int pe = k - p0 < 16 ? k - p0 : 16;
            for (int i = 0; i < pe; i++) _mm512_storeu_ps(pack + (ptrdiff_t)(p0 + i) * w + j0, r[i]);
        }
    }
}

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

// vsum's order over lanes: the whole blocks of 16 added lane-wise in order, the
// ordered lane sum, then the tail lanes of block `whole` in order. x[v] holds
// the row's lanes 16 v ... 16 v + 15 (those from n on are ignored).
INLINE float row_sum(const int NV, const __m512 *x, int n) {
    int whole = n / 16, tail = n - 16 * whole;
    __m512 acc = _mm512_setzero_ps();
    for (int v = 0; v < NV; v++)
        if (v < whole) acc = _mm512_add_ps(acc, x[v]);
    float s = lane_sum(acc);
    if (tail > 0) {
        float lanes[16];
        __m512 t = x[0];
        for (int v = 1; v < NV; v++)
            if (v == whole) t = x[v];
        _mm512_storeu_ps(lanes, t);
        for (int l = 0; l < tail; l++) s += lanes[l];
    }
    return s;
}

// R rows of S = scale * Q K^T held in registers (keys in NV vectors of the
// packed kt, stride 16 NV), then softmax_row's operations on the first nk keys
// of each row, written to p (row-major, tk per row; keys from nk on get 0).
// The same operations in the same order as small_gemm + softmax_row, without
// the passes over memory between them.
INLINE void softmax_block(const int R, const int NV, int dh, float scale, const float *q, ptrdiff_t ldq,
                          const float *kt, int tk, int nk, float *p) {
    __m512 acc[8][8];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
    for (int c = 0; c < dh; c++) {
        const float *bp = kt + (ptrdiff_t)c * 16 * NV;
        __m512 av[8];
        for (int r = 0; r < R; r++) av[r] = _mm512_set1_ps(q[r * ldq + c]);
        for (int v = 0; v < NV; v++) {
            __m512 bv = _mm512_loadu_ps(bp + 16 * v);
            for (int r = 0; r < R; r++) acc[r][v] = _mm512_fmadd_ps(av[r], bv, acc[r][v]);
        }
    }
    __m512 sc = _mm512_set1_ps(scale);
    for (int r = 0; r < R; r++) {
        __m512 *x = acc[r];
        __m512 mv = _mm512_set1_ps(-__builtin_inff());
        for (int v = 0; v < NV; v++) {
            x[v] = _mm512_mul_ps(x[v], sc);
            __mmask16 mk = lanes_below(nk, 16 * v);
            mv = _mm512_mask_max_ps(mv, mk, _mm512_maskz_mov_ps(mk, x[v]), mv);
        }
        __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(mv));
        for (int v = 0; v < NV; v++)
            x[v] = _mm512_maskz_mov_ps(lanes_below(nk, 16 * v), fast_exp16(_mm512_sub_ps(_mm512_maskz_mov_ps(lanes_below(nk, 16 * v), x[v]), m)));
        __m512 inv = _mm512_set1_ps(1.0f / row_sum(NV, x, nk));
        float *pr = p + (ptrdiff_t)r * tk;
        for (int v = 0; v < NV; v++)
            _mm512_mask_storeu_ps(pr + 16 * v, lanes_below(tk, 16 * v), _mm512_mul_ps(x[v], inv));
    }
}

// R rows of dP = dO V^T in registers (V^T packed in vt, stride 16 NV), then
// dS = P * (dP - vdot(P, dP)) * scale written to ds (tk per row): the
// operations of small_gemm + the portable row loop, in their order.
INLINE void softmax_grad_block(const int R, const int NV, int dv, float scale, const float *dout, ptrdiff_t ldo,
                               const float *vt, int tk, const float *p, float *ds) {
    __m512 acc[8][8];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
    for (int c = 0; c < dv; c++) {
        const float *bp = vt + (ptrdiff_t)c * 16 * NV;
        __m512 av[8];
        for (int r = 0; r < R; r++) av[r] = _mm512_set1_ps(dout[r * ldo + c]);
        for (int v = 0; v < NV; v++) {
            __m512 bv = _mm512_loadu_ps(bp + 16 * v);
            for (int r = 0; r < R; r++) acc[r][v] = _mm512_fmadd_ps(av[r], bv, acc[r][v]);
        }
    }
    __m512 sc = _mm512_set1_ps(scale);
    int whole = tk / 16, tail = tk - 16 * whole;
    for (int r = 0; r < R; r++) {
        const float *pr = p + (ptrdiff_t)r * tk;
        // vdot(P row, dP row, tk): separately rounded products, lane sums, ordered lane sum, tail in order.
        // (P is read from cache twice rather than held: the accumulators fill the registers.)
        __m512 dot = _mm512_setzero_ps();
        for (int v = 0; v < NV; v++)
            if (v < whole) dot = _mm512_add_ps(dot, _mm512_mul_ps(_mm512_loadu_ps(pr + 16 * v), acc[r][v]));
        float s = lane_sum(dot);
        if (tail > 0) {
            float lanes[16];
            __m512 t = _mm512_setzero_ps();
            for (int v = 0; v < NV; v++)
                if (v == whole) t = _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes_below(tk, 16 * v), pr + 16 * v), acc[r][v]);
            _mm512_storeu_ps(lanes, t);
            for (int l = 0; l < tail; l++) s += lanes[l];
        }
        __m512 sv = _mm512_set1_ps(s);
        float *dr = ds + (ptrdiff_t)r * tk;
        for (int v = 0; v < NV; v++) {
            __mmask16 mk = lanes_below(tk, 16 * v);
            _mm512_mask_storeu_ps(dr + 16 * v, mk,
                                  _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(mk, pr + 16 * v), _mm512_sub_ps(acc[r][v], sv)), sc));
        }
    }
}

// Rows R per register block of the fused kernels for NV vectors of keys: R NV
// accumulators, R broadcasts and one vector of keys in the 32 registers.
#define FUSED_ROWS(NV) ((NV) <= 2 ? 8 : (NV) == 3 ? 7 : (NV) == 4 ? 6 : (NV) <= 6 ? 4 : 3)

// Rows i0 ..< i0 + g of the forward: P by register blocks, then O = P V for those rows while P is in cache.
INLINE void forward_rows(const int NV, int i0, int g, int tk, int nk, int dh, int dv, float scale,
                         const float *q, int ldq, const float *kt, const float *v, int ldv, float *p, float *o, int ldo) {
    const int R = FUSED_ROWS(NV);
    int i = i0, end = i0 + g;
    for (; i + R <= end; i += R)
        softmax_block(R, NV, dh, scale, q + (ptrdiff_t)i * ldq, ldq, kt, tk, nk, p + (ptrdiff_t)i * tk);
    for (; i < end; i++)
        softmax_block(1, NV, dh, scale, q + (ptrdiff_t)i * ldq, ldq, kt, tk, nk, p + (ptrdiff_t)i * tk);
    product(g, dv, tk, 1.0f, p + (ptrdiff_t)i0 * tk, tk, 1, v, ldv, o + (ptrdiff_t)i0 * ldo, ldo);
}

INLINE void forward_fused(const int NV, int tq, int tk, int nk, int dh, int dv, float scale,
                          const float *q, int ldq, const float *kt, const float *v, int ldv, float *p, float *o, int ldo) {
    const int R = FUSED_ROWS(NV), G = R * ((16 + R - 1) / R);
    for (int i0 = 0; i0 < tq; i0 += G)
        forward_rows(NV, i0, tq - i0 < G ? tq - i0 : G, tk, nk, dh, dv, scale, q, ldq, kt, v, ldv, p, o, ldo);
}

// Rows i0 ..< i0 + g of the backward's dS by register blocks, then dQ = dS K for those rows.
INLINE void backward_rows(const int NV, int i0, int g, int tk, int dh, int dv, float scale,
                          const float *k, int ldk, const float *vt, const float *p, const float *dout, int ldo,
                          float *gq, int ldgq, float *dps) {
    const int R = FUSED_ROWS(NV);
    int i = i0, end = i0 + g;
    for (; i + R <= end; i += R)
        softmax_grad_block(R, NV, dv, scale, dout + (ptrdiff_t)i * ldo, ldo, vt, tk, p + (ptrdiff_t)i * tk, dps + (ptrdiff_t)i * tk);
    for (; i < end; i++)
        softmax_grad_block(1, NV, dv, scale, dout + (ptrdiff_t)i * ldo, ldo, vt, tk, p + (ptrdiff_t)i * tk, dps + (ptrdiff_t)i * tk);
    if (gq) product(g, dh, tk, 1.0f, dps + (ptrdiff_t)i0 * tk, tk, 1, k, ldk, gq + (ptrdiff_t)i0 * ldgq, ldgq);
}

INLINE void backward_fused(const int NV, int tq, int tk, int dh, int dv, float scale,
                           const float *k, int ldk, const float *vt, const float *p, const float *dout, int ldo,
                           float *gq, int ldgq, float *dps) {
    const int R = FUSED_ROWS(NV), G = R * ((16 + R - 1) / R);
    for (int i0 = 0; i0 < tq; i0 += G)
        backward_rows(NV, i0, tq - i0 < G ? tq - i0 : G, tk, dh, dv, scale, k, ldk, vt, p, dout, ldo, gq, ldgq, dps);
}

TARGET void lora_attention_forward(int tq, int tk, int nk, int dh, int dv, float scale,
                                   const float *q, int ldq, const float *k, int ldk, const float *v, int ldv,
                                   float *p, float *o, int ldo) {
    float pack[PACK_MAX];
    int nv = (tk + 15) / 16;
    if (nv <= LORA_ATTENTION_FUSED_VECTORS && dh * 16 * nv <= PACK_MAX) {
        pack_transposed(tk, dh, nv, k, ldk, pack);
        switch (nv) {
        case 1: forward_fused(1, tq, tk, nk, dh, dv, scale, q, ldq, pack, v, ldv, p, o, ldo); break;
        case 2: forward_fused(2, tq, tk, nk, dh, dv, scale, q, ldq, pack, v, ldv, p, o, ldo); break;
        case 3: forward_fused(3, tq, tk, nk, dh, dv, scale, q, ldq, pack, v, ldv, p, o, ldo); break;
        case 4: forward_fused(4, tq, tk, nk, dh, dv, scale, q, ldq, pack, v, ldv, p, o, ldo); break;
        case 5: forward_fused(5, tq, tk, nk, dh, dv, scale, q, ldq, pack, v, ldv, p, o, ldo); break;
        case 6: forward_fused(6, tq, tk, nk, dh, dv, scale, q, ldq, pack, v, ldv, p, o, ldo); break;
        case 7: forward_fused(7, tq, tk, nk, dh, dv, scale, q, ldq, pack, v, ldv, p, o, ldo); break;
        default: forward_fused(8, tq, tk, nk, dh, dv, scale, q, ldq, pack, v, ldv, p, o, ldo); break;
        }
        return;
    }
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
    int nv = (tk + 15) / 16;
    if (nv <= LORA_ATTENTION_FUSED_VECTORS && dv * 16 * nv <= PACK_MAX) {
        pack_transposed(tk, dv, nv, v, ldv, pack);
        switch (nv) {
        case 1: backward_fused(1, tq, tk, dh, dv, scale, k, ldk, pack, p, dout, ldo, gq, ldgq, dps); break;
        case 2: backward_fused(2, tq, tk, dh, dv, scale, k, ldk, pack, p, dout, ldo, gq, ldgq, dps); break;
        case 3: backward_fused(3, tq, tk, dh, dv, scale, k, ldk, pack, p, dout, ldo, gq, ldgq, dps); break;
        case 4: backward_fused(4, tq, tk, dh, dv, scale, k, ldk, pack, p, dout, ldo, gq, ldgq, dps); break;
        case 5: backward_fused(5, tq, tk, dh, dv, scale, k, ldk, pack, p, dout, ldo, gq, ldgq, dps); break;
        case 6: backward_fused(6, tq, tk, dh, dv, scale, k, ldk, pack, p, dout, ldo, gq, ldgq, dps); break;
        case 7: backward_fused(7, tq, tk, dh, dv, scale, k, ldk, pack, p, dout, ldo, gq, ldgq, dps); break;
        default: backward_fused(8, tq, tk, dh, dv, scale, k, ldk, pack, p, dout, ldo, gq, ldgq, dps); break;
        }
    } else {
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
    }
    if (gk) small_gemm(1, 0, tk, dh, tq, 1.0f, dps, tk, q, ldq, gk, ldgk, pack);
}
