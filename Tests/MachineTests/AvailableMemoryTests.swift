import Foundation
import XCTest
@testable import Machine

final class AvailableMemoryTests: XCTestCase {
    func testParsesMemAvailableFromMeminfo() {
        let text = "MemTotal:       24683664 kB\nMemFree:        23169204 kB\nMemAvailable:   24254948 kB\nBuffers:           1 kB\n"
        XCTAssertEqual(AvailableMemory.parseMemInfo(text), 24254948 * 1024)
        XCTAssertNil(AvailableMemory.parseMemInfo("MemTotal: 1 kB\n"))
    }

    func testParsesSizes() {
        XCTAssertEqual(AvailableMemory.parseSize("1000"), 1000)
        XCTAssertEqual(AvailableMemory.parseSize("512M"), 512 << 20)
        XCTAssertEqual(AvailableMemory.parseSize("2g"), 2 << 30)
        XCTAssertEqual(AvailableMemory.parseSize("1.5K"), 1536)
        XCTAssertNil(AvailableMemory.parseSize("lots"))
        XCTAssertNil(AvailableMemory.parseSize("-1"))
    }

    func testThisMachineReportsMemoryAndTheLimitCapsIt() throws {
        let now = try XCTUnwrap(AvailableMemory.bytes())
        XCTAssertGreaterThan(now, 1 << 20)
        #if os(Linux)
        // Independent reading of /proc/meminfo: within 25% (other processes move it).
        let text = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("MemAvailable:") })
        let kb = try XCTUnwrap(Int(line.split(separator: " ")[1]))
        XCTAssertEqual(Double(now), Double(kb * 1024), accuracy: Double(kb * 1024) * 0.25)
        #endif
        setenv("LORA_MEMORY_LIMIT", "64M", 1)
        defer { unsetenv("LORA_MEMORY_LIMIT") }
        XCTAssertEqual(AvailableMemory.bytes(), 64 << 20)
        XCTAssertNoThrow(try AvailableMemory.check(60e6, for: "a small thing", remedy: "none needed"))
        XCTAssertThrowsError(try AvailableMemory.check(1e12, for: "resizing 10 images", remedy: "resize fewer")) { e in
            XCTAssertEqual("\(e)", "resizing 10 images would need about 1.0 TB of memory, but only 67.1 MB is available; resize fewer")
        }
    }

    func testFormat() {
        XCTAssertEqual(AvailableMemory.format(512), "512 bytes")
        XCTAssertEqual(AvailableMemory.format(293_601_280_000), "293.6 GB")
    }
}
