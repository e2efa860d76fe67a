import Core
import Foundation

// The tensor: Float32, n-d, row-major, always contiguous. Each op builds its
// output and its backward closure side by side (see the op files).

/// An n-d Float32 tensor with reverse-mode autograd.
public final class Tensor {
    /// Extent of each axis (row-major). `[]` is a scalar.
    public let shape: [Int]
    /// The elements, row-major; `data.count == count`.
    public var data: [Float]
    /// Gradient accumulated by `backward()` (leaves only); nil until then or after `zeroGrad()`.
    public var grad: Tensor?
    /// Whether gradients flow to this tensor: a trainable leaf (set it yourself)
    /// or the result of an op on such tensors while grad mode is on.
    public var requiresGrad: Bool = false
    /// Optional name used in messages ("blocks.0.attn.q.weight").
    public var label: String?

    /// Inputs of the op that produced this tensor (empty for leaves).
    var parents: [Tensor] = []
    /// Propagates `self.grad` to `parents`; receives the output node itself.
    var backwardFn: ((Tensor) -> Void)?
    /// What `backwardFn` does, for the profile (`Profile`).
    var profileCategory: ProfileCategory = .backwardOther

    /// Number of elements.
    public var count: Int { data.count }
    /// Number of axes.
    public var rank: Int { shape.count }

    /// Largest tensor the engine creates (elements): 2^31, or fewer when one
    /// tensor of that size would take more than an eighth of physical memory.
    public static let maxElements: Int = {
        let byMemory = Int(clamping: ProcessInfo.processInfo.physicalMemory / 32)
        return Swift.max(1 << 20, Swift.min(1 << 31, byMemory))
    }()

    /// Internal unchecked init: caller guarantees `data.count == product(shape)`.
    init(_ shape: [Int], _ data: [Float]) {
        self.shape = shape
        self.data = data
    }

    /// A tensor of `shape` holding `data` (row-major). Throws if the counts differ.
    public init(shape: [Int], data: [Float]) throws {
        let n = try Tensor.checkedCount(shape, op: "Tensor(shape:data:)")
        guard n == data.count else {
            throw TensorError.shapeMismatch(op: "Tensor(shape:data:)", shapes: [shape],
                                            detail: "shape holds \(n) elements but data has \(data.count)")
        }
        self.shape = shape
        self.data = data
    }

    /// A 0-d tensor holding `scalar`.
    public init(scalar: Float) {
        self.shape = []
        self.data = [scalar]
    }

    /// Validates a shape (no negative extents, at most `maxElements` elements) and
    /// returns its element count. The language layer calls this before creating
    /// tensors from user input; creation functions that do not throw assume it.
    @discardableResult
    public static func checkedCount(_ shape: [Int], op: String) throws -> Int {
        var n = 1
        for d in shape {
            guard d >= 0 else {
                throw TensorError.invalidArgument(op: op, detail: "negative extent \(d) in shape \(shapeString(shape))")
            }
            let (m, o) = n.multipliedReportingOverflow(by: d)
            guard !o, m <= maxElements else { throw TensorError.tooLarge(op: op, elements: o ? Int.max : m) }
            n = m
        }
        return n
    }

    /// Product of extents (no checks).
    @inline(__always)
    static func product(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape { n *= d }
        return n
    }

    /// Zeros of `shape`.
    public static func zeros(_ shape: [Int]) -> Tensor {
        Profile.measure(.allocation) { Tensor(shape, [Float](repeating: 0, count: product(shape))) }
    }

    /// Ones of `shape`.
    public static func ones(_ shape: [Int]) -> Tensor { full(shape, 1) }

    /// `value` everywhere.
    public static func full(_ shape: [Int], _ value: Float) -> Tensor {
        Profile.measure(.allocation) { Tensor(shape, [Float](repeating: value, count: product(shape))) }
    }

