/// What a ```lora cell's info string asks for, after the word `lora`:
///
/// - `error`: the cell is expected to fail; its diagnostic (after any output
///   printed before the failure) is the expected output. It is a failure if
///   the cell runs without an error.
/// - `skip-check`: the cell runs and its output is written, but `check` does
///   not compare it (outputs that vary from run to run).
///
/// Options may be separated by spaces or commas: ```lora error, skip-check.
public struct CellOptions: Equatable {
    public var expectsError = false
    public var skipCheck = false

    public static let known = ["error", "skip-check"]

    public init(expectsError: Bool = false, skipCheck: Bool = false) {
        self.expectsError = expectsError
        self.skipCheck = skipCheck
    }

    /// Parses option words; throws on an unknown one, naming the line.
    public init(words: [String], file: String, line: Int) throws {
        for w in words {
            switch w {
            case "error": expectsError = true
            case "skip-check", "skip_check", "nocheck": skipCheck = true
            default:
                throw NotebookError("unknown cell option '\(w)'", file: file, line: line,
                                    remedy: "options after `lora` are: " + CellOptions.known.joined(separator: ", "))
            }
        }
    }
}
