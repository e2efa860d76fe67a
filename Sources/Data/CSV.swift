/// Which CSV column holds the label.
public enum LabelColumn: Equatable {
    /// A header column named label, labels, class, target or y (any case).
    case auto
    /// A 0-based column index (negative counts from the end: -1 is the last).
    case index(Int)
    /// A header column name.
    case name(String)
}

/// How loaded pixel values are scaled.
public enum PixelScale: Equatable {
    /// Values already in [0, 1] stay; whole numbers in 0...255 are divided by
    /// 255; anything else is kept as it is (features, not pixels).
    case auto
    /// Keep values as they are.
    case none
    /// Divide every value by this number (e.g. 16 for the UCI digits' 0...16).
    case divide(Float)
}

/// A numeric CSV table with one label column, parsed at the byte level.
public struct CSVTable {
    /// The header's names, when the file has a header row.
    public var header: [String]?
    /// Number of feature (non-label) columns.
    public var featureCount: Int
    /// Row-major features, rows * featureCount values.
    public var features: [Float]
    /// The label field of each row, as written.
    public var labelFields: [String]
    /// 0-based index of the label column.
    public var labelColumn: Int

    public var rowCount: Int { labelFields.count }

    /// Parses CSV bytes. `header`: true, false, or nil to detect it (the first
    /// row is a header when one of its fields, other than the label, is not a number).
    public init(bytes: [UInt8], file: String, label: LabelColumn, header: Bool? = nil) throws {
        var lines = CSVLines(bytes: bytes)
        guard let (firstLineNo, firstFields) = try lines.next(file: file) else {
            throw DataError.malformed(file: file, problem: "the file has no rows", at: .line(1, column: nil),
                                      remedy: "give a CSV file with one sample per line")
        }
        let width = firstFields.count
        // Resolve the label column and whether the first row is a header.
        func headerNames() -> [String] { firstFields.map { $0.trimmingSpaces } }
        var labelCol: Int
        var hasHeader: Bool
        switch label {
        case .auto:
            let names = headerNames().map { $0.lowercased() }
            guard let i = names.firstIndex(where: { ["label", "labels", "class", "target", "y"].contains($0) }),
                  header != false else {
                throw DataError.malformed(file: file, problem: "cannot tell which column holds the label (no header column named label, class, target or y)",
                                          at: .line(firstLineNo, column: nil),
                                          remedy: "say which: label: 0 (a column index, -1 for the last) or label: \"name\"")
            }
            labelCol = i
            hasHeader = true
        case .name(let n):
            guard header != false else {
                throw DataError.invalidArgument(problem: "a label column name needs a header row", remedy: "give the label column's index instead")
            }
            let names = headerNames()
            guard let i = names.firstIndex(of: n) ?? names.firstIndex(where: { $0.lowercased() == n.lowercased() }) else {
                throw DataError.malformed(file: file, problem: "no column named '\(n)' in the header (\(names.prefix(8).joined(separator: ", "))\(names.count > 8 ? ", ..." : ""))",
                                          at: .line(firstLineNo, column: nil), remedy: "give one of the header's names or a column index")
            }
            labelCol = i
            hasHeader = true
        case .index(let i):
            let j = i < 0 ? width + i : i
            guard j >= 0, j < width else {
                throw DataError.malformed(file: file, problem: "label column \(i) is outside the \(width) columns",
                                          at: .line(firstLineNo, column: nil), remedy: "give an index in 0..<\(width) (or -1 for the last)")
            }
            labelCol = j
            hasHeader = header ?? firstFields.enumerated().contains { k, f in k != j && parseNumber(f) == nil }
        }
        guard width >= 2 else {
            throw DataError.malformed(file: file, problem: "a row needs a label and at least one feature, but line \(firstLineNo) has \(width) field",
                                      at: .line(firstLineNo, column: nil), remedy: "separate fields with commas")
        }
        let names = hasHeader ? headerNames() : nil
        var features: [Float] = []
        var labels: [String] = []
        func take(_ lineNo: Int, _ fields: [Substring]) throws {
            guard fields.count == width else {
                throw DataError.malformed(file: file, problem: "line has \(fields.count) fields but line \(firstLineNo) has \(width) (ragged rows)",
                                          at: .line(lineNo, column: nil), remedy: "give every row the same number of fields")
            }
            for (k, f) in fields.enumerated() {
                if k == labelCol { continue }
                guard let v = parseNumber(f), Float(v).isFinite else {
                    let col = names.map { " ('\($0[k])')" } ?? ""
                    throw DataError.malformed(file: file, problem: "column \(k + 1)\(col): \(numberProblem(String(f)))",
                                              at: .line(lineNo, column: k + 1), remedy: "features must be finite decimal numbers; fix or remove the row")
                }
                features.append(Float(v))
            }
            let l = fields[labelCol].trimmingSpaces
            guard !l.isEmpty else {
                throw DataError.malformed(file: file, problem: "the label is empty", at: .line(lineNo, column: labelCol + 1),
                                          remedy: "give every row a label")
            }
            labels.append(l)
        }
        if !hasHeader { try take(firstLineNo, firstFields) }
        // The rest, at the byte level: lines without quotes are split on commas
        // in place and their numbers parsed from the bytes.
        try bytes.withUnsafeBufferPointer { buf in
            // Locals of this closure, not captured by `take`: no boxing or
            // dynamic exclusivity checks in the hot loop.
            var ranges: [Range<Int>] = []
            ranges.reserveCapacity(width)
            var values: [Float] = []
            values.reserveCapacity(min(buf.count / 2, 1 << 26))
            var texts: [String] = []
            var progress = ParseProgress(file: file, bytes: buf.count)
            var lines = lines
            func flush() {
                features.append(contentsOf: values)
                labels.append(contentsOf: texts)
                values.removeAll(keepingCapacity: true)
                texts.removeAll(keepingCapacity: true)
            }
            while let line = try lines.nextLine(file: file) {
                try progress.line(at: line.stop)
                if line.quoted {
                    flush()
                    let text = String(decoding: buf[line.start..<line.stop], as: UTF8.self)
                    try take(line.number, CSVLines.fields(text, file: file, line: line.number))
                    continue
                }
                ranges.removeAll(keepingCapacity: true)
                var fieldStart = line.start
                for i in line.start..<line.stop where buf[i] == 0x2C {
                    ranges.append(fieldStart..<i)
                    fieldStart = i + 1
                }
                ranges.append(fieldStart..<line.stop)
                guard ranges.count == width else {
                    throw DataError.malformed(file: file, problem: "line has \(ranges.count) fields but line \(firstLineNo) has \(width) (ragged rows)",
                                              at: .line(line.number, column: nil), remedy: "give every row the same number of fields")
                }
                for k in 0..<width where k != labelCol {
                    guard let v = parseNumber(bytes: UnsafeBufferPointer(rebasing: buf[ranges[k]])), Float(v).isFinite else {
                        let f = String(decoding: buf[ranges[k]], as: UTF8.self)
                        let col = names.map { " ('\($0[k])')" } ?? ""
                        throw DataError.malformed(file: file, problem: "column \(k + 1)\(col): \(numberProblem(f))",
                                                  at: .line(line.number, column: k + 1), remedy: "features must be finite decimal numbers; fix or remove the row")
                    }
                    values.append(Float(v))
                }
                let l = String(decoding: buf[ranges[labelCol]], as: UTF8.self).trimmingSpaces
                guard !l.isEmpty else {
                    throw DataError.malformed(file: file, problem: "the label is empty", at: .line(line.number, column: labelCol + 1),
                                              remedy: "give every row a label")
                }
                texts.append(l)
            }
            flush()
        }
        guard !labels.isEmpty else {
            throw DataError.malformed(file: file, problem: "the file has a header but no data rows", at: .line(firstLineNo + 1, column: nil),
                                      remedy: "give one sample per line after the header")
        }
        self.header = names
        self.featureCount = width - 1
        self.features = features
        self.labelFields = labels
        self.labelColumn = labelCol
    }
}

