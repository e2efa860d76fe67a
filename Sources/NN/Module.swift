import Tensor

/// A piece of a network that owns parameters (trainable or frozen tensors) and
/// child modules. Parameters are plain `Tensor`s: trainable ones have
/// `requiresGrad == true`, frozen ones `false` (they then receive no gradient and
/// no optimizer state).
public protocol Module: AnyObject {
    /// This module's own parameters, by local name (e.g. "weight").
    var localParameters: [(name: String, tensor: Tensor)] { get }
    /// Child modules, by local name (e.g. "attn", "blocks.0").
    var children: [(name: String, module: Module)] { get }
}

extension Module {
    public var localParameters: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: Module)] { [] }

    /// Every parameter of this module and its children, with dotted names
    /// ("blocks.0.attn.q.weight"), in a fixed order.
    public func namedParameters(prefix: String = "") -> [(name: String, tensor: Tensor)] {
        var out: [(name: String, tensor: Tensor)] = []
        for (n, t) in localParameters { out.append((prefix + n, t)) }
        for (n, m) in children { out += m.namedParameters(prefix: prefix + n + ".") }
        return out
    }

    /// Every parameter tensor (trainable and frozen).
    public func parameters() -> [Tensor] { namedParameters().map { $0.tensor } }

    /// The parameters an optimizer should update.
    public func trainableParameters() -> [Tensor] { parameters().filter { $0.requiresGrad } }

    /// Freezes every parameter: no gradient, no optimizer state.
    public func freeze() { for p in parameters() { p.requiresGrad = false; p.grad = nil } }

    /// Makes every parameter trainable.
    public func unfreeze() { for p in parameters() { p.requiresGrad = true } }

    /// Number of scalar parameters (trainable and frozen).
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    /// Number of trainable scalar parameters.
    public var trainableParameterCount: Int { trainableParameters().reduce(0) { $0 + $1.count } }

    /// Sets each parameter's `label` to its dotted name (used in error messages).
    public func labelParameters(prefix: String = "") {
        for (n, t) in namedParameters(prefix: prefix) { t.label = n }
    }

    /// A copy of every parameter's values, by dotted name.
    public func stateDict() -> [String: Tensor] {
        var d: [String: Tensor] = [:]
        for (n, t) in namedParameters() { d[n] = t.detached() }
        return d
    }

    /// Copies values into this module's parameters by dotted name. Every
    /// parameter must be present with the same shape (unless `strict` is false,
    /// then missing names are skipped); extra names are an error when strict.
    public func loadStateDict(_ state: [String: Tensor], strict: Bool = true, source: String = "state") throws {
        let named = namedParameters()
        var seen = Set<String>()
        for (n, t) in named {
            guard let s = state[n] else {
                if strict { throw NNError.missingParameter(name: n, source: source) }
                continue
            }
            guard s.shape == t.shape else {
                throw NNError.parameterShape(name: n, expected: t.shape, found: s.shape, source: source)
            }
            t.data = s.data
            seen.insert(n)
        }
        if strict {
            let extra = Set(state.keys).subtracting(seen)
            if let first = extra.sorted().first {
                throw NNError.unexpectedParameter(name: first, source: source)
            }
        }
    }
}

/// Makes a fresh trainable parameter tensor.
@inline(__always)
func parameter(_ t: Tensor) -> Tensor {
    t.requiresGrad = true
    return t
}
