import Foundation

/// Deterministic number formatting shared by tables, terminal views and figures.
/// Uses the C locale (via `String(format:)` with POSIX directives), never the user's.
public enum NumberFormatting {
    /// `x` with exactly `decimals` digits after the point; "-0.00" becomes "0.00";
    /// NaN and infinities print as "nan", "inf", "-inf".
    public static func fixed(_ x: Double, decimals: Int) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        var s = String(format: "%.\(max(0, decimals))f", x)
        if s.hasPrefix("-"), s.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { s.removeFirst() }
        return s
    }

    /// `x` in scientific notation with `digits` significant digits, e.g. "1.23e-05".
    public static func scientific(_ x: Double, digits: Int = 3) -> String {
        if !x.isFinite { return fixed(x, decimals: 0) }
        return String(format: "%.\(max(0, digits - 1))e", x)
    }

    /// A compact form with about `significant` significant digits: fixed point for
    /// 1e-3 <= |x| < 1e6 with trailing zeros removed ("0.5", "0.0352"), scientific
    /// otherwise; whole numbers print without a point.
    public static func compact(_ x: Double, significant: Int = 4) -> String {
        if !x.isFinite { return fixed(x, decimals: 0) }
        if x == 0 { return "0" }
        let a = abs(x)
        if a < 1e-3 || a >= 1e6 { return scientific(x, digits: significant - 1) }
        if x == x.rounded() { return fixed(x, decimals: 0) }
        var s = fixed(x, decimals: decimalsFor(a, significant: significant))
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// Digits after the point needed to show `significant` significant digits of |x|.
    public static func decimalsFor(_ a: Double, significant: Int) -> Int {
        guard a > 0, a.isFinite else { return 0 }
        let magnitude = Int(floor(log10(a)))
        return max(0, significant - 1 - magnitude)
    }

    /// An SVG coordinate: rounded to 2 decimals, trailing zeros removed ("12.5", "3", "-0.25").
    public static func svg(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        var s = fixed(x, decimals: 2)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s == "-0" ? "0" : s
    }

    /// An integer with thousands separators ("999", "1,234", "12,345", "1,234,567"),
    /// from 1,000 up so numbers side by side group alike (5,280 next to 26,208).
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        guard n.magnitude >= 1_000 else { return String(n) }
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }
}
