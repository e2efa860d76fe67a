import Foundation
import XCTest

/// A process ended while it writes a large checkpoint: the old file stays
/// whole, and no temporary stays behind (SIGTERM and Ctrl-C remove it at once;
/// after SIGKILL the next save into the folder removes it).
final class SaveInterruptionTests: XCTestCase {
    /// About 60 MB of parameters: long enough to be caught while writing.
    static let bigSave = "let m = vit(image: 32, patch: 4, dim: 384, depth: 8, heads: 6, classes: 10)\nm.save(\"big.safetensors\")\nprint(\"saved\")"

    private func temporaries(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix(".lora-") }
    }

    /// Starts the big save and sends `signal` as soon as its temporary file
    /// appears. Returns whether the signal arrived during the write, and the exit status.
    private func interruptBigSave(in dir: String, with signal: Int32, twice: Bool = false) throws -> (caught: Bool, status: Int32, reason: Process.TerminationReason) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try LoraBinary.path())
        process.arguments = ["--quiet", "-e", SaveInterruptionTests.bigSave]
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        var env = ProcessInfo.processInfo.environment
        env["LORA_HISTORY"] = dir + "/history"
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var caught = false
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline {
            if !temporaries(dir).isEmpty {
                kill(process.processIdentifier, signal)
                if twice { usleep(1000); kill(process.processIdentifier, signal) }
                caught = true
                break
            }
            usleep(200)
        }
        if !caught && process.isRunning { process.terminate() }
        process.waitUntilExit()
        return (caught, process.terminationStatus, process.terminationReason)
    }

    private func check(signal: Int32, removesAtOnce: Bool) throws {
        let scratch = try ScratchDirectory()
        let old = "the previous checkpoint"
        try scratch.write("big.safetensors", old)
        var attempt = 0
        var outcome: (caught: Bool, status: Int32, reason: Process.TerminationReason)
        repeat {
            // The save may finish before the poll sees its temporary: put the old file back and try again.
            try scratch.write("big.safetensors", old)
            outcome = try interruptBigSave(in: scratch.path, with: signal)
            attempt += 1
        } while !outcome.caught && attempt < 3
        guard outcome.caught else { throw XCTSkip("the save finished before its temporary file could be seen") }
        XCTAssertEqual(outcome.reason, .uncaughtSignal, "the process should die of signal \(signal)")
        XCTAssertEqual(outcome.status, signal)
        XCTAssertEqual(try String(contentsOfFile: scratch.path + "/big.safetensors", encoding: .utf8), old, "the old file was damaged")
        if removesAtOnce {
            XCTAssertEqual(temporaries(scratch.path), [], "the dying process left its temporary")
        }
        // The next save into the folder removes what a killed process left.
        let next = try lora(["--quiet", "-e", "vit(image: 8, patch: 2, dim: 8, depth: 1, heads: 2, classes: 2).save(\"small.safetensors\")"],
                            directory: scratch.path)
        XCTAssertEqual(next.status, 0, next.stderr)
        XCTAssertEqual(temporaries(scratch.path), [], "a stale temporary survived the next save")
        XCTAssertEqual(try String(contentsOfFile: scratch.path + "/big.safetensors", encoding: .utf8), old)
    }

    func testKilledDuringSaveKeepsTheOldFileAndTheNextSaveCleansUp() throws {
        try check(signal: SIGKILL, removesAtOnce: false)
    }

    func testTerminatedDuringSaveRemovesItsTemporary() throws {
        try check(signal: SIGTERM, removesAtOnce: true)
    }

    func testCtrlCTwiceDuringSaveLeavesNoTemporaryAndNoHalfFile() throws {
        // A script's first Ctrl-C only asks work to stop; the second ends the process
        // (the temporary is removed), unless the write finished in between.
        let scratch = try ScratchDirectory()
        let old = "the previous checkpoint"
        var attempt = 0
        var outcome: (caught: Bool, status: Int32, reason: Process.TerminationReason)
        repeat {
            try scratch.write("big.safetensors", old)
            outcome = try interruptBigSave(in: scratch.path, with: SIGINT, twice: true)
            attempt += 1
        } while !outcome.caught && attempt < 3
        guard outcome.caught else { throw XCTSkip("the save finished before its temporary file could be seen") }
        let text = (try? String(contentsOfFile: scratch.path + "/big.safetensors", encoding: .utf8)) ?? "(binary)"
        let size = (try FileManager.default.attributesOfItem(atPath: scratch.path + "/big.safetensors")[.size] as? Int) ?? 0
        XCTAssertTrue(text == old || size > 40_000_000, "half-written file: \(size) bytes")
        XCTAssertEqual(temporaries(scratch.path), [])
    }

    /// One Ctrl-C in a script stops the write at its next piece: the script
    /// ends with status 130 and "interrupted; big.safetensors unchanged", the
    /// old file whole and no temporary left (before, the first Ctrl-C was
    /// ignored until the whole file was written).
    func testOneCtrlCDuringSaveStopsTheWriteAndTheScript() throws {
        let scratch = try ScratchDirectory()
        let old = "the previous checkpoint"
        for _ in 0..<3 {
            try scratch.write("big.safetensors", old)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try LoraBinary.path())
            process.arguments = ["--quiet", "-e", SaveInterruptionTests.bigSave]
            process.currentDirectoryURL = URL(fileURLWithPath: scratch.path)
            var env = ProcessInfo.processInfo.environment
            env["LORA_HISTORY"] = scratch.path + "/history"
            process.environment = env
            let errors = Pipe()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            try process.run()
            var caught = false
            let deadline = Date().addingTimeInterval(120)
            while process.isRunning && Date() < deadline {
                if !temporaries(scratch.path).isEmpty { kill(process.processIdentifier, SIGINT); caught = true; break }
                usleep(200)
            }
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            // The write may have ended (renamed) just before the signal: try again.
            guard caught, stderr.contains("unchanged") else { continue }
            XCTAssertEqual(process.terminationReason, .exit, "one Ctrl-C must not kill the process")
            XCTAssertEqual(process.terminationStatus, 130, stderr)
            XCTAssertTrue(stderr.contains("error: interrupted; big.safetensors unchanged"), stderr)
            XCTAssertEqual(try String(contentsOfFile: scratch.path + "/big.safetensors", encoding: .utf8), old, "the old file was damaged")
            XCTAssertEqual(temporaries(scratch.path), [], "the stopped write left its temporary")
            return
        }
        XCTFail("in three tries, Ctrl-C during the write never stopped it (the file was replaced each time)")
    }
}
