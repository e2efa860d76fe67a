// Open MPI, loaded at run time.
//
// lora is built and tested without MPI. When a process was started by Open
// MPI's mpirun (OMPI_COMM_WORLD_SIZE or PMIX_RANK in the environment),
// lora_mpi_start dlopens libmpi.so.40 (Open MPI 3.x/4.x, Debian's
// libopenmpi3) with RTLD_GLOBAL (Open MPI's own plugins resolve symbols from
// it), resolves the few functions lora calls and Open MPI's predefined handles
// (ompi_mpi_comm_world, ompi_mpi_float, ompi_mpi_op_sum, ...: in Open MPI's ABI
// MPI_COMM_WORLD is &ompi_mpi_comm_world, and so on), and calls
// MPI_Init_thread(MPI_THREAD_FUNNELED): only the main thread talks to MPI.
//
// Every call returns 0 on success, else an error code with a message in
// lora_mpi_error(). Counts are element counts; buffers larger than INT_MAX
// elements are sent in pieces.
#ifndef LORA_MPI_H
#define LORA_MPI_H

#include <stddef.h>
#include <stdint.h>

/// 1 when the environment says an MPI launcher started this process.
int lora_mpi_launched(void);

/// Loads Open MPI and initialises it. 0 on success.
int lora_mpi_start(void);

/// Rank and size of MPI_COMM_WORLD (after a successful start).
int lora_mpi_rank(void);
int lora_mpi_size(void);

/// In-place sums over every rank.
int lora_mpi_allreduce_float(float *values, size_t count);
int lora_mpi_allreduce_double(double *values, size_t count);

/// Every rank's `count` int64 values, rank-major, into `out` (size * count).
int lora_mpi_allgather_int64(const int64_t *values, int count, int64_t *out);

/// Every rank's bytes, concatenated in rank order into `out`; counts[r] bytes
/// from rank r (counts known beforehand, e.g. from lora_mpi_allgather_int64).
int lora_mpi_allgatherv_bytes(const void *bytes, int count, void *out, const int *counts, const int *displacements);

/// Broadcasts `count` bytes from `root`.
int lora_mpi_bcast_bytes(void *bytes, size_t count, int root);

/// Ends every rank with `code` (MPI_Abort on MPI_COMM_WORLD).
void lora_mpi_abort(int code);

/// MPI_Finalize. 0 on success.
int lora_mpi_finish(void);

/// The last error (or how MPI was loaded).
const char *lora_mpi_error(void);

#endif
