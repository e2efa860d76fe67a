/// CSV and TSV files of texts, read as RFC 4180 records: a field may be
/// double-quoted, a quote inside it is written "", and a quoted field may hold
/// delimiters and line breaks. Records end at LF, CRLF or CR. Outside quotes a
/// quote character is kept as it is, and text after a closing quote is joined
/// to the field (as Python's csv module does). Blank lines are skipped.
struct CSVRecords {
    /// A field: a byte range of the file, or its unescaped bytes when it held
    /// "" or text after its closing quote; and the line it starts on.
    struct Field {
        var start: Int, end: Int
        var copy: [UInt8]?
        var line: Int
    }

    /// One record: the line it starts on and its fields.
    struct Record {
        var line: Int
        var fields: [Field]
    }

    /// Splits `bytes` into records. A UTF-8 byte order mark is skipped.
    /// A NUL byte or a quote still open at the end of the file is an error.
    static func parse(_ bytes: [UInt8], file: String, delimiter: UInt8) throws -> [Record] {
        let (quote, lf, cr): (UInt8, UInt8, UInt8) = (0x22, 0x0A, 0x0D)
        return try bytes.withUnsafeBufferPointer { p -> [Record] in
            let n = p.count
            var i = (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) ? 3 : 0
            var line = 1
            var records: [Record] = []
            var progress = ParseProgress(file: file, bytes: n)
            func nul(_ line: Int) -> DataError {
                DataError.malformed(file: file, problem: "the file holds a NUL byte (a binary file, not CSV text?)",
                                    at: .line(line, column: nil), remedy: "give a plain-text CSV or TSV file in UTF-8")
            }
            while i < n {
                try progress.line(at: i)
                let recordLine = line
                var fields: [Field] = []
                var quotedField = false
                while true {
                    let fieldLine = line
                    if i < n && p[i] == quote {
                        let (quoteLine, quoteColumn) = (line, fields.count + 1)
                        quotedField = true
                        i += 1
                        var start = i
                        var copy: [UInt8]?
                        while true {
                            guard i < n else {
                                throw DataError.malformed(file: file, problem: "a quoted field opened here is never closed",
                                                          at: .line(quoteLine, column: quoteColumn),
                                                          remedy: "close the quote with \" (write a quote inside a quoted field as \"\")")
                            }
                            let b = p[i]
                            if b == quote {
                                if i + 1 < n && p[i + 1] == quote {            // "" is a quote
                                    if copy == nil { copy = [] }
                                    copy!.append(contentsOf: p[start..<i])
                                    copy!.append(quote)
                                    i += 2
                                    start = i
                                    continue
                                }
                                let contentEnd = i
                                i += 1
                                var tail = i                                  // text after the closing quote joins the field
                                while tail < n && p[tail] != delimiter && p[tail] != lf && p[tail] != cr {
                                    if p[tail] == 0 { throw nul(line) }
                                    tail += 1
                                }
                                if copy != nil || tail > i {
                                    if copy == nil { copy = [] }
                                    copy!.append(contentsOf: p[start..<contentEnd])
                                    copy!.append(contentsOf: p[i..<tail])
                                }
                                fields.append(Field(start: start, end: contentEnd, copy: copy, line: fieldLine))
                                i = tail
                                break
                            }
                            if b == lf || (b == cr && !(i + 1 < n && p[i + 1] == lf)) { line += 1 } else if b == 0 { throw nul(line) }
                            i += 1
                        }
                    } else {
                        let start = i
                        while i < n && p[i] != delimiter && p[i] != lf && p[i] != cr {
                            if p[i] == 0 { throw nul(line) }
                            i += 1
                        }
                        fields.append(Field(start: start, end: i, copy: nil, line: fieldLine))
                    }
                    if i < n && p[i] == delimiter { i += 1; continue }
                    if i < n {                                                // the record's line break
                        if p[i] == cr && i + 1 < n && p[i + 1] == lf { i += 1 }
                        i += 1
                        line += 1
                    }
                    break
                }
                // A blank line (one unquoted field, empty or all spaces) is not a record.
                if fields.count == 1 && !quotedField && p[fields[0].start..<fields[0].end].allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                    continue
                }
                records.append(Record(line: recordLine, fields: fields))
            }
            return records
        }
    }

    /// A field's bytes.
    @inline(__always)
    static func bytes(_ f: Field, in all: [UInt8]) -> ArraySlice<UInt8> {
        f.copy.map { $0[...] } ?? all[f.start..<f.end]
    }
}