/// Splits CSV bytes into lines and fields. Blank lines and lines starting
/// with '#' are skipped; fields may be double-quoted ("" is a quote).
struct CSVLines {
    let bytes: [UInt8]
    var pos = 0
    var lineNo = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
        pos = utf8ByteOrderMarkLength(bytes)
    }

    /// The next line that is not blank or a # comment: its 1-based number,
    /// byte range (without the line break) and whether it holds a quote.
    mutating func nextLine(file: String) throws -> (number: Int, start: Int, stop: Int, quoted: Bool)? {
        let n = bytes.count
        while pos < n {
            lineNo += 1
            var end = pos
            var quoted = false, nul = false
            while end < n {
                let b = bytes[end]
                if b == 0x0A { break }
                if b == 0x22 { quoted = true } else if b == 0 { nul = true }
                end += 1
            }
            var stop = end
            if stop > pos && bytes[stop - 1] == 0x0D { stop -= 1 }
            let start = pos
            pos = end + 1
            var first = start
            while first < stop && (bytes[first] == 0x20 || bytes[first] == 0x09) { first += 1 }
            if first == stop || bytes[first] == 0x23 { continue }   // blank or # comment
            if nul {
                throw DataError.malformed(file: file, problem: "the line holds NUL bytes (a binary file, not CSV text?)",
                                          at: .line(lineNo, column: nil), remedy: "give a plain-text CSV file")
            }
            return (lineNo, start, stop, quoted)
        }
        return nil
    }

    /// The next line's fields as text.
    mutating func next(file: String) throws -> (Int, [Substring])? {
        guard let line = try nextLine(file: file) else { return nil }
        let text = String(decoding: bytes[line.start..<line.stop], as: UTF8.self)
        return (line.number, try Self.fields(text, file: file, line: line.number))
    }

    static func fields(_ line: String, file: String, line lineNo: Int) throws -> [Substring] {
        if !line.utf8.contains(0x22) { return line.split(separator: ",", omittingEmptySubsequences: false) }
        var out: [Substring] = []
        var cur = ""
        var i = line.startIndex
        var quoted = false
        var col = 1
        while i < line.endIndex {
            let ch = line[i]
            if quoted {
                if ch == "\"" {
                    let n = line.index(after: i)
                    if n < line.endIndex && line[n] == "\"" { cur.append("\""); i = line.index(after: n); continue }
                    quoted = false
                } else {
                    cur.append(ch)
                }
            } else if ch == "\"" {
                quoted = true
            } else if ch == "," {
                out.append(Substring(cur)); cur = ""; col += 1
            } else {
                cur.append(ch)
            }
            i = line.index(after: i)
        }
        if quoted {
            throw DataError.malformed(file: file, problem: "a quoted field is not closed", at: .line(lineNo, column: col),
                                      remedy: "close the quote (quoted fields cannot span lines)")
        }
        out.append(Substring(cur))
        return out
    }
}

