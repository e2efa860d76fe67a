/// The processes ("ranks") one lora run is spread over, and the few
/// collective operations training and evaluation need. One process by default
/// (`SingleProcess`); under `mpirun` the executable installs the MPI one
/// (target ClusterMPI) as `Cluster.world` before anything else runs.
///
/// Every rank runs the same script, so every rank calls the same collectives
/// in the same order. A rank that fails calls `reportFailure` instead of its
/// next collective: the other ranks' collective then throws
/// `ClusterError.rankFailed` with that rank's message, so every rank stops and
/// rank 0 can show what went wrong.
public protocol Communicator: AnyObject {
    /// This process's rank, 0..<size.
    var rank: Int { get }
    /// How many ranks run.
    var size: Int { get }

    /// Element-wise sum over every rank, in place: ONE collective call however long the buffer.
    func sum(_ values: inout [Float]) throws
    func sum(_ values: inout [Double]) throws

    /// Every rank's bytes, in rank order (each rank may give a different count).
    func gather(_ bytes: [UInt8]) throws -> [[UInt8]]

    /// Returns when every rank has called it.
    func barrier() throws

    /// Tells every rank that this one failed with `message` (instead of its
    /// next collective) and returns every failure reported in that round,
    /// this one included.
    func reportFailure(_ message: String) -> [RankFailure]

    /// The last collective of a run: returns the failures of ranks that failed
    /// after this one's last collective, then ends the communication.
    func finish() -> [RankFailure]

    /// Failures of other ranks that ended one of this rank's collectives
    /// (with `ClusterError.rankFailed`); empty while every rank runs.
    var failures: [RankFailure] { get }

    /// Payload moved by this rank so far (bytes handed to collectives, and calls).
    var traffic: Traffic { get }
}

/// One failed rank and its message (a formatted diagnostic).
public struct RankFailure: Equatable, Sendable, CustomStringConvertible {
    public let rank: Int
    public let message: String
    public init(rank: Int, message: String) { self.rank = rank; self.message = message }
    public var description: String { "rank \(rank) failed: \(message)" }
}

/// Bytes this rank handed to collectives, and how many collectives it called.
public struct Traffic: Equatable, Sendable {
    public var bytes: Int = 0
    public var calls: Int = 0
    public init(bytes: Int = 0, calls: Int = 0) { self.bytes = bytes; self.calls = calls }
}

public enum ClusterError: Error, CustomStringConvertible, Equatable {
    /// Another rank failed (its message is in the failure); this rank stops too.
    case rankFailed([RankFailure])
    /// The ranks called different collectives, or one with different sizes: the
    /// script did different things on different ranks.
    case diverged(String)
    /// MPI itself reported an error.
    case transport(String)

    public var description: String {
        switch self {
        case .rankFailed(let f): return f.map { $0.description }.joined(separator: "\n")
        case .diverged(let m): return "the ranks diverged: \(m); every rank must run the same statements on the same data"
        case .transport(let m): return "MPI: \(m)"
        }
    }
}

public extension Communicator {
    /// Every rank's floats, in rank order.
    func gather(_ values: [Float]) throws -> [[Float]] {
        try gather(values.withUnsafeBytes { Array($0) }).map { bytes in
            bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
    }

    /// Every rank's doubles, in rank order.
    func gather(_ values: [Double]) throws -> [[Double]] {
        try gather(values.withUnsafeBytes { Array($0) }).map { bytes in
            bytes.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        }
    }

    /// The contiguous share of `count` items rank `r` takes (the first
    /// `count % size` ranks take one more).
    func share(of count: Int, rank r: Int? = nil) -> Range<Int> {
        Cluster.share(of: count, rank: r ?? rank, size: size)
    }

    var isRoot: Bool { rank == 0 }
}

/// The communicator this process uses.
public enum Cluster {
    /// One process unless the executable installed MPI at start-up.
    // unsafe: written once by main before any other thread starts, read-only afterwards.
    nonisolated(unsafe) public static var world: Communicator = SingleProcess()

    /// The contiguous share of `count` items rank `rank` of `size` takes.
    public static func share(of count: Int, rank: Int, size: Int) -> Range<Int> {
        let base = count / size, extra = count % size
        let lo = rank * base + min(rank, extra)
        return lo..<(lo + base + (rank < extra ? 1 : 0))
    }
}
