/// Text made safe for XML and HTML: `&`, `<`, `>`, `"` and `'` as entities.
/// SVG writes the apostrophe as `&apos;` (XML), HTML as `&#39;` (also valid
/// in old HTML), so each caller names its entity; everything else is shared.
enum MarkupEscape {
    static func escape(_ text: String, apostrophe: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += apostrophe
            default: out.append(c)
            }
        }
        return out
    }
}
