import Foundation

// Reverse-mode autograd, micrograd style: every op output remembers its inputs
// and a closure that pushes its gradient to them. backward() walks the graph
// in reverse topological order. Gradients of leaves accumulate until zeroed;
// gradients of intermediate results are released once propagated (as in torch).

/// Per-thread grad mode, so evaluation under `noGrad` on one thread never
/// switches off graph recording for training on another.
private let gradModeKey: pthread_key_t = {
    var key = pthread_key_t()
    _ = pthread_key_create(&key) { raw in raw?.deallocate() }
    return key
}()

extension Tensor {
    /// This thread's grad-mode flag (created on first use, true).
    private static var gradModeSlot: UnsafeMutablePointer<Bool> {
        if let raw = pthread_getspecific(gradModeKey) { return raw.assumingMemoryBound(to: Bool.self) }
        let slot = UnsafeMutablePointer<Bool>.allocate(capacity: 1)
        slot.initialize(to: true)
        _ = pthread_setspecific(gradModeKey, slot)
        return slot
    }

    private static var gradEnabled: Bool {
        get { gradModeSlot.pointee }
        set { gradModeSlot.pointee = newValue }
    }

    /// Whether ops on this thread currently record the graph (false inside `noGrad`).
    public static var isGradEnabled: Bool { gradEnabled }

    /// Runs `body` without recording any graph (evaluation). Applies to the calling thread.
    public static func noGrad<T>(_ body: () throws -> T) rethrows -> T {
        let slot = gradModeSlot
        let saved = slot.pointee
        slot.pointee = false
        defer { slot.pointee = saved }
        return try body()
    }

    /// Builds an op's output. The graph link (and `backward`) is kept only when
    /// grad mode is on and some input requires a gradient.
    @inline(__always)
    static func result(_ shape: [Int], _ data: [Float], _ parents: [Tensor], _ category: ProfileCategory = .backwardOther,
                       _ backward: @escaping (Tensor) -> Void) -> Tensor {
        let t = Tensor(shape, data)
        if gradEnabled {
            for p in parents where p.requiresGrad {
                t.requiresGrad = true
                t.parents = parents
                t.backwardFn = backward
                t.profileCategory = category
                break
            }
        }
        return t
    }

    /// True when an op's inputs need a graph (so the op should save what backward needs).
    @inline(__always)
    static func needsGraph(_ ts: Tensor...) -> Bool {
        guard gradEnabled else { return false }
        for t in ts where t.requiresGrad { return true }
        return false
    }

    /// Accumulates into this tensor's gradient through `body(buffer, fresh)`
    /// (a gradient of the wrong size, e.g. assigned by hand, is replaced).
    /// When `fresh` is true the buffer is uninitialised and `body` must SET every
    /// element; otherwise it must ADD. Does nothing if `requiresGrad` is false.
    @inline(__always)
    func accumulateGrad(_ body: (UnsafeMutablePointer<Float>, _ fresh: Bool) -> Void) {
        guard requiresGrad else { return }
        if let g = grad, g.count == count {
            g.data.withUnsafeMutableBufferPointer { b in if let p = b.baseAddress { body(p, false) } }
        } else {
            grad = Tensor(shape, uninitializedFloats(count) { body($0, true) })
        }
    }

    /// Accumulates a ready gradient array (taken without copying when the grad is empty).
    @inline(__always)
    func accumulateGrad(_ g: [Float]) {
        guard requiresGrad else { return }
        if let old = grad, old.count == count {
            Profile.measure(.elementwise) {
            old.data.withUnsafeMutableBufferPointer { d in
                g.withUnsafeBufferPointer { s in
                    let n = d.count
                    let dp = d.baseAddress!, sp = s.baseAddress!
                    for i in 0..<n { dp[i] += sp[i] }
                }
            }
            }
        } else {
            grad = Tensor(shape, g)
        }
    }

    /// Back-propagates from this single-element tensor: seeds d(self) = 1 and
    /// accumulates into `.grad` of every leaf with `requiresGrad`.
    public func backward() throws {
        guard count == 1 else { throw TensorError.notScalar(op: "backward", shape: shape) }
        guard requiresGrad else {
            throw TensorError.invalidArgument(op: "backward", detail: "the tensor does not require a gradient (no trainable input, or built under noGrad)")
        }
        try Profile.measure(.backwardOther) { try backwardPass() }
    }

    private func backwardPass() throws {
        // Iterative DFS for the topological order (graphs can be deep).
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (node, i) = stack.popLast() {
            if i < node.parents.count {
                stack.append((node, i + 1))
                let p = node.parents[i]
                if p.requiresGrad && p.backwardFn != nil && !visited.contains(ObjectIdentifier(p)) {
                    visited.insert(ObjectIdentifier(p))
                    stack.append((p, 0))
                }
            } else {
                order.append(node)
            }
        }
        accumulateGrad([1])
        for node in order.reversed() {
            guard let fn = node.backwardFn, node.grad != nil else { continue }
            if Profile.isOn { Profile.measure(node.profileCategory) { fn(node) } } else { fn(node) }
            node.grad = nil  // intermediate gradient no longer needed
        }
    }

    /// Clears the accumulated gradient.
    public func zeroGrad() { grad = nil }

    /// Disconnects this tensor from the graph that produced it (it becomes a leaf).
    public func detachGraph() {
        parents = []
        backwardFn = nil
    }
}
