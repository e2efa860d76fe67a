import XCTest
@testable import Core

final class ProgressEventTests: XCTestCase {
    func testTitleNamesTheMemberOnlyWhenThereAreSeveral() {
        XCTAssertEqual(ProgressEvent(label: "ens", epoch: 1, epochs: 2, step: 1, steps: 4).title, "ens")
        XCTAssertEqual(ProgressEvent(label: "ens", epoch: 1, epochs: 2, step: 1, steps: 4, member: 1, members: 4).title, "ens member 2/4")
        XCTAssertEqual(ProgressEvent(epoch: 1, epochs: 2, step: 1, steps: 4, member: 0, members: 3).title, "member 1/3")
        XCTAssertEqual(ProgressEvent(epoch: 1, epochs: 2, step: 1, steps: 4).title, "")
    }

    func testFractionDoneAndEpochEnd() {
        let mid = ProgressEvent(epoch: 2, epochs: 4, step: 5, steps: 10)
        XCTAssertEqual(mid.fractionDone, 0.375)          // (1 + 0.5) / 4
        XCTAssertFalse(mid.endsEpoch)
        XCTAssertEqual(mid.stepsDone, 15)
        let end = ProgressEvent(epoch: 4, epochs: 4, step: 10, steps: 10)
        XCTAssertEqual(end.fractionDone, 1)
        XCTAssertTrue(end.endsEpoch)
        // `overall` (explicit ensembles, member after member) wins, clamped to 0...1.
        XCTAssertEqual(ProgressEvent(epoch: 1, epochs: 1, step: 1, steps: 2, overall: 0.8).fractionDone, 0.8)
        XCTAssertEqual(ProgressEvent(epoch: 1, epochs: 1, step: 1, steps: 2, overall: 1.5).fractionDone, 1)
        // Nothing to go by: 0, not a division by zero.
        XCTAssertEqual(ProgressEvent(epoch: 1, epochs: 0, step: 0, steps: 0).fractionDone, 0)
    }
}
