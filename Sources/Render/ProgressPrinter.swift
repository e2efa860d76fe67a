import Core
import Foundation

/// Prints progress events (`Core.ProgressEvent`). On a terminal: one line redrawn in place, fitted to the
/// terminal's width (less important fields are dropped first), with a bar
/// over the whole run:
/// `epoch 3/8  [#######.............]  step 12/40  loss 0.4123  acc 0.871  3,264 samples/s  ETA 1m 05s`.
/// Otherwise (pipes, notebooks): one plain line per finished epoch.
public final class ProgressPrinter: ProgressReporter {
    private let write: (String) -> Void
    private let inPlace: Bool
    private let columns: () -> Int
    private var drawn = false
    private var lastEpochPrinted = -1

    /// - Parameter columns: the terminal's current width (read at every redraw, so a resize is followed).
    public init(inPlace: Bool, columns: @escaping () -> Int = { 80 }, write: @escaping (String) -> Void) {
        self.inPlace = inPlace
        self.columns = columns
        self.write = write
    }

    /// The fields of a progress line, in display order, each with the rank at
    /// which it is dropped when the line is too wide (lower goes first; nil: never).
    ///
    /// Work without epochs (transient: evaluation, writing or reading a file,
    /// resizing images) shows its label, a bar and the part done:
    /// `writing m.safetensors  [#######.............]  35%`. During a fit's
    /// validation the step's place says how far the validation is: `validating 40%`.
    static func fields(_ p: ProgressEvent) -> [(key: String, text: String, drop: Int?)] {
        var f: [(String, String, Int?)] = []
        if p.transient && p.epochs <= 1 {
            if !p.title.isEmpty { f.append(("label", p.title, 1)) }
            f.append(("bar", "", 4))
            f.append(("percent", percent(p.fractionDone), nil))
            if let e = p.eta { f.append(("eta", "ETA " + ProgressPrinter.eta(e), 5)) }
            return f.map { (key: $0.0, text: $0.1, drop: $0.2) }
        }
        if !p.title.isEmpty { f.append(("label", p.title, 1)) }
        f.append(("epoch", "epoch \(p.epoch)/\(p.epochs)", nil))
        f.append(("bar", "", 4))
        if let v = p.validation {
            f.append(("step", "validating " + percent(v), 3))
        } else if p.steps > 0 {
            f.append(("step", "step \(p.step)/\(p.steps)", 3))
        }
        // At an epoch's last step, the epoch's means (when known); otherwise the step's.
        let loss = p.endsEpoch ? p.epochLoss ?? p.loss : p.loss
        let accuracy = p.endsEpoch ? p.epochAccuracy ?? p.accuracy : p.accuracy
        if let l = loss { f.append(("loss", "loss " + NumberFormatting.fixed(l, decimals: 4), 6)) }
        if let a = accuracy { f.append(("acc", "acc " + NumberFormatting.fixed(a, decimals: 3), 2)) }
        if let s = p.samplesPerSecond, s.isFinite { f.append(("rate", NumberFormatting.grouped(Int(s.rounded())) + " samples/s", 0)) }
        // The ETA counts training steps only: left out while the validation runs.
        if let e = p.eta, p.validation == nil { f.append(("eta", "ETA " + ProgressPrinter.eta(e), 5)) }
        return f.map { (key: $0.0, text: $0.1, drop: $0.2) }
    }

    /// The line for a terminal `columns` wide: at most `columns - 1` characters
    /// (the last column would make some terminals wrap), bar 10 to 30 wide.
    static func fitted(_ p: ProgressEvent, columns: Int) -> String {
        let limit = max(20, columns - 1)
        var fields = fields(p)
        let dropOrder = fields.compactMap { f in f.drop.map { (f.key, $0) } }.sorted { $0.1 < $1.1 }.map { $0.0 }
        var dropped = 0
        while true {
            let others = fields.filter { $0.key != "bar" }
            let fixed = others.map { $0.text.count }.reduce(0, +) + 2 * max(0, others.count - 1)
            let hasBar = fields.contains { $0.key == "bar" }
            let room = limit - fixed - (hasBar ? 4 : 0)   // "  [" ... "]"
            if !hasBar && fixed <= limit || hasBar && room >= 10 {
                let barWidth = min(30, room)
                return fields.map { f in
                    f.key == "bar" ? bar(p.fractionDone, width: barWidth) : f.text
                }.joined(separator: "  ")
            }
            guard dropped < dropOrder.count else { return String(others.map { $0.text }.joined(separator: "  ").prefix(limit)) }
            let key = dropOrder[dropped]
            fields.removeAll { $0.key == key }
            dropped += 1
        }
    }

    /// `[########............]`: the part of the whole run done.
    static func bar(_ fraction: Double, width: Int) -> String {
        let filled = max(0, min(width, Int((fraction * Double(width)).rounded(.down))))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }

    /// "0%" ... "100%" (rounded down: 100% only when done).
    static func percent(_ fraction: Double) -> String {
        "\(Int((max(0, min(1, fraction)) * 100).rounded(.down)))%"
    }

    /// "42s", "3m 07s", "1h 02m" (the ETA's precision need not exceed its size).
    static func eta(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m " + String(format: "%02ds", s % 60) }
        return "\(s / 3600)h " + String(format: "%02dm", s % 3600 / 60)
    }

    /// The plain per-epoch line: every field, no bar.
    static func plain(_ p: ProgressEvent) -> String {
        fields(p).filter { $0.key != "bar" }.map { $0.text }.joined(separator: "  ")
    }

    /// When the current transient work began (its progress shows after `transientDelay`).
    private var transientStart: Double?
    private var transientDrawn = false
    static let transientDelay = 0.5

    public func update(_ p: ProgressEvent) {
        if p.transient {
            guard inPlace else { return }
            let now = Double(DispatchTime.now().uptimeNanoseconds) * 1e-9
            guard let start = transientStart else { transientStart = now; return }
            guard now - start >= ProgressPrinter.transientDelay else { return }
            write("\r\u{1B}[K" + ProgressPrinter.fitted(p, columns: columns()))
            transientDrawn = true
            return
        }
        if inPlace {
            write("\r\u{1B}[K" + ProgressPrinter.fitted(p, columns: columns()))
            drawn = true
        } else if p.validation == nil && p.endsEpoch && p.epoch != lastEpochPrinted {
            lastEpochPrinted = p.epoch
            write(ProgressPrinter.plain(p) + "\n")
        }
    }

    public func finish() {
        if inPlace && drawn { write("\n") } else if transientDrawn { write("\r\u{1B}[K") }
        drawn = false
        transientDrawn = false
        transientStart = nil
        lastEpochPrinted = -1
    }
}
