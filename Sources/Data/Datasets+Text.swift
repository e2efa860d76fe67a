#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Text data sets: users' CSV, TSV and ARFF files, and the built-in
/// Reuters-21578 topics and fortunes.
extension Datasets {
    // MARK: users' files

    /// Loads labelled texts from a CSV or TSV file (RFC 4180: quoted fields
    /// may hold delimiters, "" quotes and line breaks). `text` and `label`
    /// pick the columns by header name or index (`.auto`: a header column
    /// named text, sentence, review, ... / label, class, target, y).
    /// `delimiter`: nil for a tab in .tsv files and a comma otherwise.
    /// Labels that are all whole numbers 0...65535 are class indices (class
    /// names "0", "1", ...); otherwise the distinct labels, sorted, are the
    /// class names.
    public static func loadTextCSV(_ path: String, text: LabelColumn = .auto, label: LabelColumn = .auto,
                                   delimiter: Character? = nil, header: Bool = true, name: String? = nil) throws -> Dataset {
        let sep: UInt8
        if let d = delimiter {
            guard let a = d.asciiValue, a != 0x22, a != 0x0A, a != 0x0D else {
                throw DataError.invalidArgument(problem: "delimiter \(String(reflecting: String(d))) is not one ASCII character other than a quote or a line break",
                                                remedy: "use \",\", \"\\t\" or \";\"")
            }
            sep = a
        } else {
            let lower = path.lowercased()
            sep = lower.hasSuffix(".tsv") || lower.hasSuffix(".tsv.gz") || lower.hasSuffix(".tab") ? 0x09 : 0x2C
        }
        let table = try CSVTextTable(bytes: FileBytes.read(path), file: path, text: text, label: label, delimiter: sep, header: header)
        let (labels, classNames) = try textClasses(table.labelFields, file: path)
        return Dataset(unchecked: name ?? textBaseName(path), texts: table.texts, labels: labels, classNames: classNames)
    }

    /// Loads labelled texts from an ARFF file: the `text` attribute (default:
    /// the first string attribute) and the nominal `label` attribute (default:
    /// the last nominal one), whose declared values are the class names.
    public static func loadARFF(_ path: String, text: String? = nil, label: String? = nil, name: String? = nil) throws -> Dataset {
        let t = try ARFFTextTable(bytes: FileBytes.read(path), file: path, text: text, label: label)
        return Dataset(unchecked: name ?? textBaseName(path), texts: t.texts, labels: t.labels, classNames: t.classNames)
    }

    /// Class indices for label texts: whole numbers 0...65535 stand for
    /// themselves (names "0"..."max"), anything else is sorted into names.
    static func textClasses(_ fields: [String], file: String) throws -> (labels: [Int], classNames: [String]) {
        let numbers = fields.map { f -> Int? in
            guard !f.isEmpty, f.utf8.count <= 5, f.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int(f).flatMap { $0 <= 65535 ? $0 : nil }
        }
        if numbers.allSatisfy({ $0 != nil }) {
            let labels = numbers.map { $0! }
            return (labels, (0...(labels.max() ?? 0)).map(String.init))
        }
        let names = Array(Set(fields)).sorted()
        var index: [String: Int] = [:]
        for (k, n) in names.enumerated() { index[n] = k }
        if names.count > 65536 {
            throw DataError.malformed(file: file, problem: "\(names.count) distinct labels", at: nil,
                                      remedy: "the label column should hold class names; check the column choice")
        }
        return (fields.map { index[$0]! }, names)
    }

    static func textBaseName(_ path: String) -> String {
        var s = Substring(path.split(separator: "/").last ?? Substring(path))
        for ext in [".gz", ".csv", ".tsv", ".tab", ".txt", ".arff"] where s.lowercased().hasSuffix(ext) { s = s.dropLast(ext.count) }
        return String(s)
    }

    // MARK: Reuters-21578

    /// Where Debian's `weka` package puts its example ARFF files.
    public static let reutersSystemDirectory = "/usr/share/doc/weka/examples"
    /// The Reuters topics shipped as ARFF files, and their files' stems.
    static let reutersTopics = ["grain": "ReutersGrain", "corn": "ReutersCorn"]

    /// The folders searched for the Reuters ARFF files, in order: `$LORA_DATA`
    /// and `$LORA_DATA/reuters` when set, `~/.cache/lora/data/reuters`
    /// (where the set-up scripts put them), then Debian's weka examples.
    public static func reutersSearchPath() -> [String] {
        var dirs: [String] = []
        if let env = getenv("LORA_DATA"), case let d = String(cString: env), !d.isEmpty {
            dirs += [d, d + "/reuters"]
        }
        if let home = getenv("HOME"), case let h = String(cString: home), !h.isEmpty {
            dirs.append(h + "/.cache/lora/data/reuters")
        }
        dirs.append(reutersSystemDirectory)
        return dirs
    }

