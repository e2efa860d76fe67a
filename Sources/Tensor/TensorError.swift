// Errors the engine throws. Every message names the op and the shapes involved,
// so the language layer can report them and keep the REPL alive.

/// An error raised by a tensor op on misuse (wrong shapes, bad arguments, absurd sizes).
public enum TensorError: Error, CustomStringConvertible, Equatable {
    /// The shapes given to `op` do not fit together.
    case shapeMismatch(op: String, shapes: [[Int]], detail: String)
    /// An argument of `op` is out of range or otherwise invalid.
    case invalidArgument(op: String, detail: String)
    /// `op` would create a tensor with `elements` elements, more than the engine allows.
    case tooLarge(op: String, elements: Int)
    /// `op` needs a single-element tensor but got `shape`.
    case notScalar(op: String, shape: [Int])

    public var description: String {
        switch self {
        case let .shapeMismatch(op, shapes, detail):
            let s = shapes.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" }.joined(separator: " and ")
            return "\(op): shape mismatch between \(s): \(detail)"
        case let .invalidArgument(op, detail):
            return "\(op): invalid argument: \(detail)"
        case let .tooLarge(op, elements):
            return "\(op): refusing to create a tensor of \(elements) elements (limit \(Tensor.maxElements)); use smaller shapes"
        case let .notScalar(op, shape):
            return "\(op): expected a single-element tensor, got shape \(shapeString(shape)); reduce it first (e.g. sum() or mean())"
        }
    }
}

/// "[2, 3]" for messages.
@inline(never)
func shapeString(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
