// lora_gemm.c: the engine's own AVX-512 sgemm (see lora_gemm.h).
//
// A register tile of MR = 8 rows by NR = 32 columns of C (16 zmm
// accumulators) runs over a block of up to KC k: per k it loads a row of 32
// values of op(B) and broadcasts 8 values of op(A). Where an operand can be
// read in that order in place it is not copied: op(B) = B (rows of B are
// contiguous), and op(A) = A^T (the 8 values of one k are contiguous in A;
// the weight gradients dW = dY^T X with K = all rows of a batch). op(A) = A is
// read from 8 row pointers (those tiles are small: K is the layer width).
// Only op(B) = B^T is packed, once per block of KC x NC, into 32-column
// panels; the panels are then reused by every row tile (small K: B once per
// call while the rows of A stream past).
//
// Edges: a tile of fewer rows is its own unrolled instance (never reads past
// A), fewer columns use masked loads and stores; lanes are independent, so
// an element's arithmetic is the same in a full tile and an edge tile.
#include "lora_gemm.h"
#include "lora_simd.h"
#include <stdlib.h>

enum { MR = 8, NR = 32, KC = 256, NC = 512 };

// Per-thread scratch for the packed op(B) = B^T (KC x NC floats, 512 KiB,
// allocated at a thread's first such product and kept for the thread's life).
static _Thread_local float *scratch_buf;

static float *scratch(void) {
    if (!scratch_buf) scratch_buf = aligned_alloc(64, sizeof(float) * KC * NC);
    return scratch_buf;
}

// The columns of a tile's two vectors that exist.
INLINE __mmask16 col_mask(int nr, int v) { return tail_mask(nr - 16 * v < 0 ? 0 : nr - 16 * v); }

