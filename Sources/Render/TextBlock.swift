/// Rendered terminal text that knows its visible width (escape codes excluded),
/// so blocks can be laid out side by side.
public struct TextBlock: Equatable, Sendable {
    public var lines: [String]
    /// Visible width in terminal columns of every line.
    public var width: Int

    public init(lines: [String], width: Int) {
        self.lines = lines
        self.width = width
    }

    /// A block of plain lines (no escape codes); width = longest line.
    public init(plain lines: [String]) {
        self.init(lines: lines, width: lines.map(\.count).max() ?? 0)
    }

    public var height: Int { lines.count }

    /// The lines joined by "\n" (no trailing newline).
    public var text: String { lines.joined(separator: "\n") }

    /// This block with a caption centred (or cut with "…") under it.
    public func captioned(_ caption: String) -> TextBlock {
        let w = max(width, 1)
        let cut = caption.count > w ? String(caption.prefix(w - 1)) + "…" : caption
        return TextBlock(lines: lines + [pad(cut, to: w, .center)], width: w)
    }

    /// Blocks next to each other with `gap` spaces between, tops aligned. When a
    /// `maxWidth` is given, blocks that would go past it wrap to a new row, rows
    /// separated by a blank line.
    public static func sideBySide(_ blocks: [TextBlock], captions: [String]? = nil, gap: Int = 2, maxWidth: Int? = nil) -> TextBlock {
        var items = blocks
        if let captions {
            for i in items.indices where i < captions.count { items[i] = items[i].captioned(captions[i]) }
        }
        var rows: [[TextBlock]] = [[]]
        var used = 0
        for b in items {
            let need = (rows[rows.count - 1].isEmpty ? 0 : gap) + b.width
            if let maxWidth, !rows[rows.count - 1].isEmpty, used + need > maxWidth {
                rows.append([b])
                used = b.width
            } else {
                rows[rows.count - 1].append(b)
                used += need
            }
        }
        var lines: [String] = []
        var width = 0
        for (r, row) in rows.enumerated() where !row.isEmpty {
            if r > 0 { lines.append("") }
            let h = row.map(\.height).max() ?? 0
            let spacer = String(repeating: " ", count: gap)
            for y in 0..<h {
                var parts: [String] = []
                for b in row {
                    parts.append(y < b.height ? b.lines[y] : String(repeating: " ", count: b.width))
                }
                lines.append(parts.joined(separator: spacer))
            }
            width = max(width, row.map(\.width).reduce(0, +) + gap * (row.count - 1))
        }
        return TextBlock(lines: lines, width: width)
    }
}
