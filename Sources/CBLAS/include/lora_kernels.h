// lora_kernels.h: AVX-512 kernels for a transformer step's hot paths, each
// bit for bit equal to the portable Swift code it replaces (see
// Sources/Tensor/Kernels.swift, which chooses between them).
#ifndef LORA_KERNELS_H
#define LORA_KERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU runs the kernels below (AVX-512F), else 0 (never call them then).
int lora_kernels_available(void);

/// Largest tk * max(dh, dv) the attention kernels take, tk rounded up to a
/// multiple of 16 (a transposed operand is packed on the stack).
#define LORA_ATTENTION_PACK_MAX 16384

/// Up to this many vectors of 16 keys (tk <= 128), a block of rows of scores
/// stays in registers from the product through the softmax (and dP through dS).
#define LORA_ATTENTION_FUSED_VECTORS 8

/// One (batch, head) slice of attention without DropKey: P (tq x tk, row-major)
/// = softmax over the first nk keys of scale * Q K^T (keys from nk on get 0);
/// O (tq x dv, leading dim ldo) = P V. Q is tq x dh, K tk x dh, V tk x dv.
void lora_attention_forward(int tq, int tk, int nk, int dh, int dv, float scale,
                            const float *q, int ldq, const float *k, int ldk, const float *v, int ldv,
                            float *p, float *o, int ldo);

/// Its backward from dO (tq x dv): dV = P^T dO; dS = P * (dO V^T - rowsum) * scale
/// (in the scratch dps, tq x tk); dQ = dS K; dK = dS^T Q. Gradients are SET
/// (not added); a NULL gradient is skipped.
void lora_attention_backward(int tq, int tk, int dh, int dv, float scale,
                             const float *q, int ldq, const float *k, int ldk, const float *v, int ldv,
                             const float *p, const float *dout, int ldo,
                             float *gq, int ldgq, float *gk, int ldgk, float *gv, int ldgv, float *dps);

/// Exact GELU: y = x * cdf, cdf = 0.5 * (1 + erf(x / sqrt 2)) (stored when cdf is not NULL).
void lora_gelu_forward(long n, const float *x, float *y, float *cdf);

/// g (= or +=) d * (cdf + x * exp(-x^2 / 2) / sqrt(2 pi)).
void lora_gelu_backward(long n, const float *d, const float *x, const float *cdf, float *g, int accumulate);

/// Layer normalisation of `rows` rows of d: y = (x - mean) * rstd * gamma + beta,
/// keeping each row's mean and rstd = 1 / sqrt(var + eps); invD = 1 / d.
void lora_layernorm_forward(long rows, int d, const float *x, const float *gamma, const float *beta,
                            float eps, float invD, float *y, float *mean, float *rstd);

/// Its backward: dgamma and dbeta (when not NULL) ADD these rows' terms; dx
/// (when not NULL) is SET. scratch holds 2 d floats.
void lora_layernorm_backward(long rows, int d, const float *dy, const float *x, const float *gamma,
                             const float *mean, const float *rstd, float invD,
                             float *dgamma, float *dbeta, float *dx, float *scratch);

#ifdef __cplusplus
}
#endif
#endif