// One MR' x NR' tile: acc(i, j) = sum over k < kc of a(i, k) b(k, j) (fused, in
// k order), a(i, k) = a[k ask + i asi], b(k, j) = b[k bsk + j]; then
// C = alpha acc + (first ? beta C : C), or with a bias (alpha 1) C = bias + acc
// in the first block (the bits of beta 1 onto rows set to the bias). mr and
// nv (vectors: 1 or 2) are compile-time constants in every instance.
INLINE void tile(const int mr, const int nv, int kc, const float *a, long ask, long asi,
                 const float *b, long bsk, int nr, float alpha, float beta, int first,
                 const float *bias, float *c, long ldc) {
    __m512 acc[MR][2];
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < nv; v++) acc[i][v] = _mm512_setzero_ps();
    const __mmask16 m0 = col_mask(nr, 0), m1 = col_mask(nr, 1);
    for (int k = 0; k < kc; k++) {
        const float *bk = b + k * bsk;
        const float *ak = a + k * ask;
        __m512 b0 = _mm512_maskz_loadu_ps(m0, bk);
        __m512 b1 = nv > 1 ? _mm512_maskz_loadu_ps(m1, bk + 16) : _mm512_setzero_ps();
        for (int i = 0; i < mr; i++) {
            __m512 ai = _mm512_set1_ps(ak[i * asi]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            if (nv > 1) acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int i = 0; i < mr; i++) {
        for (int v = 0; v < nv; v++) {
            const __mmask16 mk = v == 0 ? m0 : m1;
            float *ci = c + i * ldc + 16 * v;
            __m512 r = alpha == 1.0f ? acc[i][v] : _mm512_mul_ps(va, acc[i][v]);
            if (first && bias) r = _mm512_add_ps(_mm512_maskz_loadu_ps(mk, bias + 16 * v), r);
            else if (!first || beta == 1.0f) r = _mm512_add_ps(_mm512_maskz_loadu_ps(mk, ci), r);
            else if (beta != 0.0f) r = _mm512_add_ps(_mm512_mul_ps(vb, _mm512_maskz_loadu_ps(mk, ci)), r);
            _mm512_mask_storeu_ps(ci, mk, r);
        }
    }
}

// The instances: rows 1...8 times one or two vectors, A read along rows
// (asi = lda) or along columns (asi = 1, constant).
#define TILE_ROWS(NV, ASI)                                                                          \
    switch (mr) {                                                                                   \
    case 8: tile(8, NV, kc, a, ask, ASI, b, bsk, nr, alpha, beta, first, bias, c, ldc); break;            \
    case 7: tile(7, NV, kc, a, ask, ASI, b, bsk, nr, alpha, beta, first, bias, c, ldc); break;            \
    case 6: tile(6, NV, kc, a, ask, ASI, b, bsk, nr, alpha, beta, first, bias, c, ldc); break;            \
    case 5: tile(5, NV, kc, a, ask, ASI, b, bsk, nr, alpha, beta, first, bias, c, ldc); break;            \
    case 4: tile(4, NV, kc, a, ask, ASI, b, bsk, nr, alpha, beta, first, bias, c, ldc); break;            \
    case 3: tile(3, NV, kc, a, ask, ASI, b, bsk, nr, alpha, beta, first, bias, c, ldc); break;            \
    case 2: tile(2, NV, kc, a, ask, ASI, b, bsk, nr, alpha, beta, first, bias, c, ldc); break;            \
    default: tile(1, NV, kc, a, ask, ASI, b, bsk, nr, alpha, beta, first, bias, c, ldc); break;           \
    }

static TARGET void tile_any(int transA, int mr, int nr, int kc, const float *a, long ask, long asi,
                            const float *b, long bsk, float alpha, float beta, int first,
                            const float *bias, float *c, long ldc) {
    if (transA) {
        if (nr > 16) { TILE_ROWS(2, 1) } else { TILE_ROWS(1, 1) }
    } else {
        if (nr > 16) { TILE_ROWS(2, asi) } else { TILE_ROWS(1, asi) }
    }
}

// op(B) = B^T rows pc..<pc+kc, columns jc..<jc+nc into 32-column panels
// [panel][k][32], columns past nc zero.
static TARGET void pack_bt(const float *B, long ldb, int pc, int kc, int jc, int nc, float *p) {
    for (int jp = 0; jp < nc; jp += NR) {
        float *panel = p + (long)(jp / NR) * kc * NR;
        int w = nc - jp < NR ? nc - jp : NR;
        for (int jj = 0; jj < w; jj++) {
            const float *src = B + (long)(jc + jp + jj) * ldb + pc;
            for (int k = 0; k < kc; k++) panel[k * NR + jj] = src[k];
        }
        for (int jj = w; jj < NR; jj++)
            for (int k = 0; k < kc; k++) panel[k * NR + jj] = 0.0f;
    }
}

static TARGET int gemm(int transA, int transB, int M, int N, int K,
                       float alpha, const float *A, int lda, const float *B, int ldb,
                       float beta, const float *bias, float *C, int ldc) {
    if (M <= 0 || N <= 0) return 0;
    float *packed = NULL;
    if (transB && K > 0) {
        packed = scratch();
        if (!packed) return -1;
    }
    if (K <= 0) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                C[(long)i * ldc + j] = bias ? bias[j] : beta == 0.0f ? 0.0f : beta * C[(long)i * ldc + j];
        return 0;
    }
    const long ask = transA ? lda : 1, asi = transA ? 1 : lda;
    for (int pc = 0; pc < K; pc += KC) {
        const int kc = K - pc < KC ? K - pc : KC, first = pc == 0;
        for (int jc = 0; jc < N; jc += NC) {
            const int nc = N - jc < NC ? N - jc : NC;
            if (transB) pack_bt(B, ldb, pc, kc, jc, nc, packed);
            for (int ir = 0; ir < M; ir += MR) {
                const int mr = M - ir < MR ? M - ir : MR;
                const float *a = A + ir * asi + pc * ask;
                for (int jr = 0; jr < nc; jr += NR) {
                    const int nr = nc - jr < NR ? nc - jr : NR;
                    const float *b = transB ? packed + (long)(jr / NR) * kc * NR : B + (long)pc * ldb + jc + jr;
                    const long bsk = transB ? NR : ldb;
                    tile_any(transA, mr, nr, kc, a, ask, asi, b, bsk, alpha, beta, first,
                             bias ? bias + jc + jr : NULL, C + (long)ir * ldc + jc + jr, ldc);
                }
            }
        }
    }
    return 0;
}

TARGET int lora_gemm(int transA, int transB, int M, int N, int K,
                     float alpha, const float *A, int lda,
                     const float *B, int ldb,
                     float beta, float *C, int ldc) {
    return gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, NULL, C, ldc);
}

TARGET int lora_gemm_bias(int transA, int transB, int M, int N, int K,
                          const float *A, int lda, const float *B, int ldb,
                          const float *bias, float *C, int ldc) {
    return gemm(transA, transB, M, N, K, 1.0f, A, lda, B, ldb, 1.0f, bias, C, ldc);
}
