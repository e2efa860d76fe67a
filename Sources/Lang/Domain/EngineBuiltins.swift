import Tensor

/// Settings of the tensor engine: `threads()`.
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
    }
}
