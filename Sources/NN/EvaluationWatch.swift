import Foundation

/// Watches evaluation work on the calling thread: every forward batch of
/// every member, MC pass or snapshot (`Evaluation.predict`) and every
/// attention pass reports the member-samples it computed, and the watcher
/// may throw to stop the work there (Ctrl-C) or show progress. Without a
/// watcher installed the reports cost nothing.
///
/// Per thread, so a watcher installed by a front end never sees (or stops)
/// work on other threads.
public final class EvaluationWatch {
    /// Called with the member-samples done since the last call; throwing stops the work.
    let afterBatch: (Int) throws -> Void

    public init(_ afterBatch: @escaping (_ memberSamples: Int) throws -> Void) {
        self.afterBatch = afterBatch
    }

    private static let key = "lora.EvaluationWatch"

    /// Runs `body` with `watch` installed on this thread (restoring the previous one after).
    public static func run<T>(_ watch: EvaluationWatch, _ body: () throws -> T) rethrows -> T {
        let dict = Thread.current.threadDictionary
        let saved = dict[key]
        dict[key] = watch
        defer { dict[key] = saved }
        return try body()
    }

    /// Reports `memberSamples` computed to this thread's watcher, if any.
    static func batchDone(_ memberSamples: Int) throws {
        guard let w = Thread.current.threadDictionary[key] as? EvaluationWatch else { return }
        try w.afterBatch(memberSamples)
    }
}
