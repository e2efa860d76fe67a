// lora-bench --profile: one training step broken down by category (from the
// engine's timing hooks, `Profile`), the gemms at their shapes, and the whole
// step's GFLOP/s against the sgemm peak measured in the same run.
import Foundation
import Tensor

enum StepProfile {
    /// Profiles `steps` calls of `step` (after the caller's warm-up) and prints the breakdown
    /// per step; `peak` is the sgemm GFLOP/s measured in this run.
    static func run(steps: Int, peak: Double, label: String, _ step: () throws -> Void) rethrows {
        var stepTimes: [Double] = []
        Profile.start()
        for _ in 0..<steps {
            let t0 = now()
            try step()
            stepTimes.append(now() - t0)
        }
        let report = Profile.stop()
        print(text(report, steps: steps, stepSeconds: stepTimes.reduce(0, +) / Double(steps), peak: peak, label: label))
    }

    /// The printed breakdown (per step).
    static func text(_ r: ProfileReport, steps: Int, stepSeconds: Double, peak: Double, label: String) -> String {
        let s = Double(max(steps, 1))
        func ms(_ x: Double) -> String { String(format: "%8.3f", x / s * 1000) }
        func pct(_ x: Double) -> String { String(format: "%5.1f%%", 100 * x / s / stepSeconds) }
        var lines: [String] = []
        lines.append("profile \(label): \(steps) steps, \(Engine.threads) thread(s), step \(String(format: "%.3f", stepSeconds * 1000)) ms (with hooks on)")
        lines.append("")
        lines.append("category              ms/step   share    calls/step  GFLOP/s")
        let cats = r.categories.sorted { $0.value.seconds > $1.value.seconds }
        for (c, e) in cats {
            let gf = e.flops > 0 ? String(format: "%8.1f", e.flops / e.seconds / 1e9) : ""
            lines.append("\(c.name.padding(toLength: 20, withPad: " ", startingAt: 0))  \(ms(e.seconds))  \(pct(e.seconds))  \(String(format: "%10.1f", Double(e.calls) / s))  \(gf)")
        }
        let other = stepSeconds * s - r.measuredSeconds
        lines.append("\("other (forward glue)".padding(toLength: 20, withPad: " ", startingAt: 0))  \(ms(other))  \(pct(other))")
        lines.append("")
        lines.append("gemms (site, [batch x] M x N x K, op(A) op(B))          calls/step  ms/step  GFLOP/s")
        for (g, e) in r.gemms.sorted(by: { $0.value.seconds > $1.value.seconds }) {
            lines.append("  \(g.description.padding(toLength: 52, withPad: " ", startingAt: 0))  \(String(format: "%9.1f", Double(e.calls) / s))  \(ms(e.seconds))  \(String(format: "%7.1f", e.flops / e.seconds / 1e9))")
        }
        let flops = r.flops / s
        let rate = flops / stepSeconds / 1e9
        lines.append("")
        lines.append(String(format: "step_gflop %.3f", flops / 1e9))
        lines.append(String(format: "step_gflops %.1f", rate))
        lines.append(String(format: "sgemm_peak_gflops %.1f", peak))
        lines.append(String(format: "step_share_of_peak %.1f%%", 100 * rate / peak))
        return lines.joined(separator: "\n")
    }
}
