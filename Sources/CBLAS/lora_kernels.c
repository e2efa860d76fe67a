// lora_kernels.c: whether the AVX-512 kernels can run (see lora_kernels.h).
#include "lora_kernels.h"

static int avx512_state = -1;  // -1 unknown, 0 no, 1 yes

int lora_kernels_available(void) {
    int s = __atomic_load_n(&avx512_state, __ATOMIC_RELAXED);
    if (s < 0) {
        __builtin_cpu_init();
        s = __builtin_cpu_supports("avx512f") ? 1 : 0;
        __atomic_store_n(&avx512_state, s, __ATOMIC_RELAXED);
    }
    return s;
}

