import Files

/// `write_text`: small text files (a CSV, an ARFF, a config) made from the
/// language, so a notebook can make the files it then loads.
enum FileBuiltins {
    /// More than this is not a "small text file"; write it with another tool.
    static let maxBytes = 64 << 20

    static func install(_ t: BuiltinTable) {
        t.register(Help("write_text", [.positional("path", "the file to write (replaced when it exists)"),
                                       .positional("text", "a string, or a list of strings written one per line (each line ends in a newline)")],
                        summary: "Writes text to a file as UTF-8, atomically (a temporary file renamed over the old one; a directory, device or read-only file is refused). For making small files to load: CSV, TSV, ARFF.",
                        example: "write_text(\"pets.csv\", [\"text,label\", \"\\\"a purring cat\\\",cat\", \"a barking dog,dog\"])\nload_csv(\"pets.csv\", text: \"text\", label: \"label\")",
                        returns: "the path written")) { args, _ in
            let path = try Domain.path(args, "path")
            let text: String
            switch try args.value("text") {
            case .string(let s):
                text = s
            case .list(let items):
                text = try items.enumerated().map { i, v -> String in
                    guard case .string(let s) = v else {
                        throw args.error("text", "write_text writes strings, but item \(i) of the list is \(v.typeWithArticle)",
                                         remedy: "turn it into text first, e.g. str(x)")
                    }
                    return s + "\n"
                }.joined()
            case let other:
                throw args.error("text", "write_text needs a string or a list of strings, not \(other.typeWithArticle)",
                                 remedy: "e.g. write_text(\"a.csv\", \"x,y\\n1,2\\n\") or write_text(\"a.csv\", [\"x,y\", \"1,2\"])")
            }
            guard text.utf8.count <= maxBytes else {
                throw args.error("text", "the text is \(text.utf8.count) bytes, more than write_text's limit of \(maxBytes)",
                                 remedy: "write large files with another tool")
            }
            try AtomicFile.write(text, to: path)
            return .string(path)
        }
    }
}
