/// A cell's code and a cursor in it, as Jupyter gives them (the cursor counts
/// Unicode code points), seen as lora's completion sees text: the line the
/// cursor is on, in characters.
struct CursorText {
    /// The cursor in code points, clamped to the code.
    let cursor: Int
    /// The whole line the cursor is on.
    let line: String
    /// The line up to the cursor.
    let linePrefix: String
    /// Code points before the line.
    private let lineStart: Int

    init(_ code: String, cursor: Int) {
        let scalars = code.unicodeScalars
        let clamped = max(0, min(cursor, scalars.count))
        self.cursor = clamped
        let at = scalars.index(scalars.startIndex, offsetBy: clamped)
        let before = scalars[..<at]
        let start = before.lastIndex(of: "\n").map { scalars.index(after: $0) } ?? scalars.startIndex
        let end = scalars[at...].firstIndex(of: "\n") ?? scalars.endIndex
        lineStart = scalars.distance(from: scalars.startIndex, to: start)
        linePrefix = String(String.UnicodeScalarView(scalars[start..<at]))
        line = String(String.UnicodeScalarView(scalars[start..<end]))
    }

    /// The code-point offset in the whole code of character `n` of the line.
    func codePointOffset(ofLineCharacter n: Int) -> Int {
        lineStart + String(linePrefix.prefix(max(0, n))).unicodeScalars.count
    }
}