/// Parses a decimal number (spaces around allowed); nil when it is not one.
func parseNumber(_ s: Substring) -> Double? {
    var str = String(s)
    return str.withUTF8 { parseNumber(bytes: $0) }
}

/// `parseNumber` on UTF-8 bytes.
func parseNumber(bytes u: UnsafeBufferPointer<UInt8>) -> Double? {
    var a = 0, b = u.count
    while a < b && (u[a] == 0x20 || u[a] == 0x09) { a += 1 }
    while b > a && (u[b - 1] == 0x20 || u[b - 1] == 0x09) { b -= 1 }
    guard a < b else { return nil }
    // Fast path: [sign] digits [. digits] with no exponent.
    var i = a
    var neg = false
    if u[i] == 0x2D || u[i] == 0x2B { neg = u[i] == 0x2D; i += 1 }
    var intPart: Double = 0
    var digits = 0
    var scale: Double = 1
    var frac: Double = 0
    var seenDot = false
    var simple = true
    while i < b {
        let c = u[i]
        if c >= 0x30 && c <= 0x39 {
            digits += 1
            if seenDot { scale *= 0.1; frac += Double(c - 0x30) * scale } else { intPart = intPart * 10 + Double(c - 0x30) }
        } else if c == 0x2E && !seenDot {
            seenDot = true
        } else {
            simple = false
            break
        }
        i += 1
    }
    if simple && digits > 0 && digits <= 15 {
        let v = intPart + frac
        return neg ? -v : v
    }
    // Exponents and long mantissas: the standard library's parser, on plain
    // decimal text only (it would also take hex, inf and nan), and not on
    // absurdly long fields.
    guard b - a <= maxNumberLength, isDecimalNumber(UnsafeBufferPointer(rebasing: u[a..<b])) else { return nil }
    return Double(String(decoding: UnsafeBufferPointer(rebasing: u[a..<b]), as: UTF8.self))
}

/// The longest field read as a number (sign, digits, point and exponent).
let maxNumberLength = 400

/// [+-] (digits [. digits] | . digits) [(e|E) [+-] digits]
func isDecimalNumber(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
    var i = 0
    let n = u.count
    func digits() -> Int { var k = 0; while i < n, u[i] >= 0x30, u[i] <= 0x39 { i += 1; k += 1 }; return k }
    if i < n, u[i] == 0x2B || u[i] == 0x2D { i += 1 }
    var mantissa = digits()
    if i < n, u[i] == 0x2E { i += 1; mantissa += digits() }
    guard mantissa > 0 else { return false }
    if i < n, u[i] == 0x65 || u[i] == 0x45 {
        i += 1
        if i < n, u[i] == 0x2B || u[i] == 0x2D { i += 1 }
        guard digits() > 0 else { return false }
    }
    return i == n
}

/// Why a feature field is refused, for its error message: "is not a number",
/// "is hexadecimal", "is too large for a 32-bit float", ... The field did not
/// parse, or parsed to a value that is not a finite Float.
func numberProblem(_ field: String) -> String {
    let t = field.trimmingSpaces
    let shown = t.count > 40 ? "'\(t.prefix(40))...'" : "'\(t)'"
    if t.utf8.count > maxNumberLength { return "\(shown) (\(t.utf8.count) characters) is too long for a number (at most \(maxNumberLength))" }
    let lower = t.lowercased()
    let body = lower.hasPrefix("-") || lower.hasPrefix("+") ? String(lower.dropFirst()) : lower
    if body.hasPrefix("0x") { return "\(shown) is hexadecimal; write numbers in decimal" }
    if ["nan", "inf", "infinity"].contains(body) { return "\(shown) is not a finite number" }
    if parseNumber(Substring(t)) != nil { return "\(shown) is too large for a 32-bit float (at most about 3.4e38)" }
    return "\(shown) is not a number"
}

/// 3 when `bytes` start with a UTF-8 byte order mark (skipped by every text
/// loader), else 0.
func utf8ByteOrderMarkLength(_ bytes: [UInt8]) -> Int {
    bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
}
