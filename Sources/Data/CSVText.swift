/// CSV and TSV files of texts, read as RFC 4180 records: a field may be
/// double-quoted, a quote inside it is written "", and a quoted field may hold
/// delimiters and line breaks. Records end at LF, CRLF or CR. Outside quotes a
/// quote character is kept as it is, and text after a closing quote is joined
/// to the field (as Python's csv module does). Blank lines are skipped.
struct CSVRecords {
    /// One record: the line it starts on and its fields' raw (unquoted) bytes,
    /// with the line each field starts on.
    struct Record {
        var line: Int
        var fields: [[UInt8]]
        var fieldLines: [Int]
    }

    /// Splits `bytes` into records. A UTF-8 byte order mark is skipped.
    /// A NUL byte or a quote still open at the end of the file is an error.
    static func parse(_ bytes: [UInt8], file: String, delimiter: UInt8) throws -> [Record] {
        var records: [Record] = []
        let n = bytes.count
        var i = (n >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) ? 3 : 0
        var line = 1
        var fields: [[UInt8]] = []
        var fieldLines: [Int] = []
        var field: [UInt8] = []
        var fieldLine = 1
        var recordLine = 1
        var inRecord = false
        var quoted = false           // inside a quoted field
        var atFieldStart = true      // no byte of the current field read yet
        var quoteLine = 0, quoteColumn = 0

        func endField() {
            fields.append(field)
            fieldLines.append(fieldLine)
            field.removeAll(keepingCapacity: true)
        }
        func endRecord() {
            endField()
            // A blank line (one empty or all-space field) is not a record.
            if !(fields.count == 1 && fields[0].allSatisfy({ $0 == 0x20 || $0 == 0x09 })) {
                records.append(Record(line: recordLine, fields: fields, fieldLines: fieldLines))
            }
            fields.removeAll(keepingCapacity: true)
            fieldLines.removeAll(keepingCapacity: true)
            inRecord = false
        }
        while i < n {
            let b = bytes[i]
            if b == 0 {
                throw DataError.malformed(file: file, problem: "the file holds a NUL byte (a binary file, not CSV text?)",
                                          at: .line(line, column: nil), remedy: "give a plain-text CSV or TSV file in UTF-8")
            }
            if !inRecord {
                inRecord = true
                recordLine = line
                fieldLine = line
            }
            if quoted {
                if b == 0x22 {
                    if i + 1 < n && bytes[i + 1] == 0x22 { field.append(0x22); i += 2; continue }
                    quoted = false
                } else {
                    if b == 0x0A || (b == 0x0D && !(i + 1 < n && bytes[i + 1] == 0x0A)) { line += 1 }
                    field.append(b)
                }
                i += 1
                continue
            }
            switch b {
            case 0x22 where atFieldStart:
                atFieldStart = false
                quoted = true
                quoteLine = line
                quoteColumn = fields.count + 1
            case delimiter:
                endField()
                fieldLine = line
                atFieldStart = true
            case 0x0A:
                endRecord()
                line += 1
                atFieldStart = true
            case 0x0D:
                endRecord()
                line += 1
                atFieldStart = true
                if i + 1 < n && bytes[i + 1] == 0x0A { i += 1 }
            default:
                field.append(b)
                atFieldStart = false
            }
            i += 1
        }
        if quoted {
            throw DataError.malformed(file: file, problem: "a quoted field opened here is never closed",
                                      at: .line(quoteLine, column: quoteColumn),
                                      remedy: "close the quote with \" (write a quote inside a quoted field as \"\")")
        }
        if inRecord { endRecord() }
        return records
    }
}

/// A CSV or TSV file of labelled texts, read into columns.
struct CSVTextTable {
    var texts: [String] = []
    var labelFields: [String] = []
    /// The line each kept row starts on (for errors found after parsing).
    var lines: [Int] = []

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
            try TextCheck.utf8(f, file: file, line: first.fieldLines[k], column: k + 1, what: "header").trimmingSpaces
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
            let t = try TextCheck.text(r.fields[textCol], file: file, line: r.fieldLines[textCol], column: textCol + 1)
            let l = try TextCheck.utf8(r.fields[labelCol], file: file, line: r.fieldLines[labelCol], column: labelCol + 1, what: "label").trimmingSpaces
            guard !l.isEmpty else {
                throw DataError.malformed(file: file, problem: "the label is missing", at: .line(r.fieldLines[labelCol], column: labelCol + 1),
                                          remedy: "give every row a label, or remove the row")
            }
            texts.append(t)
            labelFields.append(l)
            lines.append(r.line)
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
    static func utf8(_ bytes: [UInt8], file: String, line: Int, column: Int?, what: String) throws -> String {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
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
                let at = line + bytes[..<min(offset, bytes.count)].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                let shown = bytes[min(offset, bytes.count)...].prefix(4).map { String($0, radix: 16, uppercase: true) }
                throw DataError.malformed(file: file, problem: "the \(what) is not valid UTF-8 (bytes \(shown.joined(separator: " ")))",
                                          at: .line(at, column: column),
                                          remedy: "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)")
            }
        }
        return String(s)
    }

    /// `utf8`, then the length limit of `Dataset.maxTextBytes`.
    static func text(_ bytes: [UInt8], file: String, line: Int, column: Int?) throws -> String {
        guard bytes.count <= Dataset.maxTextBytes else {
            throw DataError.malformed(file: file, problem: "the text is \(bytes.count) bytes long, over the limit of \(Dataset.maxTextBytes)",
                                      at: .line(line, column: column), remedy: "shorten or split the text")
        }
        return try utf8(bytes, file: file, line: line, column: column, what: "text")
    }
}
