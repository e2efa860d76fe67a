/// Texts and labels read from an ARFF file (Weka's attribute-relation file
/// format): a header of `@relation NAME`, `@attribute NAME TYPE` lines
/// (TYPE: `string`, `numeric`/`real`/`integer`, `date [FORMAT]` or a nominal
/// `{value, ...}`) and `@data`, then one instance per line with values
/// separated by commas. Keywords are case-insensitive, `%` starts a comment,
/// `?` is a missing value, and values may be single- or double-quoted with
/// backslash escapes (`\n`, `\t`, `\r`, `\'`, `\"`, `\\`, `\%`).
/// Sparse instances (`{index value, ...}`) are not read.
struct ARFFTextTable {
    enum AttributeType: Equatable {
        case string, numeric, date
        case nominal([String])

        var word: String {
            switch self {
            case .string: return "string"
            case .numeric: return "numeric"
            case .date: return "date"
            case .nominal(let v): return "nominal {" + v.prefix(6).joined(separator: ",") + (v.count > 6 ? ",..." : "") + "}"
            }
        }
    }

    struct Attribute {
        var name: String
        var type: AttributeType
    }

    var relation: String?
    var attributes: [Attribute] = []
    var texts: [String] = []
    var labels: [Int] = []
    var classNames: [String] = []
    /// The attributes read as the text and the label.
    var textAttribute = "", labelAttribute = ""

    /// Reads the file's header, then the `text` attribute (default: the first
    /// string attribute) and the `label` attribute (default: the last nominal
    /// one) of every instance.
    init(bytes: [UInt8], file: String, text: String? = nil, label: String? = nil) throws {
        var lines = ARFFLines(bytes: bytes)
        var sawAnything = false
        var dataLine: Int?
        // Header.
        while let (no, raw) = lines.next() {
            let line = ARFFLines.trimmed(raw)
            if line.isEmpty || line.first == 0x25 { if !line.isEmpty { sawAnything = true }; continue }   // blank or % comment
            sawAnything = true
            let textLine = try TextCheck.utf8(line, file: file, line: no, column: nil, what: "header line")
            guard line.first == 0x40 else {
                throw DataError.malformed(file: file, problem: "expected @relation, @attribute or @data but found '\(textLine.prefix(40))'",
                                          at: .line(no, column: nil), remedy: "the header declares attributes before @data; check that this is an ARFF file")
            }
            var scan = ARFFScanner(Array(line.dropFirst()), file: file, line: no)
            let keyword = scan.word().lowercased()
            switch keyword {
            case "relation":
                relation = try scan.name()
            case "attribute":
                let name = try scan.name()
                guard !name.isEmpty else {
                    throw DataError.malformed(file: file, problem: "@attribute without a name", at: .line(no, column: nil),
                                              remedy: "write @attribute NAME TYPE")
                }
                if attributes.contains(where: { $0.name == name }) {
                    throw DataError.malformed(file: file, problem: "attribute '\(name)' is declared twice", at: .line(no, column: nil),
                                              remedy: "give each attribute its own name")
                }
                attributes.append(Attribute(name: name, type: try scan.type()))
            case "data":
                dataLine = no
            default:
                throw DataError.malformed(file: file, problem: "unknown keyword '@\(keyword)'", at: .line(no, column: nil),
                                          remedy: "the header holds @relation, @attribute and @data lines")
            }
            if dataLine != nil { break }
        }
        guard sawAnything else {
            throw DataError.malformed(file: file, problem: "the file is empty", at: nil,
                                      remedy: "give an ARFF file: @relation, @attribute lines, @data and one instance per line")
        }
        guard let dataStart = dataLine else {
            throw DataError.malformed(file: file, problem: "the header has no @data line, so the file holds no instances",
                                      at: .line(lines.lineNo, column: nil), remedy: "add @data after the @attribute lines, then one instance per line")
        }
        // The two attributes to read.
        let names = attributes.map(\.name)
        func find(_ name: String, role: String) throws -> Int {
            if let i = names.firstIndex(of: name) ?? names.firstIndex(where: { $0.lowercased() == name.lowercased() }) { return i }
            throw DataError.malformed(file: file, problem: "no \(role) attribute named '\(name)'\(ColumnNames.closest(name, in: names))",
                                      at: nil, remedy: "attributes: " + ColumnNames.list(names))
        }
        let described = attributes.map { "'\($0.name)' (\($0.type.word))" }.prefix(8).joined(separator: ", ")
        let t: Int
        if let name = text {
            t = try find(name, role: "text")
            guard attributes[t].type == .string else {
                throw DataError.invalidArgument(problem: "attribute '\(attributes[t].name)' of \(file) is \(attributes[t].type.word), not string",
                                                remedy: "give a string attribute as the text; attributes: \(described)")
            }
        } else {
            guard let i = attributes.firstIndex(where: { $0.type == .string }) else {
                throw DataError.malformed(file: file, problem: "no string attribute to read as the text", at: nil,
                                          remedy: "texts are @attribute NAME string; attributes: \(described)")
            }
            t = i
        }
        let l: Int
        if let name = label {
            l = try find(name, role: "label")
        } else {
            guard let i = attributes.lastIndex(where: { if case .nominal = $0.type { return true }; return false }) else {
                throw DataError.malformed(file: file, problem: "no nominal attribute to read as the label", at: nil,
                                          remedy: "labels are @attribute NAME {class1, class2, ...}; attributes: \(described)")
            }
            l = i
        }
        guard case .nominal(let values) = attributes[l].type else {
            throw DataError.invalidArgument(problem: "attribute '\(attributes[l].name)' of \(file) is \(attributes[l].type.word), not nominal",
                                            remedy: "give a nominal attribute ({class1, class2, ...}) as the label; attributes: \(described)")
        }
        guard t != l else {
            throw DataError.invalidArgument(problem: "the text and the label are the same attribute '\(attributes[t].name)'",
                                            remedy: "give the text and the label attributes separately")
        }
        textAttribute = attributes[t].name
        labelAttribute = attributes[l].name
        classNames = values
        var classIndex: [String: Int] = [:]
        for (k, v) in values.enumerated() where classIndex[v] == nil { classIndex[v] = k }
        // Instances.
        var progress = ParseProgress(file: file, bytes: bytes.count)
        while let (no, raw) = lines.next() {
            try progress.line(at: lines.pos)
            let line = ARFFLines.trimmed(raw)
            if line.isEmpty || line.first == 0x25 { continue }
            if line.first == 0x7B {
                throw DataError.malformed(file: file, problem: "a sparse instance ({index value, ...}); only dense instances are read",
                                          at: .line(no, column: nil), remedy: "convert the file with Weka's SparseToNonSparse filter")
            }
            var scan = ARFFScanner(Array(line), file: file, line: no)
            let fields = try scan.values()
            guard fields.count == attributes.count else {
                throw DataError.malformed(file: file, problem: "the instance has \(fields.count) values but \(attributes.count) attributes are declared",
                                          at: .line(no, column: nil), remedy: "give one value per attribute, separated by commas (quote values that hold commas)")
            }
            guard let textBytes = fields[t] else {
                throw DataError.malformed(file: file, problem: "the text ('\(textAttribute)') is missing (?)", at: .line(no, column: t + 1),
                                          remedy: "give every instance a text, or remove it")
            }
            guard let labelBytes = fields[l] else {
                throw DataError.malformed(file: file, problem: "the label ('\(labelAttribute)') is missing (?)", at: .line(no, column: l + 1),
                                          remedy: "give every instance a label, or remove it")
            }
            let labelText = try TextCheck.utf8(labelBytes[...], file: file, line: no, column: l + 1, what: "label")
            guard let k = classIndex[labelText] else {
                throw DataError.malformed(file: file, problem: "label '\(labelText.prefix(40))' is not one of the values of '\(labelAttribute)'\(ColumnNames.closest(labelText, in: values))",
                                          at: .line(no, column: l + 1), remedy: "use a declared value: {\(values.prefix(12).joined(separator: ", "))\(values.count > 12 ? ", ..." : "")}")
            }
            texts.append(try TextCheck.text(textBytes[...], file: file, line: no, column: t + 1))
            labels.append(k)
        }
        guard !texts.isEmpty else {
            throw DataError.malformed(file: file, problem: "no instances after @data", at: .line(dataStart, column: nil),
                                      remedy: "add one instance per line after @data")
        }
    }
}

