import Foundation

/// Long work below the front ends that is neither training nor a forward pass
/// (writing a checkpoint, reading and inflating a data set, converting its
/// pixels, resizing or normalizing images, tokenizing texts) tells the watch
/// installed on its thread how far it got, every few megabytes or a few
/// hundred samples. The front end's watch shows progress and throws at Ctrl-C
/// (its `CancellationFlag`), which stops the work right there: the work
/// leaves nothing half done behind (a file being written keeps its old
/// contents, a variable being assigned its old value). Without a watch the
/// reports cost one lookup and do nothing.
///
/// Per thread, so a watch a front end installs never sees (or stops) work on
/// other threads. Forward passes report to `NN`'s `EvaluationWatch`, in
/// member-samples; this one counts in the work's own units (bytes, samples).
public final class WorkWatch {
    /// Called with what is being done ("writing m.safetensors"), the units
    /// done and the units in all; throwing stops the work there.
    let report: (_ part: String, _ done: Int, _ total: Int) throws -> Void

    public init(_ report: @escaping (_ part: String, _ done: Int, _ total: Int) throws -> Void) {
        self.report = report
    }

    private static let key = "lora.WorkWatch"

    /// Runs `body` with `watch` installed on this thread (restoring the previous one after).
    public static func run<T>(_ watch: WorkWatch, _ body: () throws -> T) rethrows -> T {
        let dict = Thread.current.threadDictionary
        let saved = dict[key]
        dict[key] = watch
        defer { dict[key] = saved }
        return try body()
    }

    /// Tells this thread's watch, if any, that `done` of `total` units of
    /// `part` are done; rethrows what the watch throws (Ctrl-C).
    public static func report(_ part: String, done: Int, of total: Int) throws {
        guard let w = Thread.current.threadDictionary[key] as? WorkWatch else { return }
        try w.report(part, done, total)
    }

    /// Whether a watch is installed on this thread (work may then report more often).
    public static var isWatching: Bool { Thread.current.threadDictionary[key] is WorkWatch }
}
