import Core
import Foundation

/// Progress for a front end that redraws one display in place (Jupyter's
/// `update_display_data`) instead of appending lines: the display holds one
/// plain line per finished epoch (the lines a notebook keeps, see
/// `ProgressPrinter`) and, while the work runs, the current step's line with
/// a bar under them. When the work ends the finished epochs' lines stay (the
/// last step's line, if no epoch finished).
///
/// Redraws are throttled to one per `interval` seconds; the first update and
/// the end are always shown. While the work runs, only the last `shownEpochs`
/// finished epochs are drawn (a line counts the earlier ones), so a long run
/// does not resend thousands of lines; the end shows them all. Transient progress (evaluation, prediction) is
/// not shown, as in notebooks: it would leave an empty display behind.
public final class ProgressDisplay: ProgressReporter {
    /// Receives the display's whole text each time it changes; `final` at the end of the work.
    private let show: (_ text: String, _ final: Bool) -> Void
    private let interval: Double
    private let columns: Int
    private let now: () -> Double
    private let shownEpochs: Int
    private var finished: [String] = []
    private var current: String?
    private var lastEpochFinished = -1
    private var lastShown: Double?

    public init(interval: Double = 0.2, columns: Int = 80, shownEpochs: Int = 30,
                now: @escaping () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 },
                show: @escaping (_ text: String, _ final: Bool) -> Void) {
        self.interval = interval
        self.columns = columns
        self.now = now
        self.shownEpochs = max(1, shownEpochs)
        self.show = show
    }

    /// The text the display holds while the work runs.
    var liveText: String {
        var lines = Array(finished.suffix(shownEpochs))
        if finished.count > shownEpochs {
            let earlier = finished.count - shownEpochs
            lines.insert("(\(earlier) earlier epoch\(earlier == 1 ? "" : "s") not shown until the end)", at: 0)
        }
        if let c = current { lines.append(c) }
        return lines.joined(separator: "\n")
    }

    public func update(_ p: ProgressEvent) {
        if p.transient { return }
        if p.validation != nil {
            // The epoch's validation: the current line says how far it is; the epoch's line comes after it.
            current = ProgressPrinter.fitted(p, columns: columns)
        } else if p.endsEpoch && p.epoch != lastEpochFinished {
            lastEpochFinished = p.epoch
            finished.append(ProgressPrinter.plain(p))
            current = nil
        } else {
            current = ProgressPrinter.fitted(p, columns: columns)
        }
        let t = now()
        if let last = lastShown, t - last < interval { return }
        lastShown = t
        show(liveText, false)
    }

    public func finish() {
        defer {
            finished = []
            current = nil
            lastEpochFinished = -1
            lastShown = nil
        }
        guard lastShown != nil else { return }
        show(finished.isEmpty ? (current ?? "") : finished.joined(separator: "\n"), true)
    }
}
