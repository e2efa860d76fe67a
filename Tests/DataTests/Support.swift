import XCTest
import Foundation
@testable import Data

/// A fresh temporary folder per test case, removed afterwards.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "lora-data-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes bytes to `name` and returns the full path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let p = path + "/" + name
        precondition(FileManager.default.createFile(atPath: p, contents: Foundation.Data(bytes)), "cannot write \(p)")
        return p
    }

    @discardableResult
    func write(_ name: String, text: String) -> String { write(name, Array(text.utf8)) }

    func base64(_ name: String, _ b64: String) -> String {
        write(name, Array(Foundation.Data(base64Encoded: b64)!))
    }
}

/// An IDX file's bytes: magic 00 00 type ndims, big-endian dims, data.
func idxBytes(type: UInt8 = 0x08, dims: [Int], data: [UInt8]) -> [UInt8] {
    var b: [UInt8] = [0, 0, type, UInt8(dims.count)]
    for d in dims { b += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
    return b + data
}

/// Checks that `body` throws a DataError whose description contains every fragment.
func assertDataError<T>(_ body: @autoclosure () throws -> T, _ fragments: [String],
                        file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected a DataError containing \(fragments)", file: file, line: line)
    } catch let e as DataError {
        let text = e.description
        for f in fragments where !text.contains(f) {
            XCTFail("error \"\(text)\" lacks \"\(f)\"", file: file, line: line)
        }
    } catch {
        XCTFail("expected a DataError, got \(error)", file: file, line: line)
    }
}

/// A small data set with known pixels: sample i has every pixel = i / 100,
/// label i % classes.
func toyDataset(count: Int = 20, classes: Int = 3, channels: Int = 1, side: Int = 2) -> Dataset {
    let per = channels * side * side
    var px: [Float] = []
    for i in 0..<count { px += [Float](repeating: Float(i) / 100, count: per) }
    return try! Dataset(name: "toy", images: px, labels: (0..<count).map { $0 % classes },
                        channels: channels, height: side, width: side, classNames: (0..<classes).map { "c\($0)" })
}

/// Element-wise closeness of two float arrays.
func assertClose(_ a: [Float], _ b: [Float], tol: Float = 1e-6, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "lengths differ", file: file, line: line)
    guard a.count == b.count else { return }
    for i in 0..<a.count where !(abs(a[i] - b[i]) <= tol) {
        XCTFail("element \(i): \(a[i]) vs \(b[i])", file: file, line: line)
        return
    }
}
