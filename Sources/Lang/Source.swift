import Synchronization

/// A piece of lora source text with a name, as diagnostics show it: a script
/// path, `-e`, or `<repl>`. The REPL keeps one growing virtual file and appends
/// each entry, so line numbers stay meaningful across entries.
public final class SourceFile: Sendable {
    /// The name printed in diagnostics (`FILE:LINE:COL`).
    public let name: String
    /// Locked: errors carry the file to other threads (evaluation runs on a deep stack).
    private let storage = Mutex<[String]>([])

    /// The lines of the file so far, without line terminators.
    public var lines: [String] { storage.withLock { $0 } }

    public init(name: String, text: String = "") {
        self.name = name
        if !text.isEmpty { _ = append(text) }
    }

    /// Appends `text` as new lines and returns the 1-based number of its first line.
    @discardableResult
    public func append(_ text: String) -> Int {
        // Split on the scalar, not the Character: "\r\n" is one Character in Swift.
        var parts = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { String(String.UnicodeScalarView($0)) }
        if parts.count > 1 && parts.last == "" { parts.removeLast() }
        return storage.withLock { lines in
            let first = lines.count + 1
            lines.append(contentsOf: parts.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 })
            return first
        }
    }

    /// The text of 1-based line `n`, or nil when out of range.
    public func line(_ n: Int) -> String? {
        storage.withLock { lines in n >= 1 && n <= lines.count ? lines[n - 1] : nil }
    }
}

/// A position in a source file: 1-based line and column (columns count Unicode scalars).
public struct SourceLocation: CustomStringConvertible, Sendable {
    public let file: SourceFile
    public let line: Int
    public let column: Int

    public init(file: SourceFile, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file.name):\(line):\(column)" }
}
