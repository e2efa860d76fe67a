// See include/lora_blas.h for why OpenBLAS is loaded with dlopen.
#define _GNU_SOURCE
#include "lora_blas.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RowMajor = 101, NoTrans = 111, Trans = 112 };

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                         const float *, int, float, float *, int);
typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);
typedef char *(*corename_fn)(void);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sgemm_fn p_sgemm;
static set_threads_fn p_set_threads;
static get_threads_fn p_get_threads;
static corename_fn p_corename;
static char status[512] = "not loaded";
static char coretype[64] = "";
static int fallback_threads = 1;

static const char *core_for_this_cpu(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
    return NULL;
}

static void load(void) {
    const char *preset = getenv("OPENBLAS_CORETYPE");
    if (preset == NULL || preset[0] == '\0') {
        const char *core = core_for_this_cpu();
        if (core) setenv("OPENBLAS_CORETYPE", core, 1);
    }
    const char *now = getenv("OPENBLAS_CORETYPE");
    snprintf(coretype, sizeof coretype, "%s", now ? now : "");

    // The engine runs OpenBLAS single-threaded and parallelises around it (one
    // thread pool, not two): do not let it start worker threads that would
    // spin-wait (sched_yield) beside the engine's loops.
    const char *nt = getenv("OPENBLAS_NUM_THREADS");
    if (nt == NULL || nt[0] == '\0') setenv("OPENBLAS_NUM_THREADS", "1", 1);

    const char *names[] = {"libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0", NULL};
    void *lib = NULL;
    const char *used = NULL;
    for (int i = 0; names[i] && !lib; i++) {
        lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (lib) used = names[i];
    }
    if (!lib) {
        snprintf(status, sizeof status,
                 "OpenBLAS not found (%s); using the slow portable kernel. "
                 "Install it with: apt-get install libopenblas0",
                 dlerror());
        return;
    }
    p_sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
    p_set_threads = (set_threads_fn)dlsym(lib, "openblas_set_num_threads");
    p_get_threads = (get_threads_fn)dlsym(lib, "openblas_get_num_threads");
    p_corename = (corename_fn)dlsym(lib, "openblas_get_corename");
    if (!p_sgemm) {
        snprintf(status, sizeof status, "%s has no cblas_sgemm; using the slow portable kernel", used);
        return;
    }
    if (p_set_threads) p_set_threads(1);
    snprintf(status, sizeof status, "%s, core %s", used, p_corename ? p_corename() : "unknown");
}

int lora_blas_load(void) {
    pthread_once(&once, load);
    return p_sgemm ? 0 : -1;
}

const char *lora_blas_status(void) { lora_blas_load(); return status; }
const char *lora_blas_coretype(void) { lora_blas_load(); return coretype; }

const char *lora_blas_corename(void) {
    lora_blas_load();
    return p_corename ? p_corename() : "fallback";
}

void lora_blas_set_threads(int n) {
    lora_blas_load();
    if (n < 1) n = 1;
    if (p_set_threads) p_set_threads(n); else fallback_threads = n;
}

int lora_blas_get_threads(void) {
    lora_blas_load();
    return p_get_threads ? p_get_threads() : fallback_threads;
}

// Portable kernel, used only when OpenBLAS is missing. i-k-j order so the
// inner loop runs over contiguous memory of B and C.
static void portable_sgemm(int ta, int tb, int M, int N, int K, float alpha,
                           const float *A, int lda, const float *B, int ldb,
                           float beta, float *C, int ldc) {
    for (int i = 0; i < M; i++) {
        float *c = C + (size_t)i * ldc;
        if (beta == 0.0f) memset(c, 0, sizeof(float) * (size_t)N);
        else if (beta != 1.0f) for (int j = 0; j < N; j++) c[j] *= beta;
        for (int k = 0; k < K; k++) {
            float a = alpha * (ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]);
            if (a == 0.0f) continue;
            if (!tb) {
                const float *b = B + (size_t)k * ldb;
                for (int j = 0; j < N; j++) c[j] += a * b[j];
            } else {
                for (int j = 0; j < N; j++) c[j] += a * B[(size_t)j * ldb + k];
            }
        }
    }
}

void lora_sgemm(int transA, int transB, int M, int N, int K,
                float alpha, const float *A, int lda,
                const float *B, int ldb,
                float beta, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(size_t)i * ldc + j];
        return;
    }
    if (lora_blas_load() == 0) {
        p_sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans,
                M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    } else {
        portable_sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    }
}
