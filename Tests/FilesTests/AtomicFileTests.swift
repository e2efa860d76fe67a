import Foundation
import XCTest
import Files

final class AtomicFileTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "lora-files-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testWritesThenReplacesAndLeavesNoTemporaryFile() throws {
        let path = dir + "/model.safetensors"
        try AtomicFile.write("first version", to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "first version")
        try AtomicFile.write([UInt8](repeating: 7, count: 100_000), to: path)
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        XCTAssertEqual(bytes.count, 100_000)
        XCTAssertTrue(bytes.allSatisfy { $0 == 7 })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["model.safetensors"])
    }

    func testMissingDirectoryIsAClearError() {
        XCTAssertThrowsError(try AtomicFile.write("x", to: dir + "/missing/out.svg")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("missing/out.svg"), text)
            XCTAssertTrue(text.contains("does not exist"), text)
            XCTAssertTrue(text.contains("create it first"), text)
        }
    }

    func testDirectoryAsDestinationIsRefusedAndKept() throws {
        let sub = dir + "/figures"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: false)
        XCTAssertThrowsError(try AtomicFile.write("x", to: sub)) { error in
            XCTAssertTrue("\(error)".contains("is a directory"), "\(error)")
        }
        var isDir: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: sub, isDirectory: &isDir) && isDir.boolValue)
    }

    func testUnwritableDirectoryKeepsTheOldFile() throws {
        guard getuid() != 0 else { throw XCTSkip("root can write anywhere; permission test needs a normal user") }
        let path = dir + "/keep.txt"
        try AtomicFile.write("old", to: path)
        chmod(dir, 0o500)
        defer { chmod(dir, 0o700) }
        XCTAssertThrowsError(try AtomicFile.write("new", to: path))
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old")
    }
}
