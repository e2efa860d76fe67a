import Foundation
import XCTest
@testable import Lang

/// Growth and sizes a script can ask for: refused with a located error
/// before memory runs out, never a crash.
final class SizeLimitTests: XCTestCase {
    /// `+` respects the limits `*` enforces (10^7 characters, 2*10^6 elements).
    func testPlusOnStringsAndListsRespectsTheLimits() {
        let s = scriptError("let x = \"ab\"\nwhile true { x = x + x }")
        XCTAssertEqual(s?.kind, .limit)
        XCTAssertEqual(s?.location?.line, 2)
        XCTAssertTrue(s?.message.contains("more than the 10000000 allowed") == true, s?.message ?? "")
        let l = scriptError("let xs = [1, 2, 3]\nwhile true { xs = xs + xs }")
        XCTAssertEqual(l?.kind, .limit)
        XCTAssertTrue(l?.message.contains("elements, more than the 2000000 allowed") == true, l?.message ?? "")
        let t = scriptError("let t = (1, 2)\nwhile true { t = t + t }")
        XCTAssertEqual(t?.kind, .limit)
        // Up to the limit is fine, and multi-byte characters count as one.
        XCTAssertEqual(try runScript("let x = \"é\" * 5000000\nprint(len(x + x))"), "10000000\n")
        XCTAssertEqual(scriptError("let x = \"é\" * 5000000\nx + x + \"!\"")?.kind, .limit)
    }

    /// A LoRA-Ensemble that needs hundreds of gigabytes is refused up front, with the estimate and a remedy.
    func testHugeEnsembleIsRefusedBeforeAllocating() {
        let start = Date()
        let e = scriptError("let b = vit(dim: 1024, depth: 1, heads: 4)\nlet e = lora_ensemble(b, members: 4096, rank: 1024)")
        XCTAssertEqual(e?.kind, .limit)
        XCTAssertEqual(e?.location?.line, 2)
        XCTAssertTrue(e?.message.hasPrefix("a LoRA-Ensemble of 4096 members with rank 1024 (34.4 billion parameters, to train) would need about 550.5 GB of memory, but only ") == true, e?.message ?? "")
        XCTAssertEqual(e?.remedy, "use fewer members or a lower rank (the paper: 16 members, rank 4 to 16)")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "the refusal must come before the allocation")
    }

    func testResizeAndEnsemblesFollowTheMemoryLimit() throws {
        setenv("LORA_MEMORY_LIMIT", "1G", 1)
        defer { unsetenv("LORA_MEMORY_LIMIT") }
        let e = scriptError("dataset(\"digits\").resize(to: 1024)")
        XCTAssertTrue(e?.message.contains("resizing the 1797 images of digits to 1024x1024 would need about 7.5 GB of memory, but only 1.1 GB is available") == true, e?.message ?? "")
        XCTAssertEqual(try runScript("print(dataset(\"digits\")[0..<10].resize(to: 64).count)"), "10\n")
        let x = scriptError("let b = vit(dim: 256, depth: 8, heads: 4)\nlet d = explicit_ensemble(b, members: 200)")
        XCTAssertTrue(x?.message.hasPrefix("an explicit ensemble of 200 full copies") == true, x?.message ?? "")
    }

    /// A CSV shape whose product wraps around to the feature count is an error, not a crash in show.
    func testCSVShapeOverflowIsAnError() throws {
        let path = NSTemporaryDirectory() + "lora-size-\(getpid()).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let header = "label," + (0..<64).map { "p\($0)" }.joined(separator: ",")
        try (header + "\n1," + Array(repeating: "5", count: 64).joined(separator: ",") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let e = scriptError("load_csv(\"\(path)\", shape: [4611686018427387905, 8, 8]).show(1)")
        XCTAssertTrue(e?.message.contains("does not hold the 64 values") == true, e?.message ?? "")
    }

    /// Ranges at the ends of Int: counts and steps never overflow.
    func testRangesAtTheEndsOfIntDoNotOverflow() throws {
        let e = scriptError("list(range(-9223372036854775807, 9223372036854775807))")
        XCTAssertTrue(e?.message.contains("too long to turn into a list") == true, e?.message ?? "")
        XCTAssertEqual(try runScript("print(len(range(-9223372036854775807, 9223372036854775807)))"), "9223372036854775807\n")
        XCTAssertEqual(try runScript("print(range(-9223372036854775807, 9223372036854775807, step: 9223372036854775807))"),
                       "[-9223372036854775807, 0]\n")   // the next, 2^63 - 1, is the end (excluded)
        XCTAssertEqual(try runScript("print(range(9223372036854775806, -9223372036854775807, step: -9223372036854775807))"), "[9223372036854775806, -1]\n")
        XCTAssertEqual(scriptError("range(0, 9223372036854775807, step: 2)")?.message, "range(0, 9223372036854775807, step: 2) has too many elements (more than 2000000)")
    }

    /// round keeps numbers too large to have fractional digits (1e308 * 10^15 would be infinite).
    func testRoundOfHugeNumbersIsTheNumber() throws {
        XCTAssertEqual(try runScript("print(round(1e308, digits: 15), round(-1e300, digits: 2), round(2.345, digits: 2))"), "1e+308 -1e+300 2.35\n")
    }
}