    /// Normal samples N(mean, std^2) drawn from `rng` in row-major order.
    public static func randn(_ shape: [Int], mean: Float = 0, std: Float = 1, rng: inout RNG) -> Tensor {
        let n = product(shape)
        var d = [Float](repeating: 0, count: n)
        for i in 0..<n { d[i] = mean + std * rng.normal() }
        return Tensor(shape, d)
    }

    /// Uniform samples in [low, high).
    public static func uniform(_ shape: [Int], low: Float, high: Float, rng: inout RNG) -> Tensor {
        let n = product(shape)
        var d = [Float](repeating: 0, count: n)
        let w = high - low
        for i in 0..<n { d[i] = low + w * rng.uniform() }
        return Tensor(shape, d)
    }

    /// 1 with probability `p`, else 0.
    public static func bernoulli(_ shape: [Int], p: Float, rng: inout RNG) -> Tensor {
        let n = product(shape)
        var d = [Float](repeating: 0, count: n)
        for i in 0..<n { d[i] = rng.uniform() < p ? 1 : 0 }
        return Tensor(shape, d)
    }

    /// The value of a single-element tensor.
    public func item() throws -> Float {
        guard data.count == 1 else { throw TensorError.notScalar(op: "item", shape: shape) }
        return data[0]
    }

    /// A copy of the values with no graph; `requiresGrad` is false.
    public func detached() -> Tensor { Tensor(shape, data) }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let name = label.map { " \($0)" } ?? ""
        let shown = data.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor\(name) \(shapeString(shape)) [\(shown)\(data.count > 8 ? ", ..." : "")]"
    }
}

/// Allocates an array of `n` floats whose elements `body` must all write.
/// The profile counts the allocation as such and `body` as `category` (when
/// given; else as the enclosing scope).
@inline(__always)
func uninitializedFloats(_ n: Int, _ category: ProfileCategory? = nil, _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
    _ = mallocTuned
    if Profile.isOn { return profiledUninitializedFloats(n, category, body) }
    return [Float](unsafeUninitializedCapacity: n) { buf, c in
        if n > 0 { body(buf.baseAddress!) }
        c = n
    }
}

@inline(never)
private func profiledUninitializedFloats(_ n: Int, _ category: ProfileCategory?, _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
    var a = Profile.measure(.allocation) { [Float](unsafeUninitializedCapacity: n) { _, c in c = n } }
    a.withUnsafeMutableBufferPointer { b in
        guard n > 0 else { return }
        if let cat = category { Profile.measure(cat) { body(b.baseAddress!) } } else { body(b.baseAddress!) }
    }
    return a
}

/// Training allocates and frees the same large activation buffers every step.
/// glibc would serve each from fresh mmap()ed pages (page faults, zeroing) and
/// trim the heap after each free; keeping freed memory in the heap instead
/// removes that cost. Done once, at the first tensor allocation.
let mallocTuned: Bool = {
    #if os(Linux)
    _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD */, 32 << 20)
    _ = glibcMallopt(-1 /* M_TRIM_THRESHOLD */, 256 << 20)
    #endif
    return true
}()

extension Tensor {
    /// For training loops: serve every buffer from the heap and never give
    /// freed memory back to the kernel, so each step reuses the previous
    /// step's pages. glibc caps M_MMAP_THRESHOLD at 32 MB, so without this
    /// every larger activation (the 39 MB packed q/k/v and 41 MB attention
    /// probabilities of a 16-member step) is a fresh mmap whose pages the
    /// kernel faults in and zeroes, then unmaps: a fifth of a LoRA-Ensemble
    /// step (measured with perf). The process keeps its peak heap. Idempotent.
    public static func keepFreedMemory() {
        _ = mallocTuned
        #if os(Linux)
        _ = glibcMallopt(-4 /* M_MMAP_MAX */, 0)
        _ = glibcMallopt(-1 /* M_TRIM_THRESHOLD */, Int32.max)
        #endif
    }
}

#if os(Linux)
/// glibc's mallopt(3) (malloc.h is not part of Swift's Glibc module).
@_silgen_name("mallopt")
private func glibcMallopt(_ param: Int32, _ value: Int32) -> Int32
#endif
