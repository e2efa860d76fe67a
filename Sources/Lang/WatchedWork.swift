import Core

/// Long work below the language that is not a forward pass (writing and
/// reading checkpoints, reading, inflating and parsing data sets, resizing,
/// normalizing and augmenting images) reports to the `WorkWatch` installed
/// here for every entry a session runs: a terminal shows its progress once it
/// takes a moment, and Ctrl-C (the context's `CancellationFlag`) stops it at
/// its next report with the usual "interrupted" error, so the statement's
/// variables keep their values and a file being written stays as it was.
enum WatchedWork {
    static func run<T>(_ context: Context, _ body: () throws -> T) throws -> T {
        var shown = false
        let watch = WorkWatch { part, done, total in
            try context.checkCancelled()
            guard !context.quiet, let reporter = context.progress else { return }
            shown = true
            reporter.update(ProgressEvent(label: part, epoch: 1, epochs: 1, step: min(done, max(total, 1)), steps: max(total, 1),
                                          transient: true))
        }
        defer { if shown { context.progress?.finish() } }
        return try WorkWatch.run(watch) { try body() }
    }
}
