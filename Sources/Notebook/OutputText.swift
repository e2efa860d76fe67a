import Foundation

/// Output as stored in ```output blocks and as compared by `check`.
public enum OutputText {
    /// Splits printed text into lines; trailing spaces of each line and
    /// trailing blank lines are dropped; carriage returns (a progress line
    /// redrawn in place) keep only the text after the last one.
    public static func lines(_ text: String) -> [String] {
        var lines = MarkdownText(text).lines.map { raw -> String in
            var line = raw
            if let r = line.lastIndex(of: "\r") {
                let after = String(line[line.index(after: r)...])
                line = after.isEmpty ? String(line[..<r]) : after
            }
            while let l = line.last, l == " " || l == "\t" { line.removeLast() }
            return line
        }
        while let l = lines.last, l.isEmpty { lines.removeLast() }
        return lines
    }

    /// Timings and throughput vary from run to run; `check` compares lines
    /// with them masked: a number with a time unit (`1.23 s`, `850 ms`,
    /// `12 µs`, `2m 03s`), `N samples/s`, `ETA Ns`. Runs of spaces on a masked
    /// line count as one, so a table column that widened still matches.
    public static func masked(_ line: String) -> String {
        var s = line
        var changed = false
        for (pattern, replacement) in masks {
            let range = NSRange(s.startIndex..., in: s)
            let replaced = pattern.stringByReplacingMatches(in: s, range: range, withTemplate: replacement)
            if replaced != s { changed = true; s = replaced }
        }
        guard changed else { return s }
        return s.replacingOccurrences(of: " +", with: " ", options: .regularExpression)
    }

    private static let masks: [(NSRegularExpression, String)] = [
        (#"\bETA\s+(\d+h\s*)?(\d+m(in)?\s*)?\d+(\.\d+)?\s*(s|ms|m|min|h)\b"#, "ETA <time>"),
        (#"\b\d{1,3}(,\d{3})+(\.\d+)?\s*(samples|images|items|steps|it)/s\b"#, "<rate> $3/s"),
        (#"\b\d+(\.\d+)?(e[+-]?\d+)?\s*[kKM]?\s*(samples|images|items|steps|it)/s\b"#, "<rate> $3/s"),
        (#"\b(\d+h\s*)?\d+m(in)?\s*\d+(\.\d+)?\s*s\b"#, "<time>"),
        (#"\b\d+(\.\d+)?\s*(µs|us|ms|ns|s|sec|min|h)\b"#, "<time>"),
    ].map { (try! NSRegularExpression(pattern: $0.0), $0.1) }
}