/// The lines of a file as byte slices, with 1-based numbers (LF, CRLF or CR
/// ends a line; a UTF-8 byte order mark is skipped).
struct ARFFLines {
    let bytes: [UInt8]
    var pos = 0
    var lineNo = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
        pos = utf8ByteOrderMarkLength(bytes)
    }

    mutating func next() -> (Int, ArraySlice<UInt8>)? {
        guard pos < bytes.count else { return nil }
        lineNo += 1
        var end = pos
        while end < bytes.count && bytes[end] != 0x0A && bytes[end] != 0x0D { end += 1 }
        let line = bytes[pos..<end]
        pos = end
        if pos < bytes.count && bytes[pos] == 0x0D {
            pos += 1
            if pos < bytes.count && bytes[pos] == 0x0A { pos += 1 }
        } else if pos < bytes.count {
            pos += 1                                   // the LF
        }
        return (lineNo, line)
    }

    /// Without leading and trailing spaces and tabs.
    static func trimmed(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var a = s.startIndex, b = s.endIndex
        while a < b && (s[a] == 0x20 || s[a] == 0x09) { a += 1 }
        while b > a && (s[b - 1] == 0x20 || s[b - 1] == 0x09) { b -= 1 }
        return s[a..<b]
    }
}

/// Reads the tokens of one ARFF line.
struct ARFFScanner {
    let b: [UInt8]
    var i = 0
    let file: String
    let line: Int

    init(_ bytes: [UInt8], file: String, line: Int) {
        b = bytes
        self.file = file
        self.line = line
    }

    mutating func skipSpaces() { while i < b.count && (b[i] == 0x20 || b[i] == 0x09) { i += 1 } }

