import Cluster
import Tensor

/// Settings of the tensor engine: `threads()`; the ranks of an MPI run: `mpi_rank()`, `mpi_size()`.
enum EngineBuiltins {
    static func install(_ t: BuiltinTable) {
        t.register(Help("threads", [.positional("count", "worker threads for the tensor engine, 1...1024", .optional)],
                        summary: "The tensor engine's worker threads: threads() reports them (set by --threads, default the cores), threads(n) sets them.",
                        example: "threads()\nthreads(1)", returns: "the thread count (an Int)")) { args, ctx in
            if args.has("count") {
                let n = try args.int("count")
                guard n >= 1, n <= 1024 else {
                    throw args.error("count", "threads must be between 1 and 1024, got \(n)", remedy: "try threads(2)")
                }
                Engine.threads = n
                ctx.threads = n
            }
            return .int(Engine.threads)
        }
        t.register(Help("mpi_rank", [],
                        summary: "This process's rank in an MPI run (mpirun -np N lora FILE.lora): 0 ..< mpi_size(); 0 in one process. Every rank runs the whole script; only rank 0 prints and writes files.",
                        example: "mpi_rank()", returns: "an Int")) { _, _ in
            .int(Cluster.world.rank)
        }
        t.register(Help("mpi_size", [],
                        summary: "How many ranks run this script (mpirun -np N): 1 in one process. fit(..., parallel:) chooses how they share training.",
                        example: "mpi_size()", returns: "an Int")) { _, _ in
            .int(Cluster.world.size)
        }
        t.register(Help("mpi_bytes", [],
                        summary: "Bytes this rank has handed to MPI collectives so far (payload and headers; 0 in one process): the difference over a fit divided by its steps is the traffic per step.",
                        example: "let b = mpi_bytes()\nens.fit(train, epochs: 1)\n(mpi_bytes() - b) / 45", returns: "an Int")) { _, _ in
            .int(Cluster.world.traffic.bytes)
        }
    }
}
