import Render

/// A value as a front end that shows more than text (Jupyter) displays it:
/// the text the REPL prints for it (always), an HTML rendering when it is a
/// table, an SVG drawing when it is a figure. The text is exactly `echo`, so a
/// notebook shows the same text whichever front end ran it.
public struct RichDisplay: Equatable {
    /// What the REPL prints (`text/plain`).
    public var text: String
    /// Tables (`text/html`).
    public var html: String?
    /// Figures (`image/svg+xml`).
    public var svg: String?

    public init(text: String, html: String? = nil, svg: String? = nil) {
        self.text = text
        self.html = html
        self.svg = svg
    }

    /// True when there is more than the text.
    public var isRich: Bool { html != nil || svg != nil }

    /// A table with lines of text under it: the text is the table's text and
    /// the lines; the HTML the table and the lines, preformatted.
    static func table(_ table: TextTable, after: [String] = []) -> RichDisplay {
        let text = ([table.render()] + after).joined(separator: "\n")
        let html = table.html() + (after.isEmpty ? "" : "\n" + HTML.preformatted(after.joined(separator: "\n")))
        return RichDisplay(text: text, html: html)
    }
}

extension Value {
    /// The value as a rich front end shows it (see `RichDisplay`); plain values are text only.
    public func display(_ context: Context) -> RichDisplay {
        if case .object(let o) = self { return o.display(context) }
        return RichDisplay(text: echo(context))
    }
}
