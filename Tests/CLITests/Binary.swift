import Foundation
import XCTest

/// Locates the built `lora` binary: `LORA_BIN`, else `.build/release/lora` or
/// `.build/debug/lora` under the package root.
enum LoraBinary {
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    static func path() throws -> String {
        if let p = ProcessInfo.processInfo.environment["LORA_BIN"], !p.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: p) else { throw Missing(message: "LORA_BIN=\(p) is not an executable") }
            return p
        }
        // Prefer the configuration the tests were built in, then the other one.
        let testBinary = (Bundle.main.executablePath ?? "") + " " + (CommandLine.arguments.first ?? "")
        let configs = testBinary.contains("/release/") ? ["release", "debug"] : ["debug", "release"]
        let candidates = configs.map { packageRoot.appendingPathComponent(".build/\($0)/lora").path }
        for c in candidates where FileManager.default.isExecutableFile(atPath: c) { return c }
        throw Missing(message: "the lora binary is not built; run `swift build --product lora` (looked in \(candidates.joined(separator: ", ")); or set LORA_BIN)")
    }

    struct Missing: Error, CustomStringConvertible { let message: String; var description: String { message } }
}

/// The outcome of one run of the binary.
struct RunResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs `lora` with arguments and optional stdin, in `directory`.
func lora(_ arguments: [String], stdin: String? = nil, directory: String? = nil, environment: [String: String] = [:]) throws -> RunResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try LoraBinary.path())
    process.arguments = arguments
    if let d = directory { process.currentDirectoryURL = URL(fileURLWithPath: d) }
    var env = ProcessInfo.processInfo.environment
    env["LORA_HISTORY"] = NSTemporaryDirectory() + "lora-cli-test-history"
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let s = stdin { input.fileHandleForWriting.write(s.data(using: .utf8)!) }
    try input.fileHandleForWriting.close()
    // Read both pipes fully before waiting, so a full pipe cannot block the child.
    // Unchecked: written by the reader thread before `group.leave()`, read only after `group.wait()`.
    final class Box: @unchecked Sendable { var data = Data() }
    let errBox = Box()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    let errData = errBox.data
    process.waitUntilExit()
    return RunResult(status: process.terminationStatus,
                     stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}

/// A scratch directory with script files for one test.
final class ScratchDirectory {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "lora-cli-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let p = path + "/" + name
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }
}
