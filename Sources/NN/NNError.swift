/// Errors a user of models, ensembles and training can cause. Every message
/// says what was wrong, where, and what to do.
public enum NNError: Error, CustomStringConvertible {
    case invalidConfiguration(String)
    case missingParameter(name: String, source: String)
    case unexpectedParameter(name: String, source: String)
    case parameterShape(name: String, expected: [Int], found: [Int], source: String)
    case dataMismatch(String)
    case nonFiniteLoss(epoch: Int, step: Int, value: Float)
    case nonFiniteGradient(epoch: Int, step: Int)
    case notTrained(String)
    case checkpoint(path: String, detail: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let s):
            return "invalid model configuration: \(s)"
        case .missingParameter(let n, let src):
            return "parameter '\(n)' is missing from \(src); load a checkpoint saved from a model of the same architecture"
        case .unexpectedParameter(let n, let src):
            return "\(src) holds parameter '\(n)' that this model does not have; the checkpoint was saved from a different architecture"
        case .parameterShape(let n, let e, let f, let src):
            return "parameter '\(n)' in \(src) has shape \(f) but the model expects \(e); build the model with the sizes the checkpoint was saved with"
        case .dataMismatch(let s):
            return "data does not fit the model: \(s)"
        case .nonFiniteLoss(let e, let s, let v):
            return "training stopped: the loss became \(v) at epoch \(e + 1), step \(s + 1); the parameters were restored to the last good values. Lower the learning rate (or check the inputs for NaN/inf)"
        case .nonFiniteGradient(let e, let s):
            return "training stopped: the gradient became NaN or infinite at epoch \(e + 1), step \(s + 1); the parameters were restored to the last good values. Lower the learning rate (or check the inputs for NaN/inf)"
        case .notTrained(let s):
            return s
        case .checkpoint(let p, let d):
            return "checkpoint '\(p)': \(d)"
        }
    }
}
