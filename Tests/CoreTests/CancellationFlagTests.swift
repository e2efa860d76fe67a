import Foundation
import XCTest
@testable import Core

final class CancellationFlagTests: XCTestCase {
    func testSetAndClear() {
        let flag = CancellationFlag()
        XCTAssertFalse(flag.isSet)
        flag.set()
        XCTAssertTrue(flag.isSet)
        flag.set()
        XCTAssertTrue(flag.isSet, "setting twice stays set")
        flag.clear()
        XCTAssertFalse(flag.isSet)
    }

    /// What the SIGINT handler does: it writes 1 through the raw word.
    func testTheSignalHandlersWordIsTheFlag() {
        let flag = CancellationFlag()
        flag.rawPointer.pointee = 1
        XCTAssertTrue(flag.isSet)
        flag.clear()
        XCTAssertEqual(flag.rawPointer.pointee, 0)
    }

    /// Set on one thread, seen by work polling on another (as Ctrl-C during a fit).
    func testSetFromAnotherThreadIsSeen() {
        let flag = CancellationFlag()
        let started = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            started.signal()
            while !flag.isSet { usleep(100) }
            done.signal()
        }
        started.wait()
        flag.set()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success, "the polling thread never saw the flag")
    }
}
