import CMPI
import Cluster

/// The ranks of an Open MPI job (`mpirun -np N lora FILE.lora`), over
/// libmpi.so.40 loaded at run time (see Sources/CMPI).
///
/// Every collective starts with a header round: an all-gather of (status,
/// length) from every rank. Status 0 = this collective, with `length` items;
/// 1 = the rank failed, `length` = its message's bytes, which every rank then
/// gathers; 2 = the rank finished its script. Only when every rank says 0 and
/// the lengths agree does the payload move. So a failing rank ends the other
/// ranks' next collective with its message instead of leaving them waiting,
/// and ranks that run different statements are told so.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    public private(set) var traffic = Traffic()
    public private(set) var failures: [RankFailure] = []
    private var finished = false

    private enum Status: Int64 { case collective = 0, failed = 1, finished = 2 }

    /// The MPI communicator when an MPI launcher started this process; nil
    /// when it was not (one process). Throws when MPI cannot start.
    public static func startIfLaunched() throws -> MPICommunicator? {
        guard lora_mpi_launched() != 0 else { return nil }
        guard lora_mpi_start() == 0 else { throw ClusterError.transport(String(cString: lora_mpi_error())) }
        return MPICommunicator(rank: Int(lora_mpi_rank()), size: Int(lora_mpi_size()))
    }

    private init(rank: Int, size: Int) { self.rank = rank; self.size = size }

    /// How MPI was loaded ("libmpi.so.40: rank 0 of 2 ...").
    public static var status: String { String(cString: lora_mpi_error()) }

    private func check(_ rc: Int32) throws {
        if rc != 0 { throw ClusterError.transport(String(cString: lora_mpi_error())) }
    }

    /// The header round. Returns every rank's length when all ranks are in a
    /// collective; otherwise gathers the failures and returns them with the statuses.
    private func header(_ status: Status, length: Int, message: [UInt8] = [])
        throws -> (lengths: [Int], failures: [RankFailure], statuses: [Status]) {
        var mine: [Int64] = [status.rawValue, Int64(length)]
        var all = [Int64](repeating: 0, count: 2 * size)
        try check(lora_mpi_allgather_int64(&mine, 2, &all))
        traffic.calls += 1
        traffic.bytes += 16
        let statuses = (0..<size).map { Status(rawValue: all[2 * $0]) ?? .failed }
        let lengths = (0..<size).map { Int(all[2 * $0 + 1]) }
        guard statuses.contains(.failed) else { return (lengths, [], statuses) }
        let counts = (0..<size).map { statuses[$0] == .failed ? lengths[$0] : 0 }
        let texts = try gatherv(status == .failed ? message : [], counts: counts)
        let failures = (0..<size).filter { statuses[$0] == .failed }
            .map { RankFailure(rank: $0, message: String(decoding: texts[$0], as: UTF8.self)) }
        return (lengths, failures, statuses)
    }

    private func gatherv(_ bytes: [UInt8], counts: [Int]) throws -> [[UInt8]] {
        let total = counts.reduce(0, +)
        guard total <= Int(Int32.max) else { throw ClusterError.transport("gathering \(total) bytes at once exceeds MPI's 2 GB count limit") }
        var displacements = [Int32](repeating: 0, count: size)
        for r in 1..<max(1, size) { displacements[r] = displacements[r - 1] + Int32(counts[r - 1]) }
        let counts32 = counts.map { Int32($0) }
        var out = [UInt8](repeating: 0, count: max(1, total))
        try bytes.withUnsafeBytes { b in
            try out.withUnsafeMutableBytes { o in
                try check(lora_mpi_allgatherv_bytes(b.baseAddress, Int32(bytes.count), o.baseAddress, counts32, displacements))
            }
        }
        traffic.calls += 1
        traffic.bytes += bytes.count
        return (0..<size).map { r in Array(out[Int(displacements[r])..<(Int(displacements[r]) + counts[r])]) }
    }

    /// A collective of `length` items: throws when another rank failed or did something else.
    private func begin(_ what: String, length: Int, sameLength: Bool) throws -> [Int] {
        guard !finished else { throw ClusterError.diverged("\(what) after the run finished") }
        let h = try header(.collective, length: length)
        // Every rank saw the same header, so every rank stops here together and
        // no further collective is called: the job's communication ends.
        if !h.failures.isEmpty {
            failures = h.failures
            end()
            throw ClusterError.rankFailed(h.failures)
        }
        if let r = h.statuses.firstIndex(of: .finished) {
            end()
            throw ClusterError.diverged("rank \(r) finished its script while rank \(rank) called \(what)")
        }
        if sameLength, let r = h.lengths.firstIndex(where: { $0 != length }) {
            end()
            throw ClusterError.diverged("rank \(rank) called \(what) with \(length) values, rank \(r) with \(h.lengths[r])")
        }
        return h.lengths
    }

    public func sum(_ values: inout [Float]) throws {
        _ = try begin("a sum", length: values.count, sameLength: true)
        try values.withUnsafeMutableBufferPointer { try check(lora_mpi_allreduce_float($0.baseAddress, $0.count)) }
        traffic.calls += 1
        traffic.bytes += 4 * values.count
    }

    public func sum(_ values: inout [Double]) throws {
        _ = try begin("a sum", length: values.count, sameLength: true)
        try values.withUnsafeMutableBufferPointer { try check(lora_mpi_allreduce_double($0.baseAddress, $0.count)) }
        traffic.calls += 1
        traffic.bytes += 8 * values.count
    }

    public func gather(_ bytes: [UInt8]) throws -> [[UInt8]] {
        let lengths = try begin("a gather", length: bytes.count, sameLength: false)
        return try gatherv(bytes, counts: lengths)
    }

    public func barrier() throws {
        _ = try begin("a barrier", length: 0, sameLength: true)
    }

    public func reportFailure(_ message: String) -> [RankFailure] {
        guard !finished else { return [RankFailure(rank: rank, message: message)] }
        let bytes = Array(message.utf8.prefix(64 * 1024))
        let mine = RankFailure(rank: rank, message: String(decoding: bytes, as: UTF8.self))
        defer { end() }
        guard let h = try? header(.failed, length: bytes.count, message: bytes) else { return [mine] }
        return h.failures
    }

    public func finish() -> [RankFailure] {
        guard !finished else { return [] }
        defer { end() }
        guard let h = try? header(.finished, length: 0) else { return [] }
        if let r = h.statuses.firstIndex(of: .collective) {
            // A rank still communicates while this one ended: they ran different
            // statements. Nothing can match its collective any more: end the job.
            let text = "rank \(r) is still communicating while rank \(rank) finished its script; every rank must run the same statements"
            lora_mpi_abort(1)
            return [RankFailure(rank: rank, message: text)]
        }
        return h.failures
    }

    private func end() {
        finished = true
        _ = lora_mpi_finish()
    }

    /// Ends every rank at once (MPI_Abort), for a second Ctrl-C or a fatal error.
    public static func abortAll(_ code: Int32) -> Never {
        lora_mpi_abort(code)
        fatalError("MPI_Abort returned")
    }
}
