// Where a training step spends its time, by category (gemms at their shapes,
// attention, normalisation, ...), measured by timing hooks compiled into the
// ops. Off by default: each hook is then one relaxed atomic load. When on,
// only the thread that started the profile records (the ops' own parallel
// regions run inside its scopes); scopes nest and each category gets its
// EXCLUSIVE time (a gemm inside `linear`'s backward counts as gemm only).
import Foundation
import Synchronization

/// What a timed scope is doing.
public enum ProfileCategory: Int, CaseIterable, Sendable {
    case gemm, attention, normalisation, elementwise, softmax, reduction, shape, optimizer, allocation, backwardOther

    public var name: String {
        switch self {
        case .gemm: return "gemm"
        case .attention: return "attention"
        case .normalisation: return "normalisation"
        case .elementwise: return "elementwise"
        case .softmax: return "softmax/loss"
        case .reduction: return "reduction"
        case .shape: return "shape/copy"
        case .optimizer: return "optimizer"
        case .allocation: return "allocation/zeroing"
        case .backwardOther: return "backward (other)"
        }
    }
}

/// A matrix product as the profile groups it: C [m, n] = op(A) [m, k] op(B) [k, n],
/// `batch` products per call (1 for a single gemm).
public struct GemmShape: Hashable, Sendable, CustomStringConvertible {
    public let m: Int, n: Int, k: Int
    public let transA: Bool, transB: Bool
    public let batch: Int
    /// Where it comes from ("linear", "linear dx", "matmul", "lowrank", ...).
    public let site: String
    /// Floating-point operations of one call (2 m n k per product).
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) * Double(batch) }
    public var description: String {
        "\(site) \(batch > 1 ? "\(batch) x " : "")\(m)x\(n)x\(k) \(transA ? "T" : "N")\(transB ? "T" : "N")"
    }
}

/// Time and calls of one category or gemm shape.
public struct ProfileEntry: Sendable {
    public var calls = 0
    public var seconds = 0.0
    public var flops = 0.0
}

/// What `Profile.stop()` returns: exclusive time per category and per gemm shape.
public struct ProfileReport: Sendable {
    public var categories: [ProfileCategory: ProfileEntry] = [:]
    public var gemms: [GemmShape: ProfileEntry] = [:]
    /// Seconds between start and stop.
    public var wallSeconds = 0.0

    /// Sum of every category's time.
    public var measuredSeconds: Double { categories.values.reduce(0) { $0 + $1.seconds } }
    /// Floating-point operations of gemms and attention products.
    public var flops: Double { categories.values.reduce(0) { $0 + $1.flops } }
}

/// The profiler. `start()`, run the work on this thread, `stop()`.
public enum Profile {
    private static let on = Atomic<Bool>(false)
    /// Written only while `on` is false, read only by the recording thread while it is true.
    nonisolated(unsafe) private static var recorder: Recorder?

    /// Whether hooks record (one relaxed load: the cost of every hook when off).
    @inline(__always)
    public static var isOn: Bool { on.load(ordering: .relaxed) }

    /// Starts recording on the calling thread (discarding any unfinished profile).
    public static func start() {
        on.store(false, ordering: .sequentiallyConsistent)
        recorder = Recorder(thread: pthread_self())
        on.store(true, ordering: .sequentiallyConsistent)
    }

    /// Stops recording and returns what was measured since `start()` (empty if never started).
    @discardableResult
    public static func stop() -> ProfileReport {
        on.store(false, ordering: .sequentiallyConsistent)
        guard let r = recorder else { return ProfileReport() }
        recorder = nil
        var rep = ProfileReport()
        rep.wallSeconds = Double(monotonicNanos() - r.started) * 1e-9
        for (i, e) in r.categories.enumerated() where e.calls > 0 { rep.categories[ProfileCategory(rawValue: i)!] = e }
        rep.gemms = r.gemms
        return rep
    }

    /// Runs `body` as a scope of `category` (adding `flops` to it).
    @inline(__always)
    static func measure<T>(_ category: ProfileCategory, flops: Double = 0, _ body: () throws -> T) rethrows -> T {
        guard isOn else { return try body() }
        return try measured(category, gemm: nil, flops: flops, body)
    }

    /// Runs `body`, a gemm (or `batch` of them) of the given shape; `flops`
    /// replaces the closed form 2 m n k batch when the call does more than one
    /// shape of product (the low-rank pairs).
    @inline(__always)
    static func gemm<T>(_ site: StaticString, _ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, batch: Int = 1,
                        flops: @autoclosure () -> Double? = nil, _ body: () throws -> T) rethrows -> T {
        guard isOn else { return try body() }
        let shape = GemmShape(m: m, n: n, k: k, transA: ta, transB: tb, batch: batch, site: "\(site)")
        return try measured(.gemm, gemm: shape, flops: flops() ?? shape.flops, body)
    }

    @inline(never)
    private static func measured<T>(_ category: ProfileCategory, gemm: GemmShape?, flops: Double,
                                    _ body: () throws -> T) rethrows -> T {
        guard let r = recorder, pthread_equal(r.thread, pthread_self()) != 0 else { return try body() }
        r.enter()
        defer { r.exit(category, gemm: gemm, flops: flops) }
        return try body()
    }
}

/// Nanoseconds of CLOCK_MONOTONIC.
@inline(__always)
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// The recording thread's open scopes and totals.
private final class Recorder {
    let thread: pthread_t
    let started = monotonicNanos()
    /// Open scopes: start time and time spent in nested scopes.
    var stack: [(start: UInt64, inner: UInt64)] = []
    var categories = [ProfileEntry](repeating: ProfileEntry(), count: ProfileCategory.allCases.count)
    var gemms: [GemmShape: ProfileEntry] = [:]

    init(thread: pthread_t) {
        self.thread = thread
        stack.reserveCapacity(16)
    }

    func enter() { stack.append((monotonicNanos(), 0)) }

    func exit(_ category: ProfileCategory, gemm: GemmShape?, flops: Double) {
        let end = monotonicNanos()
        guard let top = stack.popLast() else { return }
        let total = end &- top.start
        let own = Double(total &- top.inner) * 1e-9
        if !stack.isEmpty { stack[stack.count - 1].inner &+= total }
        categories[category.rawValue].calls += 1
        categories[category.rawValue].seconds += own
        categories[category.rawValue].flops += flops
        if let g = gemm {
            var e = gemms[g] ?? ProfileEntry()
            e.calls += 1; e.seconds += own; e.flops += flops
            gemms[g] = e
        }
    }
}
