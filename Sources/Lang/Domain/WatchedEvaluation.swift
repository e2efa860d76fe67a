import Core
import NN

/// Model work that runs forward passes (prediction, evaluation, attention,
/// calibration): Ctrl-C is looked at after every forward batch of every
/// member or MC pass, and a terminal shows progress once it takes a moment.
/// Stopping throws the usual "interrupted" error; variables keep their values.
enum WatchedEvaluation {
    /// Runs `body` watched; `memberSamples` is the work it will do (members x samples).
    static func run<T>(_ model: ModelValue, _ context: Context?, what: String, memberSamples total: Int,
                       _ body: () throws -> T) throws -> T {
        guard let context else { return try body() }
        try context.checkCancelled()
        let reporter = context.quiet ? nil : context.progress
        var done = 0
        let watch = EvaluationWatch { n in
            try context.checkCancelled()
            done += n
            reporter?.update(ProgressEvent(label: "\(what) \(model.displayName)", epoch: 1, epochs: 1,
                                            step: min(done, max(total, 1)), steps: max(total, 1), transient: true))
        }
        defer { reporter?.finish() }
        return try EvaluationWatch.run(watch) { try body() }
    }
}