    /// Letters up to a space: a keyword or a type word.
    mutating func word() -> String {
        skipSpaces()
        let s = i
        while i < b.count && b[i] != 0x20 && b[i] != 0x09 && b[i] != 0x7B && b[i] != 0x25 { i += 1 }
        return String(decoding: b[s..<i], as: UTF8.self)
    }

    /// A name: quoted (with escapes) or up to the next space.
    mutating func name() throws -> String {
        skipSpaces()
        if i < b.count && (b[i] == 0x27 || b[i] == 0x22) {
            return String(decoding: try quoted(column: nil), as: UTF8.self)
        }
        return word()
    }

    /// An attribute type after the name.
    mutating func type() throws -> ARFFTextTable.AttributeType {
        skipSpaces()
        guard i < b.count else {
            throw DataError.malformed(file: file, problem: "@attribute without a type", at: .line(line, column: nil),
                                      remedy: "give a type: string, numeric, date or {value1, value2, ...}")
        }
        if b[i] == 0x7B {
            i += 1
            var values: [String] = []
            while true {
                skipSpaces()
                guard i < b.count else {
                    throw DataError.malformed(file: file, problem: "a nominal value list '{' is not closed", at: .line(line, column: nil),
                                              remedy: "close it with '}' on the same line")
                }
                if b[i] == 0x7D && values.isEmpty { i += 1; break }
                var v: [UInt8]
                if b[i] == 0x27 || b[i] == 0x22 {
                    v = try quoted(column: nil)
                } else {
                    let s = i
                    while i < b.count && b[i] != 0x2C && b[i] != 0x7D { i += 1 }
                    v = Array(ARFFLines.trimmed(b[s..<i]))
                }
                values.append(String(decoding: v, as: UTF8.self))
                skipSpaces()
                guard i < b.count else { continue }
                if b[i] == 0x2C { i += 1; continue }
                if b[i] == 0x7D { i += 1; break }
                throw DataError.malformed(file: file, problem: "unexpected '\(Character(Unicode.Scalar(b[i])))' in a nominal value list",
                                          at: .line(line, column: nil), remedy: "separate values with commas; quote values that hold spaces or commas")
            }
            guard !values.isEmpty else {
                throw DataError.malformed(file: file, problem: "a nominal attribute with no values ({})", at: .line(line, column: nil),
                                          remedy: "list its values: {value1, value2, ...}")
            }
            return .nominal(values)
        }
        let w = word().lowercased()
        switch w {
        case "string": return .string
        case "numeric", "real", "integer": return .numeric
        case "date": return .date
        case "relational":
            throw DataError.malformed(file: file, problem: "relational attributes are not supported", at: .line(line, column: nil),
                                      remedy: "flatten the relation into plain attributes")
        default:
            throw DataError.malformed(file: file, problem: "unknown attribute type '\(w)'", at: .line(line, column: nil),
                                      remedy: "use string, numeric, real, integer, date or {value1, value2, ...}")
        }
    }

    /// A quoted token starting at `i`, with escapes resolved.
    mutating func quoted(column: Int?) throws -> [UInt8] {
        let q = b[i]
        i += 1
        var out: [UInt8] = []
        while i < b.count {
            let c = b[i]
            if c == q { i += 1; return out }
            if c == 0x5C && i + 1 < b.count {
                let e = b[i + 1]
                switch e {
                case 0x6E: out.append(0x0A)          // \n
                case 0x74: out.append(0x09)          // \t
                case 0x72: out.append(0x0D)          // \r
                case 0x27, 0x22, 0x5C, 0x25: out.append(e)   // \' \" \\ \%
                default: out += [0x5C, e]            // unknown escape: kept as written
                }
                i += 2
                continue
            }
            out.append(c)
            i += 1
        }
        let quoteChar = q == 0x27 ? "'" : "\""
        throw DataError.malformed(file: file, problem: "a value quoted with \(quoteChar) is not closed on this line", at: .line(line, column: column),
                                  remedy: "close the quote; write line breaks inside a value as \\n and quotes as \\\(quoteChar)")
    }

    /// The comma-separated values of an instance; nil for a missing value (?).
    mutating func values() throws -> [[UInt8]?] {
        var out: [[UInt8]?] = []
        while true {
            skipSpaces()
            if i < b.count && (b[i] == 0x27 || b[i] == 0x22) {
                out.append(try quoted(column: out.count + 1))
                skipSpaces()
            } else {
                let s = i
                while i < b.count && b[i] != 0x2C && b[i] != 0x25 { i += 1 }
                let v = ARFFLines.trimmed(b[s..<i])
                out.append(v.count == 1 && v.first == 0x3F ? nil : Array(v))
            }
            guard i < b.count, b[i] != 0x25 else { return out }   // end of line or a % comment
            guard b[i] == 0x2C else {
                throw DataError.malformed(file: file, problem: "unexpected text after the quoted value \(out.count)", at: .line(line, column: out.count),
                                          remedy: "separate values with commas")
            }
            i += 1
        }
    }
}
