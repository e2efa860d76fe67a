import Foundation
import XCTest
@testable import Files

/// Saving never damages anything: what exists and is not a regular file is
/// refused and left as it was; links are followed; permissions are kept;
/// temporaries never stay behind.
final class SaveSafetyTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "lora-save-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func kind(_ path: String) -> mode_t {
        var st = stat()
        XCTAssertEqual(lstat(path, &st), 0, "\(path) is gone")
        return st.st_mode & S_IFMT
    }

    private func entries() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    }

    private func assertRefused(_ path: String, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try AtomicFile.write("new", to: path), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(fragment), "\(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains(path), "names the path: \(error)", file: file, line: line)
        }
        let temps = (try? entries())?.filter { $0.hasPrefix(AtomicFile.temporaryPrefix) } ?? []
        XCTAssertEqual(temps, [], "temporary left behind", file: file, line: line)
    }

    func testCharacterDeviceIsRefusedAndKept() throws {
        guard getuid() == 0 else { throw XCTSkip("mknod of a character device needs root") }
        let path = dir + "/null"
        // major 1, minor 3: the same device as /dev/null, made in a temporary folder.
        XCTAssertEqual(mknod(path, S_IFCHR | 0o666, dev_t(1 << 8 | 3)), 0, String(cString: strerror(errno)))
        assertRefused(path, "character device")
        XCTAssertEqual(kind(path), S_IFCHR)
        // Through a link too.
        XCTAssertEqual(symlink(path, dir + "/link-to-null"), 0)
        assertRefused(dir + "/link-to-null", "character device")
        XCTAssertEqual(kind(path), S_IFCHR)
    }

    func testFIFOIsRefusedWithoutBlocking() throws {
        let path = dir + "/pipe"
        XCTAssertEqual(mkfifo(path, 0o644), 0)
        assertRefused(path, "FIFO")
        XCTAssertEqual(kind(path), S_IFIFO)
    }

    func testSocketIsRefused() throws {
        let path = dir + "/s"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw XCTSkip("temporary path too long for a socket") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(bound, 0, String(cString: strerror(errno)))
        assertRefused(path, "socket")
        XCTAssertEqual(kind(path), S_IFSOCK)
    }

    func testDirectoryIsRefusedAndKept() throws {
        let path = dir + "/figures"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        try AtomicFile.write("inside", to: path + "/a.txt")
        assertRefused(path, "is a directory")
        XCTAssertEqual(kind(path), S_IFDIR)
        XCTAssertEqual(try String(contentsOfFile: path + "/a.txt", encoding: .utf8), "inside")
    }

    func testSymbolicLinkIsFollowedAndKept() throws {
        try FileManager.default.createDirectory(atPath: dir + "/real", withIntermediateDirectories: false)
        let target = dir + "/real/model.safetensors"
        try AtomicFile.write("old", to: target)
        XCTAssertEqual(symlink("real/model.safetensors", dir + "/latest"), 0)   // relative link
        try AtomicFile.write("new", to: dir + "/latest")
        XCTAssertEqual(kind(dir + "/latest"), S_IFLNK, "the link was replaced by a file")
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "new")
        // A dangling link: its target is created.
        XCTAssertEqual(symlink(dir + "/real/fresh.txt", dir + "/dangling"), 0)
        try AtomicFile.write("made", to: dir + "/dangling")
        XCTAssertEqual(kind(dir + "/dangling"), S_IFLNK)
        XCTAssertEqual(try String(contentsOfFile: dir + "/real/fresh.txt", encoding: .utf8), "made")
        // A loop is an error, not a hang.
        XCTAssertEqual(symlink(dir + "/loop-b", dir + "/loop-a"), 0)
        XCTAssertEqual(symlink(dir + "/loop-a", dir + "/loop-b"), 0)
        assertRefused(dir + "/loop-a", "symbolic links")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/real").sorted(), ["fresh.txt", "model.safetensors"])
    }

    func testReadOnlyFileIsRefusedAndKept() throws {
        let path = dir + "/keep.txt"
        try AtomicFile.write("precious", to: path)
        XCTAssertEqual(chmod(path, 0o444), 0)
        assertRefused(path, "read-only")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "precious")
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o7777, 0o444)
    }

    func testExistingFileKeepsItsMode() throws {
        let path = dir + "/secret.txt"
        try AtomicFile.write("v1", to: path)
        XCTAssertEqual(chmod(path, 0o640), 0)
        try AtomicFile.write("v2", to: path)
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o7777, 0o640)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "v2")
        // A new file gets 0666 less the umask, not mkstemp's 0600.
        let fresh = dir + "/fresh.txt"
        let old = umask(0o022)
        defer { umask(old) }
        try AtomicFile.write("x", to: fresh)
        XCTAssertEqual(stat(fresh, &st), 0)
        XCTAssertEqual(st.st_mode & 0o7777, 0o644)
    }

    func testNamesUpToTheSystemLimitWork() throws {
        let longest = String(repeating: "n", count: 245) + ".lora"    // 250 bytes
        XCTAssertEqual(longest.utf8.count, 250)
        try AtomicFile.write("long", to: dir + "/" + longest)
        try AtomicFile.write("longer", to: dir + "/" + longest)
        XCTAssertEqual(try String(contentsOfFile: dir + "/" + longest, encoding: .utf8), "longer")
        let limit = String(repeating: "m", count: 255)
        try AtomicFile.write("limit", to: dir + "/" + limit)
        XCTAssertEqual(try entries(), [longest, limit].sorted())
        let tooLong = String(repeating: "x", count: 256)
        assertRefused(dir + "/" + tooLong, "too long")
    }

    func testStaleTemporariesOfEndedProcessesAreRemoved() throws {
        // A process id nobody uses now.
        var dead: pid_t = 4_000_000
        while kill(dead, 0) == 0 || errno != ESRCH { dead -= 1 }
        let stale = dir + "/\(AtomicFile.temporaryPrefix)\(dead)-a1B2c3"
        let alive = dir + "/\(AtomicFile.temporaryPrefix)\(getppid())-zZ9yY8"
        let unrelated = dir + "/.lora-notes"
        for p in [stale, alive, unrelated] { XCTAssertTrue(FileManager.default.createFile(atPath: p, contents: Data("x".utf8))) }
        try AtomicFile.write("new", to: dir + "/model.safetensors")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale), "stale temporary kept")
        XCTAssertTrue(FileManager.default.fileExists(atPath: alive), "a running process's temporary was removed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: unrelated), "a file that is no temporary was removed")
    }

    func testTemporaryIsRemovedWhenTheWriterFails() throws {
        struct Failure: Error {}
        let path = dir + "/out.txt"
        try AtomicFile.write("old", to: path)
        var seen = ""
        XCTAssertThrowsError(try AtomicFile.write(to: path) { fd, temp in
            seen = temp
            _ = "partial".withCString { Foundation.write(fd, $0, 7) }
            throw Failure()
        })
        XCTAssertTrue((seen as NSString).lastPathComponent.hasPrefix(AtomicFile.temporaryPrefix), seen)
        XCTAssertLessThan((seen as NSString).lastPathComponent.utf8.count, 32, "temporary names stay short")
        XCTAssertEqual(try entries(), ["out.txt"])
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old")
    }

    func testWriterByNameReplacesAtomically() throws {
        let path = dir + "/history"
        try AtomicFile.write(to: path) { _, temp in
            try "line 1\n".write(toFile: temp, atomically: false, encoding: .utf8)
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "line 1\n")
        XCTAssertEqual(try entries(), ["history"])
    }
}
