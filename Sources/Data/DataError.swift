/// Where in a file a problem was found.
public enum DataLocation: Equatable, Sendable, CustomStringConvertible {
    /// A byte offset from the start of the file (of the decompressed stream for gzip files).
    case byte(Int)
    /// A 1-based line and, when known, a 1-based column (field) number.
    case line(Int, column: Int?)
    /// A 0-based entry (sample) index.
    case entry(Int)

    public var description: String {
        switch self {
        case .byte(let b): return "byte \(b)"
        case .line(let l, let c?): return "line \(l), column \(c)"
        case .line(let l, nil): return "line \(l)"
        case .entry(let e): return "entry \(e)"
        }
    }
}

/// Every error the Data layer reports. The description names the file, what
/// was wrong, where (byte offset, line or entry) and the remedy.
public enum DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path does not exist.
    case missingFile(path: String, remedy: String)
    /// The path exists but is a directory (or another non-regular file).
    case notAFile(path: String)
    /// The file exists but could not be read (permissions, I/O error).
    case unreadable(path: String, reason: String)
    /// The file's contents are corrupt, truncated or in an unsupported form.
    case malformed(file: String, problem: String, at: DataLocation?, remedy: String)
    /// Two files that belong together disagree (e.g. image and label counts).
    case mismatch(files: [String], problem: String, remedy: String)
    /// A built-in data set needs files that are not installed.
    case missingDataset(name: String, searched: [String], remedy: String)
    /// `Datasets.load` was given a name it does not know.
    case unknownDataset(name: String, known: [String])
    /// A call's argument is out of range or inconsistent with the data.
    case invalidArgument(problem: String, remedy: String)

    public var description: String {
        switch self {
        case .missingFile(let path, let remedy):
            return "\(path): no such file; \(remedy)"
        case .notAFile(let path):
            return "\(path): is a directory, not a file; give the path of a file inside it"
        case .unreadable(let path, let reason):
            return "\(path): cannot be read (\(reason)); check the file's permissions"
        case .malformed(let file, let problem, let at, let remedy):
            let place = at.map { " at \($0)" } ?? ""
            return "\(file)\(place): \(problem); \(remedy)"
        case .mismatch(let files, let problem, let remedy):
            return "\(files.joined(separator: " and ")): \(problem); \(remedy)"
        case .missingDataset(let name, let searched, let remedy):
            return "data set '\(name)' is not installed (looked in \(searched.joined(separator: ", "))); \(remedy)"
        case .unknownDataset(let name, let known):
            return "unknown data set '\(name)'; known: \(known.joined(separator: ", "))"
        case .invalidArgument(let problem, let remedy):
            return "\(problem); \(remedy)"
        }
    }
}
