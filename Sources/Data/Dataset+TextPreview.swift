/// What a text data set shows in a terminal: its summary with text lengths,
/// samples on one line each, and one sample's text wrapped to the width.
extension Dataset {
    /// Characters (Unicode scalars) per text: mean and maximum; nil for an
    /// image set or an empty one.
    public var textLengths: (mean: Double, max: Int)? {
        guard let t = texts, !t.isEmpty else { return nil }
        var total = 0, longest = 0
        for s in t {
            let n = s.unicodeScalars.count
            total += n
            longest = max(longest, n)
        }
        return (Double(total) / Double(t.count), longest)
    }

    /// The summary of a text data set, e.g. `reuters-grain: 2158 texts,
    /// 2 classes (other 1941, grain 217), 24-9741 characters per text (mean 802)`.
    var textSummary: String {
        let counts = classCounts
        var classes: String
        if classCount <= 6 {
            classes = zip(classNames, counts).map { "\($0) \($1)" }.joined(separator: ", ")
        } else {
            classes = classNames.prefix(4).joined(separator: ", ") + ", ..., " + classNames.last!
            if let lo = counts.min(), let hi = counts.max() { classes += lo == hi ? "; \(lo) per class" : "; \(lo)-\(hi) per class" }
        }
        var s = "\(name): \(count) texts, \(classCount) class\(classCount == 1 ? "" : "es") (\(classes))"
        if let l = textLengths {
            s += ", characters per text: mean \(Int(l.mean.rounded())), max \(l.max)"
        }
        if let t = officialTestStart { s += ", official split \(t) train + \(count - t) test" }
        return s
    }

    /// Text samples, one line each: `#i class: text...`, whitespace collapsed
    /// and cut to `width` columns with an ellipsis.
    public func textPreview(_ indices: [Int], width: Int = 80) -> String {
        guard let t = texts else { return "" }
        let picks = indices.filter { $0 >= 0 && $0 < count }
        return picks.map { i in
            let head = "#\(i) \(classNames[labels[i]]): "
            return head + Self.oneLine(t[i], width: max(8, width - head.count))
        }.joined(separator: "\n")
    }

    /// Sample `i`'s text word-wrapped to `width` columns, at most `maxLines`
    /// lines; when cut, the last line says how many characters were left out.
    /// Whitespace runs become one space; control characters are dropped.
    public func wrappedText(_ i: Int, width: Int = 80, maxLines: Int = 12) -> [String] {
        guard let t = texts, i >= 0, i < count else { return [] }
        return Self.wrap(t[i], width: max(16, width), maxLines: max(1, maxLines))
    }

    /// The words of a text: split on whitespace, control characters dropped.
    static func words(_ text: String) -> [Substring] {
        text.split(whereSeparator: { $0.isWhitespace }).map { w in
            w.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
                ? Substring(String(String.UnicodeScalarView(w.unicodeScalars.filter { $0.properties.generalCategory != .control })))
                : w
        }.filter { !$0.isEmpty }
    }

    /// A text on one line of at most `width` characters.
    static func oneLine(_ text: String, width: Int) -> String {
        var out = ""
        for w in words(text) {
            let add = (out.isEmpty ? 0 : 1) + w.count
            if out.count + add > width - 1 {
                let room = width - 1 - out.count - (out.isEmpty ? 0 : 1)
                if room > 0 { out += (out.isEmpty ? "" : " ") + w.prefix(room) }
                return out + "…"
            }
            out += (out.isEmpty ? "" : " ") + w
        }
        return out
    }

    /// Greedy word wrap; words longer than a line are cut. Past `maxLines`
    /// the last line ends with `… (N more characters)`, N counting the text
    /// with its whitespace collapsed.
    static func wrap(_ text: String, width: Int, maxLines: Int) -> [String] {
        let ws = words(text)
        var lines: [String] = []
        var line = ""
        for w in ws {
            var word = w
            while !word.isEmpty {
                let room = width - line.count - (line.isEmpty ? 0 : 1)
                if word.count <= room {
                    line += (line.isEmpty ? "" : " ") + word
                    word = ""
                } else if line.isEmpty {
                    line = String(word.prefix(width))
                    word = word.dropFirst(width)
                } else {
                    lines.append(line)
                    line = ""
                }
            }
            if lines.count > maxLines { break }
        }
        if !line.isEmpty { lines.append(line) }
        guard lines.count > maxLines else { return lines }
        let total = ws.reduce(0) { $0 + $1.count } + max(0, ws.count - 1)
        var shown = Array(lines.prefix(maxLines))
        var last = shown.removeLast()
        func note(_ last: String) -> String {
            let placed = shown.reduce(0) { $0 + $1.count + 1 } + last.count
            return "… (\(total - placed) more characters)"
        }
        while !last.isEmpty && last.count + 1 + note(last).count > width {
            if let sp = last.lastIndex(of: " ") { last = String(last[..<sp]) } else { last = "" }
        }
        shown.append(last.isEmpty ? note(last) : last + " " + note(last))
        return shown
    }
}
