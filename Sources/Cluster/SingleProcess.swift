/// One process: every collective is the identity.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func sum(_ values: inout [Float]) throws {}
    public func sum(_ values: inout [Double]) throws {}
    public func gather(_ bytes: [UInt8]) throws -> [[UInt8]] { [bytes] }
    public func barrier() throws {}
    public func reportFailure(_ message: String) -> [RankFailure] { [RankFailure(rank: 0, message: message)] }
    public func finish() -> [RankFailure] { [] }
    public var failures: [RankFailure] { [] }
    public var traffic: Traffic { Traffic() }
}
