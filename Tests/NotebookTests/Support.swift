import Foundation
import XCTest
@testable import Notebook

/// Parses a notebook from text, failing the test on a parse error.
func document(_ text: String, name: String = "nb.md", file: StaticString = #filePath, line: UInt = #line) throws -> NotebookDocument {
    try NotebookDocument(text: text, name: name)
}

/// Runs every cell of `text` in a fresh session.
func runCells(_ text: String, name: String = "nb.md", positions: NotebookRunner.Positions = .asIs) throws -> [CellResult] {
    let doc = try NotebookDocument(text: text, name: name)
    return NotebookRunner(document: doc, path: name, threads: 1).runAll(positions: positions)
}

/// A scratch directory removed when the test ends.
final class Scratch {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "lora-notebook-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: file(name), atomically: true, encoding: .utf8)
        return file(name)
    }
    func read(_ name: String) throws -> String { try String(contentsOfFile: file(name), encoding: .utf8) }
    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }
}

let fence = "```"