/// A CSV or TSV file of labelled texts, read into columns.
struct CSVTextTable {
    var texts: [String] = []
    var labelFields: [String] = []

    /// Reads the `text` and `label` columns of every row after the header.
    init(bytes: [UInt8], file: String, text: LabelColumn, label: LabelColumn, delimiter: UInt8, header: Bool) throws {
        let records = try CSVRecords.parse(bytes, file: file, delimiter: delimiter)
        let sep = delimiter == 0x09 ? "tabs" : "'\(Character(Unicode.Scalar(delimiter)))'"
        guard let first = records.first else {
            throw DataError.malformed(file: file, problem: "the file is empty", at: nil,
                                      remedy: "give a header row and one text with its label per row, separated by \(sep)")
        }
        let width = first.fields.count
        let names: [String]? = header ? try first.fields.enumerated().map { k, f in
            try TextCheck.utf8(CSVRecords.bytes(f, in: bytes), file: file, line: f.line, column: k + 1, what: "header").trimmingSpaces
        } : nil
        let textCol = try Self.column(text, role: "text", names: names, width: width, file: file, line: first.line, delimiter: sep)
        let labelCol = try Self.column(label, role: "label", names: names, width: width, file: file, line: first.line, delimiter: sep)
        guard textCol != labelCol else {
            throw DataError.invalidArgument(problem: "the text and the label are the same column (\(textCol + 1))",
                                            remedy: "give the text and the label columns separately")
        }
        let rows = header ? records.dropFirst() : records[...]
        guard !rows.isEmpty else {
            throw DataError.malformed(file: file, problem: "the file has a header but no rows of data", at: .line(first.line + 1, column: nil),
                                      remedy: "add one text with its label per row after the header")
        }
        texts.reserveCapacity(rows.count)
        for r in rows {
            guard r.fields.count == width else {
                throw DataError.malformed(file: file, problem: "the row has \(r.fields.count) fields but the first row has \(width) (split on \(sep))",
                                          at: .line(r.line, column: nil),
                                          remedy: "give every row the same columns; quote fields that hold \(sep) or line breaks with \"")
            }
            let (tf, lf) = (r.fields[textCol], r.fields[labelCol])
            let t = try TextCheck.text(CSVRecords.bytes(tf, in: bytes), file: file, line: tf.line, column: textCol + 1)
            let l = try TextCheck.utf8(TextCheck.trimmed(CSVRecords.bytes(lf, in: bytes)), file: file, line: lf.line, column: labelCol + 1, what: "label")
            guard !l.isEmpty else {
                throw DataError.malformed(file: file, problem: "the label is missing", at: .line(lf.line, column: labelCol + 1),
                                          remedy: "give every row a label, or remove the row")
            }
            texts.append(t)
            labelFields.append(l)
        }
    }

    /// The 0-based index of a column given by name or index.
    static func column(_ c: LabelColumn, role: String, names: [String]?, width: Int, file: String, line: Int, delimiter: String) throws -> Int {
        switch c {
        case .index(let i):
            let j = i < 0 ? width + i : i
            guard j >= 0, j < width else {
                throw DataError.malformed(file: file, problem: "\(role) column \(i) is outside the \(width) columns (split on \(delimiter))",
                                          at: .line(line, column: nil), remedy: "give an index in 0..<\(width) (or -1 for the last)")
            }
            return j
        case .name(let name):
            guard let names = names else {
                throw DataError.invalidArgument(problem: "the \(role) column is named '\(name)' but the file is read without a header row",
                                                remedy: "give the column's index instead, or read the header")
            }
            if let j = names.firstIndex(of: name) ?? names.firstIndex(where: { $0.lowercased() == name.lowercased() }) { return j }
            throw DataError.malformed(file: file, problem: "no \(role) column named '\(name)'\(ColumnNames.closest(name, in: names)) (split on \(delimiter))",
                                      at: .line(line, column: nil), remedy: "columns: " + ColumnNames.list(names))
        case .auto:
            let wanted = role == "label" ? ["label", "labels", "class", "target", "y"]
                                         : ["text", "sentence", "review", "document", "body", "content"]
            guard let names = names, let j = names.firstIndex(where: { wanted.contains($0.lowercased()) }) else {
                throw DataError.malformed(file: file, problem: "cannot tell which column holds the \(role) (no header column named \(wanted.prefix(3).joined(separator: ", ")), ...)",
                                          at: .line(line, column: nil),
                                          remedy: "say which: \(role): \"name\" or \(role): 0 (a column index)" + (names.map { "; columns: " + ColumnNames.list($0) } ?? ""))
            }
            return j
        }
    }
}

