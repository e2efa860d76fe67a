// See include/lora_mpi.h for why Open MPI is loaded with dlopen.
#define _GNU_SOURCE
#include "lora_mpi.h"
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Open MPI's handles are pointers to its predefined objects.
typedef void *Comm;
typedef void *Datatype;
typedef void *Op;

enum { THREAD_FUNNELED = 1, SUCCESS = 0 };
#define IN_PLACE ((void *)1)

typedef int (*init_thread_fn)(int *, char ***, int, int *);
typedef int (*comm_int_fn)(Comm, int *);
typedef int (*allreduce_fn)(const void *, void *, int, Datatype, Op, Comm);
typedef int (*allgather_fn)(const void *, int, Datatype, void *, int, Datatype, Comm);
typedef int (*allgatherv_fn)(const void *, int, Datatype, void *, const int *, const int *, Datatype, Comm);
typedef int (*bcast_fn)(void *, int, Datatype, int, Comm);
typedef int (*abort_fn)(Comm, int);
typedef int (*finalize_fn)(void);
typedef int (*error_string_fn)(int, char *, int *);

static struct {
    init_thread_fn init_thread;
    comm_int_fn comm_rank, comm_size;
    allreduce_fn allreduce;
    allgather_fn allgather;
    allgatherv_fn allgatherv;
    bcast_fn bcast;
    abort_fn abort;
    finalize_fn finalize;
    error_string_fn error_string;
    Comm world;
    Datatype float_type, double_type, byte_type, int64_type;
    Op sum;
} mpi;

static int started = 0, rank = 0, size = 1;
static char message[1024] = "MPI not started";

const char *lora_mpi_error(void) { return message; }

int lora_mpi_launched(void) {
    const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", NULL};
    for (int i = 0; vars[i]; i++) {
        const char *v = getenv(vars[i]);
        if (v && v[0]) return 1;
    }
    return 0;
}

static int fail_call(const char *what, int code) {
    char text[512] = "";
    int len = 0;
    if (mpi.error_string) mpi.error_string(code, text, &len);
    snprintf(message, sizeof message, "%s failed (MPI error %d%s%s)", what, code, text[0] ? ": " : "", text);
    return code == 0 ? -1 : code;
}

#define RESOLVE(field, name)                                                                     \
    do {                                                                                         \
        *(void **)(&mpi.field) = dlsym(lib, name);                                               \
        if (!mpi.field) {                                                                        \
            snprintf(message, sizeof message, "%s has no symbol %s; lora needs Open MPI 3 or 4 " \
                     "(Debian: apt-get install openmpi-bin libopenmpi3)", used, name);          \
            return -1;                                                                           \
        }                                                                                        \
    } while (0)

int lora_mpi_start(void) {
    if (started) return 0;
    const char *names[] = {"libmpi.so.40", "libmpi.so", NULL};
    void *lib = NULL;
    const char *used = NULL;
    for (int i = 0; names[i] && !lib; i++) {
        lib = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
        if (lib) used = names[i];
    }
    if (!lib) {
        snprintf(message, sizeof message,
                 "started by mpirun, but Open MPI's library libmpi.so.40 cannot be loaded (%s); "
                 "install it with: apt-get install openmpi-bin libopenmpi3", dlerror());
        return -1;
    }
    RESOLVE(init_thread, "MPI_Init_thread");
    RESOLVE(comm_rank, "MPI_Comm_rank");
    RESOLVE(comm_size, "MPI_Comm_size");
    RESOLVE(allreduce, "MPI_Allreduce");
    RESOLVE(allgather, "MPI_Allgather");
    RESOLVE(allgatherv, "MPI_Allgatherv");
    RESOLVE(bcast, "MPI_Bcast");
    RESOLVE(abort, "MPI_Abort");
    RESOLVE(finalize, "MPI_Finalize");
    RESOLVE(error_string, "MPI_Error_string");
    RESOLVE(world, "ompi_mpi_comm_world");
    RESOLVE(float_type, "ompi_mpi_float");
    RESOLVE(double_type, "ompi_mpi_double");
    RESOLVE(byte_type, "ompi_mpi_byte");
    RESOLVE(int64_type, "ompi_mpi_int64_t");
    RESOLVE(sum, "ompi_mpi_op_sum");
    int provided = 0;
    int rc = mpi.init_thread(NULL, NULL, THREAD_FUNNELED, &provided);
    if (rc != SUCCESS) return fail_call("MPI_Init_thread", rc);
    if ((rc = mpi.comm_rank(mpi.world, &rank)) != SUCCESS) return fail_call("MPI_Comm_rank", rc);
    if ((rc = mpi.comm_size(mpi.world, &size)) != SUCCESS) return fail_call("MPI_Comm_size", rc);
    started = 1;
    snprintf(message, sizeof message, "%s: rank %d of %d (thread level %d)", used, rank, size, provided);
    return 0;
}

int lora_mpi_rank(void) { return rank; }
int lora_mpi_size(void) { return size; }

static int reduce_pieces(void *values, size_t count, size_t width, Datatype type) {
    if (!started) { snprintf(message, sizeof message, "MPI is not started"); return -1; }
    char *p = values;
    while (count > 0) {
        int n = count > (size_t)INT_MAX ? INT_MAX : (int)count;
        int rc = mpi.allreduce(IN_PLACE, p, n, type, mpi.sum, mpi.world);
        if (rc != SUCCESS) return fail_call("MPI_Allreduce", rc);
        p += (size_t)n * width;
        count -= (size_t)n;
    }
    return 0;
}

int lora_mpi_allreduce_float(float *values, size_t count) {
    return reduce_pieces(values, count, sizeof(float), mpi.float_type);
}

int lora_mpi_allreduce_double(double *values, size_t count) {
    return reduce_pieces(values, count, sizeof(double), mpi.double_type);
}

int lora_mpi_allgather_int64(const int64_t *values, int count, int64_t *out) {
    if (!started) { snprintf(message, sizeof message, "MPI is not started"); return -1; }
    int rc = mpi.allgather(values, count, mpi.int64_type, out, count, mpi.int64_type, mpi.world);
    return rc == SUCCESS ? 0 : fail_call("MPI_Allgather", rc);
}

int lora_mpi_allgatherv_bytes(const void *bytes, int count, void *out, const int *counts, const int *displacements) {
    if (!started) { snprintf(message, sizeof message, "MPI is not started"); return -1; }
    int rc = mpi.allgatherv(bytes, count, mpi.byte_type, out, counts, displacements, mpi.byte_type, mpi.world);
    return rc == SUCCESS ? 0 : fail_call("MPI_Allgatherv", rc);
}

int lora_mpi_bcast_bytes(void *bytes, size_t count, int root) {
    if (!started) { snprintf(message, sizeof message, "MPI is not started"); return -1; }
    char *p = bytes;
    while (count > 0) {
        int n = count > (size_t)INT_MAX ? INT_MAX : (int)count;
        int rc = mpi.bcast(p, n, mpi.byte_type, root, mpi.world);
        if (rc != SUCCESS) return fail_call("MPI_Bcast", rc);
        p += n;
        count -= (size_t)n;
    }
    return 0;
}

void lora_mpi_abort(int code) {
    if (started) mpi.abort(mpi.world, code);
    exit(code);
}

int lora_mpi_finish(void) {
    if (!started) return 0;
    started = 0;
    int rc = mpi.finalize();
    return rc == SUCCESS ? 0 : fail_call("MPI_Finalize", rc);
}
