import Foundation
import XCTest

/// Every tutorial (tutorials/*.md) is run and its outputs checked, so the
/// tutorials never go stale: `lora notebook check` must pass on each.
final class TutorialTests: XCTestCase {
    func testEveryTutorialChecks() throws {
        let dir = LoraBinary.packageRoot.appendingPathComponent("tutorials").path
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".md") && $0 != "README.md" }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 8, "tutorials missing in \(dir)")
        // The path that tutorials/README.md lays out, in order.
        XCTAssertEqual(names, ["01-language.md", "02-lora-ensemble.md", "03-inspection.md", "04-baselines.md", "05-your-own-data.md",
                               "06-checkpoints.md", "07-calibration.md", "08-pretrained-text.md"])
        let readme = try String(contentsOfFile: dir + "/README.md", encoding: .utf8)
        var last = readme.startIndex
        for name in names {
            guard let r = readme.range(of: "(\(name))", range: last..<readme.endIndex) else {
                XCTFail("tutorials/README.md does not link \(name) in order"); continue
            }
            last = r.upperBound
        }
        for name in names {
            let start = Date()
            let r = try lora(["notebook", "check", name], directory: dir)
            let seconds = Date().timeIntervalSince(start)
            XCTAssertEqual(r.status, 0, "\(name) is out of date (regenerate with `lora notebook run tutorials/\(name)` and read the diff):\n\(r.stdout)\(r.stderr)")
            XCTAssertTrue(r.stdout.contains("all as expected"), r.stdout)
            print("tutorial \(name): \(String(format: "%.1f", seconds)) s")
        }
    }
}
