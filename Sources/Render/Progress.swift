/// One training step's progress, as reported by the training loop's callback.
public struct TrainingProgress: Equatable, Sendable {
    public var epoch: Int          // 1-based
    public var epochs: Int
    public var step: Int           // 1-based step within the epoch
    public var steps: Int          // steps per epoch
    public var loss: Double
    public var accuracy: Double?
    public var samplesPerSecond: Double
    /// Seconds left for the whole run, if known.
    public var eta: Double?

    public init(epoch: Int, epochs: Int, step: Int, steps: Int, loss: Double, accuracy: Double? = nil,
                samplesPerSecond: Double, eta: Double? = nil) {
        self.epoch = epoch; self.epochs = epochs; self.step = step; self.steps = steps
        self.loss = loss; self.accuracy = accuracy; self.samplesPerSecond = samplesPerSecond; self.eta = eta
    }
}

/// The end-of-epoch numbers printed on one line per epoch.
public struct EpochSummary: Equatable, Sendable {
    public var epoch: Int
    public var epochs: Int
    public var loss: Double
    public var accuracy: Double?
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var seconds: Double

    public init(epoch: Int, epochs: Int, loss: Double, accuracy: Double? = nil, validationLoss: Double? = nil,
                validationAccuracy: Double? = nil, seconds: Double) {
        self.epoch = epoch; self.epochs = epochs; self.loss = loss; self.accuracy = accuracy
        self.validationLoss = validationLoss; self.validationAccuracy = validationAccuracy; self.seconds = seconds
    }
}

/// Progress lines for the training loop.
public enum ProgressRenderer {
    /// "epoch 2/5 [██████░░░░░░] 50% 96/192  loss 0.4312  acc 0.872  1,234 samples/s  ETA 0:42".
    /// Plain mode uses "#" and "-" in the bar and no colour.
    public static func bar(_ p: TrainingProgress, width: Int = 20, mode: ColorMode) -> String {
        let w = max(1, width)
        let fraction = p.steps > 0 ? max(0, min(1, Double(p.step) / Double(p.steps))) : 0
        let filled = Int((fraction * Double(w)).rounded(.down))
        let (on, off): (String, String) = mode == .plain ? ("#", "-") : ("█", "░")
        var s = "epoch \(p.epoch)/\(p.epochs) ["
        s += String(repeating: on, count: filled) + String(repeating: off, count: w - filled) + "] "
        s += pad("\(Int((fraction * 100).rounded(.down)))%", to: 4, .right)
        s += " \(p.step)/\(p.steps)"
        s += "  loss " + NumberFormatting.fixed(p.loss, decimals: 4)
        if let a = p.accuracy { s += "  acc " + NumberFormatting.fixed(a, decimals: 3) }
        s += "  " + NumberFormatting.grouped(Int(p.samplesPerSecond.isFinite ? p.samplesPerSecond.rounded() : 0)) + " samples/s"
        if let eta = p.eta { s += "  ETA " + formatDuration(eta) }
        return s
    }

    /// What to write to redraw the progress line in place: on a terminal,
    /// "\r" + bar + erase-to-end-of-line; in plain mode the bar and a newline.
    public static func update(_ p: TrainingProgress, width: Int = 20, mode: ColorMode) -> String {
        mode == .plain ? bar(p, width: width, mode: mode) + "\n" : "\r" + bar(p, width: width, mode: mode) + "\u{1B}[K"
    }

    /// "epoch  2/5  loss 0.4312  acc 0.8720  val_loss 0.5010  val_acc 0.8500  12.3s".
    public static func epochLine(_ e: EpochSummary) -> String {
        let digits = String(e.epochs).count
        var s = "epoch " + pad(String(e.epoch), to: digits, .right) + "/\(e.epochs)"
        s += "  loss " + NumberFormatting.fixed(e.loss, decimals: 4)
        if let a = e.accuracy { s += "  acc " + NumberFormatting.fixed(a, decimals: 4) }
        if let v = e.validationLoss { s += "  val_loss " + NumberFormatting.fixed(v, decimals: 4) }
        if let v = e.validationAccuracy { s += "  val_acc " + NumberFormatting.fixed(v, decimals: 4) }
        s += "  " + formatDuration(e.seconds)
        return s
    }
}

/// "0.8s", "42s", "3m 07s", "1h 02m 03s": h/m/s, as the progress line's ETA
/// (the notebook checker masks these as timings).
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    if seconds < 10 { return NumberFormatting.fixed(seconds, decimals: 1) + "s" }
    let total = Int(seconds.rounded())
    if total < 60 { return "\(total)s" }
    let h = total / 3600, m = (total % 3600) / 60, s = total % 60
    func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return h > 0 ? "\(h)h \(two(m))m \(two(s))s" : "\(m)m \(two(s))s"
}
