// How long something took or will take, as the progress line and the
// model summaries print it (the progress line's ETA is `ProgressPrinter.eta`).

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
