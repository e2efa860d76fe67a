extension Dataset: CustomStringConvertible {
    /// A short text: name, size, shape, classes and balance, e.g.
    /// `digits: 1797 images 1x8x8, 10 classes (0, 1, ..., 9), 174-183 per class`.
    public var summary: String {
        if isText { return textSummary }
        var names = classNames.prefix(4).joined(separator: ", ")
        if classNames.count > 4 { names += ", ..., " + classNames.last! }
        let counts = classCounts
        let balance: String
        if let lo = counts.min(), let hi = counts.max() {
            balance = lo == hi ? "\(lo) per class" : "\(lo)-\(hi) per class"
        } else {
            balance = "no classes"
        }
        var s = "\(name): \(count) images \(channels)x\(height)x\(width), \(classCount) classes (\(names)), \(balance)"
        if let t = officialTestStart { s += ", official split \(t) train + \(count - t) test" }
        if normalization != nil { s += ", normalized" }
        return s
    }

    public var description: String { summary }

    /// What a REPL shows for a data set: the summary, then the first few
    /// samples drawn (see `preview`), or for texts the first few on a line each.
    public func echo(samples: Int = 4, ansi: Bool = false) -> String {
        let p = preview(Array(0..<min(max(0, samples), count)), ansi: ansi)
        return p.isEmpty ? summary : summary + "\n" + p
    }

    /// Sample `i` as grey levels in [0, 1] (channels averaged, normalization
    /// undone, clamped), row-major height x width. For renderers.
    public func grayscale(_ i: Int) -> [Float] {
        let x = denormalizedImage(i)
        let plane = height * width
        var g = [Float](repeating: 0, count: plane)
        for c in 0..<channels { for k in 0..<plane { g[k] += x[c * plane + k] } }
        return g.map { min(1, max(0, $0 / Float(channels))) }
    }

    /// A few samples drawn side by side in the terminal, with their class names
    /// underneath. `ansi` uses 256-colour grey half-blocks (two pixel rows per
    /// text row); otherwise plain ASCII shading. Small images are enlarged so
    /// they are at least `minWidth` characters wide.
    /// A text data set previews its texts, one line each (see `textPreview`).
    public func preview(_ indices: [Int]? = nil, ansi: Bool = false, minWidth: Int = 16) -> String {
        if isText { return textPreview(indices ?? Array(0..<min(4, count))) }
        let picks = (indices ?? Array(0..<min(4, count))).filter { $0 >= 0 && $0 < count }
        guard !picks.isEmpty else { return "" }
        let k = max(1, (minWidth + width - 1) / width)        // integer enlargement
        let (h, w) = (height * k, width * k)
        let tiles: [[String]] = picks.map { i in
            let g = grayscale(i)
            @inline(__always) func px(_ y: Int, _ x: Int) -> Float { y < h ? g[(y / k) * width + x / k] : 0 }
            var rows: [String] = []
            for y in stride(from: 0, to: h, by: 2) {
                var line = ""
                for x in 0..<w {
                    let (a, b) = (px(y, x), px(y + 1, x))
                    if ansi {
                        line += "\u{1B}[38;5;\(grey256(a))m\u{1B}[48;5;\(grey256(b))m\u{2580}"
                    } else {
                        let ramp = Array(" .:-=+*#%@")
                        let v = (a + b) / 2
                        line.append(ramp[min(ramp.count - 1, Int(v * Float(ramp.count)))])
                    }
                }
                if ansi { line += "\u{1B}[0m" }
                rows.append(line)
            }
            var label = "#\(i) \(classNames[labels[i]])"
            if label.count > w { label = String(label.prefix(w)) }
            rows.append(label + String(repeating: " ", count: w - label.count))
            return rows
        }
        var out: [String] = []
        for r in 0..<tiles[0].count {
            out.append(tiles.map { $0[r] }.joined(separator: "  "))
        }
        return out.map { $0.trailingSpacesTrimmed }.joined(separator: "\n")
    }
}

/// 256-colour index of a grey level: 16 (black), 232...255 (greys), 231 (white).
func grey256(_ v: Float) -> Int {
    let q = Int((min(1, max(0, v)) * 25).rounded())
    switch q {
    case 0: return 16
    case 25: return 231
    default: return 231 + q
    }
}

extension String {
    var trailingSpacesTrimmed: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
