/// A scope of variables: the session's globals, a function call, or a block.
public final class Environment {
    public private(set) var values: [String: Value] = [:]
    public let parent: Environment?

    public init(parent: Environment? = nil) {
        self.parent = parent
    }

    /// Binds `name` in this scope (`let`); rebinding in the same scope replaces it.
    public func define(_ name: String, _ value: Value) {
        values[name] = value
    }

    public func lookup(_ name: String) -> Value? {
        var env: Environment? = self
        while let e = env {
            if let v = e.values[name] { return v }
            env = e.parent
        }
        return nil
    }

    /// Rebinds an existing `name` in the nearest scope that has it; false if none.
    public func assign(_ name: String, _ value: Value) -> Bool {
        var env: Environment? = self
        while let e = env {
            if e.values[name] != nil { e.values[name] = value; return true }
            env = e.parent
        }
        return false
    }

    /// Every visible name, innermost first.
    public var visibleNames: [String] {
        var names: [String] = []
        var env: Environment? = self
        while let e = env { names += e.values.keys; env = e.parent }
        return names
    }

    public func removeAll() { values.removeAll() }
}