/// Column names in messages: the closest to a mistyped name, and a short list.
enum ColumnNames {
    /// ` (closest: 'a', 'b')`, or empty when nothing is near.
    static func closest(_ name: String, in names: [String]) -> String {
        let lower = name.lowercased()
        let scored = names.map { ($0, editDistance(lower, $0.lowercased())) }
            .filter { $0.1 <= max(2, name.count / 2) }
            .sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        guard !scored.isEmpty else { return "" }
        return " (closest: " + scored.prefix(3).map { "'\($0.0)'" }.joined(separator: ", ") + ")"
    }

    static func list(_ names: [String]) -> String {
        names.prefix(12).map { "'\($0)'" }.joined(separator: ", ") + (names.count > 12 ? ", ..." : "")
    }

    /// Levenshtein distance on characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var prev = Array(0...b.count), cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }
}

/// Checks on text read from files: valid UTF-8, no longer than the limit.
enum TextCheck {
    /// The bytes as a string; an error naming the file and the line of the
    /// first byte that is not UTF-8 (lines counted from `line`).
    static func utf8(_ bytes: ArraySlice<UInt8>, file: String, line: Int, column: Int?, what: String) throws -> String {
        // Decoding replaces bad bytes with U+FFFD: valid text decodes back to the same bytes.
        var fast = String(decoding: bytes, as: UTF8.self)
        let same = fast.withUTF8 { a in
            bytes.withUnsafeBufferPointer { b -> Bool in
                guard a.count == b.count else { return false }
                for k in 0..<a.count where a[k] != b[k] { return false }
                return true
            }
        }
        if same { return fast }
        var it = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        var s = String.UnicodeScalarView()
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let u):
                s.append(u)
                offset += UTF8.width(u)
            case .emptyInput:
                break loop
            case .error:
                let bad = bytes.startIndex + min(offset, bytes.count)
                let at = line + bytes[..<bad].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                let shown = bytes[bad...].prefix(4).map { String($0, radix: 16, uppercase: true) }
                throw DataError.malformed(file: file, problem: "the \(what) is not valid UTF-8 (bytes \(shown.joined(separator: " ")))",
                                          at: .line(at, column: column),
                                          remedy: "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)")
            }
        }
        return String(s)
    }

    /// Without leading and trailing ASCII spaces, tabs and line breaks.
    static func trimmed(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        @inline(__always) func space(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        var a = s.startIndex, b = s.endIndex
        while a < b && space(s[a]) { a += 1 }
        while b > a && space(s[b - 1]) { b -= 1 }
        return s[a..<b]
    }

    /// `utf8`, then the length limit of `Dataset.maxTextBytes`; a text that is
    /// empty or only white space is an error too (a model would read nothing
    /// but [CLS] and [SEP], and it is almost always a shifted or broken row).
    static func text(_ bytes: ArraySlice<UInt8>, file: String, line: Int, column: Int?) throws -> String {
        guard bytes.count <= Dataset.maxTextBytes else {
            throw DataError.malformed(file: file, problem: "the text is \(bytes.count) bytes long, over the limit of \(Dataset.maxTextBytes)",
                                      at: .line(line, column: column), remedy: "shorten or split the text")
        }
        let text = try utf8(bytes, file: file, line: line, column: column, what: "text")
        if text.allSatisfy({ $0.isWhitespace }) {
            throw DataError.malformed(file: file, problem: text.isEmpty ? "the text is empty" : "the text is only white space",
                                      at: .line(line, column: column),
                                      remedy: "give every row a text, or remove the row (an empty text gives the model nothing to read)")
        }
        return text
    }
}