    /// A Reuters-21578 ModApte binary topic task ("grain" or "corn"): the
    /// training then the test articles of Weka's Reuters{Grain,Corn}-{train,test}.arff,
    /// with `officialTestStart` at the first test article, classes
    /// ["other", topic] (0 = not about the topic). Cached per folder.
    public static func reuters(_ topic: String, directory: String? = nil) throws -> Dataset {
        guard let stem = reutersTopics[topic] else {
            throw DataError.unknownDataset(name: "reuters-" + topic, known: reutersTopics.keys.sorted().map { "reuters-" + $0 })
        }
        let name = "reuters-" + topic
        let files = [stem + "-train.arff", stem + "-test.arff"]
        let dirs = directory.map { [$0] } ?? reutersSearchPath()
        guard let dir = dirs.first(where: { d in files.allSatisfy { isFile(d + "/" + $0) } }) else {
            throw DataError.missingDataset(name: name, searched: dirs,
                                           remedy: "./scripts/test and ./scripts/run fetch them (apt-get download weka, then dpkg -x; Java is not needed), "
                                               + "or install Debian's weka package, or set LORA_DATA to a folder holding " + files.joined(separator: " and "))
        }
        let key = name + ":" + dir
        if let d = cache.get(key) { return d }
        let parts = try files.map { f -> ARFFTextTable in
            let path = dir + "/" + f
            let t = try ARFFTextTable(bytes: FileBytes.read(path), file: path)
            guard t.classNames == ["0", "1"] else {
                throw DataError.malformed(file: path, problem: "the label attribute '\(t.labelAttribute)' has values {\(t.classNames.joined(separator: ","))}, not {0,1}",
                                          at: nil, remedy: "reinstall the files from Debian's weka package (./scripts/test does)")
            }
            return t
        }
        let d = Dataset(unchecked: name, texts: parts[0].texts + parts[1].texts, labels: parts[0].labels + parts[1].labels,
                        classNames: ["other", topic], officialTestStart: parts[0].texts.count)
        cache.put(key, d)
        return d
    }

    // MARK: fortunes

    /// Where Debian's `fortunes-min` package puts its quotations.
    public static let fortunesSystemFile = "/usr/share/games/fortunes/fortunes"

    /// The files searched for the fortunes, in order.
    public static func fortunesSearchPath() -> [String] {
        var files: [String] = []
        if let env = getenv("LORA_DATA"), case let d = String(cString: env), !d.isEmpty {
            files += [d + "/fortunes", d + "/fortunes/fortunes"]
        }
        files.append(fortunesSystemFile)
        return files
    }

    /// The quotations of a fortune file (entries separated by lines holding
    /// only '%'), one text each, all of the single class "fortune": an
    /// out-of-distribution set for text models. Overstruck characters
    /// (x BACKSPACE y) are resolved to what a terminal shows.
    public static func fortunes(file: String? = nil) throws -> Dataset {
        let files = file.map { [$0] } ?? fortunesSearchPath()
        guard let path = files.first(where: isFile) else {
            throw DataError.missingDataset(name: "fortunes", searched: files,
                                           remedy: "install it with `sudo apt-get install fortunes-min` (./scripts/test does), or set LORA_DATA to a folder holding a file 'fortunes'")
        }
        let key = "fortunes:" + path
        if let d = cache.get(key) { return d }
        let texts = try fortuneEntries(FileBytes.read(path), file: path)
        guard !texts.isEmpty else {
            throw DataError.malformed(file: path, problem: "holds no quotations", at: nil,
                                      remedy: "give a file of quotations separated by lines holding only %")
        }
        let d = Dataset(unchecked: "fortunes", texts: texts, labels: [Int](repeating: 0, count: texts.count), classNames: ["fortune"])
        cache.put(key, d)
        return d
    }

    /// Splits a fortune file into its entries.
    static func fortuneEntries(_ bytes: [UInt8], file: String) throws -> [String] {
        var out: [String] = []
        var entry: [UInt8] = []
        var entryLine = 1
        var lineNo = 0
        func flush() throws {
            while let last = entry.last, last == 0x0A || last == 0x20 || last == 0x09 || last == 0x0D { entry.removeLast() }
            if !entry.isEmpty { out.append(try TextCheck.text(entry[...], file: file, line: entryLine, column: nil)) }
            entry.removeAll(keepingCapacity: true)
        }
        var progress = ParseProgress(file: file, bytes: bytes.count)
        var position = 0
        for raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNo += 1
            position += raw.count + 1
            try progress.line(at: min(position, bytes.count))
            var line = Array(raw)
            if line.last == 0x0D { line.removeLast() }
            if line == [0x25] {
                try flush()
                entryLine = lineNo + 1
                continue
            }
            // Overstrikes: a backspace removes the character before it.
            if line.contains(0x08) {
                var kept: [UInt8] = []
                for b in line {
                    if b == 0x08 {
                        while let last = kept.popLast(), last & 0xC0 == 0x80 {}   // a whole UTF-8 sequence
                    } else {
                        kept.append(b)
                    }
                }
                line = kept
            }
            if entry.isEmpty && line.isEmpty { entryLine = lineNo + 1; continue }
            entry += line
            entry.append(0x0A)
        }
        try flush()
        return out
    }
}
