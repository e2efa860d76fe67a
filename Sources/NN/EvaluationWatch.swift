import Foundation

/// Watches evaluation work on the calling thread: every forward batch of
/// every member, MC pass or snapshot (`Evaluation.predict`) and every
/// attention pass reports the member-samples it computed, and the watcher
/// may throw to stop the work there (Ctrl-C) or show progress. Without a
/// watcher installed the reports cost nothing.
///
/// Training asks the watcher too (reporting 0) between the member groups of
/// a step, where a front end may bring its cancellation flag up to date.
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

    /// Runs `body` with `check` called after every batch, after the watcher
    /// already installed on this thread (if any), which keeps its reports.
    static func adding<T>(_ check: @escaping (Int) throws -> Void, _ body: () throws -> T) rethrows -> T {
        let outer = Thread.current.threadDictionary[key] as? EvaluationWatch
        return try run(EvaluationWatch { n in
            try outer?.afterBatch(n)
            try check(n)
        }, body)
    }

    /// Reports `memberSamples` computed to this thread's watcher, if any.
    static func batchDone(_ memberSamples: Int) throws {
        guard let w = Thread.current.threadDictionary[key] as? EvaluationWatch else { return }
        try w.afterBatch(memberSamples)
    }
}
