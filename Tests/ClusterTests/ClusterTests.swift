import XCTest
@testable import Cluster

final class ClusterTests: XCTestCase {
    /// Shares cover 0..<count exactly once, in rank order, and differ in size by at most one.
    func testSharesPartitionTheItems() {
        for size in 1...5 {
            for count in [0, 1, 2, 3, 7, 16, 33] {
                let shares = (0..<size).map { Cluster.share(of: count, rank: $0, size: size) }
                XCTAssertEqual(shares.first?.lowerBound, 0)
                XCTAssertEqual(shares.last?.upperBound, count)
                for r in 1..<size { XCTAssertEqual(shares[r].lowerBound, shares[r - 1].upperBound) }
                let sizes = shares.map(\.count)
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "count \(count) over \(size)")
                XCTAssertGreaterThanOrEqual(sizes.first!, sizes.last!)
            }
        }
        XCTAssertEqual(Cluster.share(of: 7, rank: 1, size: 3), 3..<5)
    }

    func testSingleProcessCollectivesAreTheIdentity() throws {
        let one = SingleProcess()
        var v: [Float] = [1, 2.5, -3]
        try one.sum(&v)
        XCTAssertEqual(v, [1, 2.5, -3])
        XCTAssertEqual(try one.gather([Float(1), 2]), [[1, 2]])
        XCTAssertEqual(try one.gather([Double(0.25)]), [[0.25]])
        XCTAssertEqual(one.reportFailure("boom"), [RankFailure(rank: 0, message: "boom")])
        XCTAssertEqual(one.finish(), [])
        XCTAssertEqual(one.share(of: 5), 0..<5)
    }

    func testFailureMessagesNameTheRank() {
        let e = ClusterError.rankFailed([RankFailure(rank: 1, message: "x.lora:3:1: error: no such file")])
        XCTAssertEqual(e.description, "rank 1 failed: x.lora:3:1: error: no such file")
        XCTAssertTrue(ClusterError.diverged("rank 0 sums 3 values, rank 1 4").description.contains("same statements"))
    }
}
