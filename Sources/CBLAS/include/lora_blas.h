// lora_blas.h: the engine's window on BLAS.
//
// OpenBLAS 0.3.21 (Debian 12) does not recognise recent CPUs and silently
// falls back to its slowest kernels unless OPENBLAS_CORETYPE is set before the
// library loads. So the library is not linked: it is dlopen()ed at first use,
// after this shim has chosen a core type for the CPU (SkylakeX on AVX-512,
// Haswell on AVX2) unless the user already set one.
#ifndef LORA_BLAS_H
#define LORA_BLAS_H

// The engine's own AVX-512 kernels, in the same module.
#include "lora_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Loads BLAS once (thread-safe). Returns 0 on success, -1 when no OpenBLAS
/// could be loaded (then lora_sgemm uses a portable C kernel and
/// lora_blas_status() says why).
int lora_blas_load(void);

/// Human-readable status: which library, which core, or why loading failed.
const char *lora_blas_status(void);

/// What openblas_get_corename() reports ("fallback" when not loaded).
const char *lora_blas_corename(void);

/// The OPENBLAS_CORETYPE in force when the library loaded ("" if none).
const char *lora_blas_coretype(void);

/// Number of OpenBLAS's own threads. The engine keeps it at 1 and splits large
/// products over its own threads (see Sources/Tensor/MatMul.swift).
void lora_blas_set_threads(int n);
int lora_blas_get_threads(void);

/// Row-major C = alpha * op(A) * op(B) + beta * C.
/// op(A) is M x K, op(B) is K x N; transA/transB are 0 or 1.
void lora_sgemm(int transA, int transB, int M, int N, int K,
                float alpha, const float *A, int lda,
                const float *B, int ldb,
                float beta, float *C, int ldc);

#ifdef __cplusplus
}
#endif
#endif
