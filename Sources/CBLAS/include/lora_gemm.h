// lora_gemm.h: the engine's own single-precision matrix product, AVX-512,
// for the shapes a transformer step runs (small K, or large K with small M
// and N); OpenBLAS (lora_blas.h) does the rest. Sources/Tensor/MatMul.swift
// chooses between them per product.
#ifndef LORA_GEMM_H
#define LORA_GEMM_H

#ifdef __cplusplus
extern "C" {
#endif

/// Row-major C (M x N, leading dim ldc) = alpha * op(A) * op(B) + beta * C,
/// op(A) M x K, op(B) K x N, transA/transB 0 or 1, as cblas_sgemm. beta 0
/// never reads C. Call only when lora_kernels_available().
///
/// Every element of C is summed the same way wherever it lies in C and
/// however C is cut into blocks of rows or columns by the caller: products
/// in k order with one fused multiply-add each, restarted from 0 every 256 k
/// (blocks fixed by K alone), each block's sum times alpha added onto C (the
/// first block onto beta * C). Returns 0, or -1 when it could not allocate
/// its scratch (then C is untouched and the caller must use another gemm).
int lora_gemm(int transA, int transB, int M, int N, int K,
              float alpha, const float *A, int lda,
              const float *B, int ldb,
              float beta, float *C, int ldc);

/// C = op(A) * op(B) + bias, the bias (N values) added onto every row: the
/// same bits as lora_gemm with alpha 1 and beta 1 onto rows set to the bias,
/// without that pass over C. Returns as lora_gemm.
int lora_gemm_bias(int transA, int transB, int M, int N, int K,
                   const float *A, int lda, const float *B, int ldb,
                   const float *bias, float *C, int ldc);

#ifdef __cplusplus
}
#endif
#endif
