import Core
import Files
import Foundation
import Lang

/// `lora notebook run` and `lora notebook check`, as functions that return an
/// exit status and write through the given closures (the CLI passes stdout
/// and stderr; tests pass buffers).
public enum NotebookCommands {
    /// Reads and parses a notebook.
    public static func load(_ path: String) throws -> NotebookDocument {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw NotebookError("no notebook at '\(path)'",
                                remedy: "check the path; the current directory is \(FileManager.default.currentDirectoryPath)")
        }
        guard !isDir.boolValue else { throw NotebookError("'\(path)' is a directory, not a markdown notebook") }
        guard let data = FileManager.default.contents(atPath: path) else { throw NotebookError("cannot read '\(path)'") }
        guard let text = String(data: data, encoding: .utf8) else {
            throw NotebookError("'\(path)' is not UTF-8 text", remedy: "a notebook is a markdown file with ```lora cells")
        }
        return try NotebookDocument(text: text, name: path)
    }

    /// Where `run` writes: the markdown and the .ipynb for `path` in `directory`
    /// (default: the notebook's own directory, so the notebook is updated in place).
    public static func outputPaths(for path: String, directory: String?) -> (markdown: String, ipynb: String) {
        let name = (path as NSString).lastPathComponent
        let stem = (name as NSString).deletingPathExtension
        guard let dir = directory else {
            return (path, ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(stem + ".ipynb"))
        }
        return ((dir as NSString).appendingPathComponent(name), (dir as NSString).appendingPathComponent(stem + ".ipynb"))
    }

    /// Runs every cell and writes the notebook with fresh output blocks, plus a
    /// Jupyter export, into `directory` (default: beside the notebook, updating
    /// it in place). Unexpected cell errors go to `error` as `FILE:LINE:COL`
    /// diagnostics; the files are written anyway. Returns 0 when every cell
    /// behaved as marked, 1 otherwise.
    public static func run(path: String, outputDirectory: String?, seed: UInt64 = 0,
                           cancellation: CancellationFlag = CancellationFlag(),
                           output: (String) -> Void, error report: (String) -> Void) -> Int32 {
        let start = Date()
        do {
            let document = try load(path)
            let targets = outputPaths(for: path, directory: outputDirectory)
            // Errors are reported at the lines of the file being written.
            let runner = NotebookRunner(document: document, path: targets.markdown, seed: seed, cancellation: cancellation,
                                        workingDirectory: directory(of: path))
            var results: [Int: CellResult] = [:]
            var bad = 0
            for r in runner.runAll(positions: .rewritten) {
                results[r.cell.index] = r
                if r.misbehaved { bad += 1 }
                for f in NotebookCheck.findings(r, path: targets.markdown) where f.kind != .outputDiffers {
                    report(f.description)
                }
            }
            if runner.interrupted {
                report("interrupted: nothing written\n")
                return 130
            }
            if let dir = outputDirectory {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            }
            try AtomicFile.write(MarkdownWriter.markdown(document, results: results), to: targets.markdown)
            try AtomicFile.write(JupyterExport.json(document, results: results), to: targets.ipynb)
            let seconds = Date().timeIntervalSince(start)
            output("ran \(plural(document.cells.count, "cell")) in \(String(format: "%.1f", seconds)) s"
                   + (bad > 0 ? ", \(bad) failed" : "") + "; wrote \(targets.markdown) and \(targets.ipynb)\n")
            return bad > 0 ? 1 : 0
        } catch {
            report(describe(error))
            return 1
        }
    }

    /// Runs every cell and compares its output with the ```output block after
    /// it; prints a unified-diff-like report for each cell that differs, with
    /// the notebook's line numbers. Writes nothing. Returns 0 when all match.
    public static func check(path: String, seed: UInt64 = 0, cancellation: CancellationFlag = CancellationFlag(),
                             output: (String) -> Void, error report: (String) -> Void) -> Int32 {
        let start = Date()
        do {
            let document = try load(path)
            let runner = NotebookRunner(document: document, path: path, seed: seed, cancellation: cancellation,
                                        workingDirectory: directory(of: path))
            var differing = 0
            for r in runner.runAll() {
                let findings = NotebookCheck.findings(r, path: path)
                if !findings.isEmpty { differing += 1 }
                for f in findings { output(f.description) }
            }
            if runner.interrupted {
                report("interrupted: not every cell ran\n")
                return 130
            }
            let seconds = String(format: "%.1f", Date().timeIntervalSince(start))
            let n = document.cells.count
            if differing == 0 {
                output("\(path): \(plural(n, "cell")), all as expected (\(seconds) s)\n")
                return 0
            }
            output("\(path): \(differing) of \(plural(n, "cell")) not as expected (\(seconds) s); "
                   + "`lora notebook run \(path)` rewrites the output blocks\n")
            return 1
        } catch {
            report(describe(error))
            return 1
        }
    }

    /// Writes the Jupyter export of a notebook without running it: each code
    /// cell carries its ```output block as output. Into `directory`, default
    /// beside the notebook. Returns 0 when written.
    public static func export(path: String, outputDirectory: String?, output: (String) -> Void, error report: (String) -> Void) -> Int32 {
        do {
            let document = try load(path)
            let target = outputPaths(for: path, directory: outputDirectory).ipynb
            if let dir = outputDirectory {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            }
            try AtomicFile.write(JupyterExport.json(document, results: [:]), to: target)
            output("wrote \(target)\n")
            return 0
        } catch {
            report(describe(error))
            return 1
        }
    }

    /// Compares the outputs of a notebook that Jupyter executed (its export,
    /// run with the lora kernel) with the markdown's output blocks, as `check`
    /// compares lora's own run: timings masked, and also the positions in
    /// diagnostics (Jupyter names the cell, `In[5]:1:8`, where the markdown
    /// names its file and line). Returns 0 when every cell is as expected.
    public static func compare(path: String, executed: String, output: (String) -> Void, error report: (String) -> Void) -> Int32 {
        do {
            let document = try load(path)
            guard let data = FileManager.default.contents(atPath: executed) else {
                throw NotebookError("cannot read '\(executed)'", remedy: "check the path of the executed .ipynb")
            }
            let notebook = try ExecutedNotebook(data: data, name: executed)
            var differing = 0
            for r in try notebook.results(for: document, name: executed) {
                let findings = NotebookCheck.findings(r, path: path) { OutputText.masked(OutputText.maskedPosition($0)) }
                if !findings.isEmpty { differing += 1 }
                for f in findings { output(f.description) }
            }
            let n = document.cells.count
            let kernel = notebook.kernelName.map { " (kernel \($0))" } ?? ""
            if differing == 0 {
                output("\(path): \(plural(n, "cell")), all as expected in \(executed)\(kernel)\n")
                return 0
            }
            output("\(path): \(differing) of \(plural(n, "cell")) not as expected in \(executed)\(kernel)\n")
            return 1
        } catch {
            report(describe(error))
            return 1
        }
    }

    /// The directory holding `path` (cells run there).
    static func directory(of path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        return dir.isEmpty ? "." : dir
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? NotebookError { return e.description }
        if let e = error as? LangError { return Diagnostic.format(e) }
        return "error: \(error.localizedDescription)\n"
    }

    static func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
}
