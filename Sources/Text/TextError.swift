/// An error in a tokenizer's files or vocabulary. The description names the
/// file (and line, when known), what is wrong with it, and what to do.
public struct TextError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file the problem is in; nil for a vocabulary given in memory.
    public var file: String?
    /// The 1-based line the problem is on, when it is on one line.
    public var line: Int?
    /// What is wrong.
    public var problem: String
    /// What to do about it.
    public var remedy: String

    public init(file: String?, line: Int? = nil, problem: String, remedy: String) {
        self.file = file
        self.line = line
        self.problem = problem
        self.remedy = remedy
    }

    public var description: String {
        let place = (file ?? "the vocabulary") + (line.map { ", line \($0)" } ?? "")
        return "\(place): \(problem); \(remedy)"
    }
}
