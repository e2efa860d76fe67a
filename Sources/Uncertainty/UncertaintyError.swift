/// An error a caller can cause by handing the metrics malformed input.
/// Every message says what was wrong, where, and what to do about it.
public enum UncertaintyError: Error, CustomStringConvertible, Equatable {
    /// Dimensions that are zero/negative or do not match the number of values.
    case shape(String)
    /// A probability that is negative, not finite, or a row that does not sum to 1.
    case probability(String)
    /// A label outside 0..<classes, or a label count that differs from the sample count.
    case labels(String)
    /// A parameter (bin count, score list) that cannot be used.
    case argument(String)

    public var description: String {
        switch self {
        case .shape(let m): return "shape error: \(m)"
        case .probability(let m): return "probability error: \(m)"
        case .labels(let m): return "label error: \(m)"
        case .argument(let m): return "argument error: \(m)"
        }
    }
}
