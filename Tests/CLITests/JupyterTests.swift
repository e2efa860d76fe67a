import Foundation
import XCTest

/// lora as a Jupyter kernel, end to end: `lora kernel install --user` into a
/// scratch Jupyter data directory, then Jupyter's own client drives it
/// (Tests/Jupyter/kernel_test.py with jupyter_client), and nbconvert executes
/// every tutorial's .ipynb with it; `lora notebook compare` checks the outputs
/// against the tutorials' output blocks. Needs Debian python3-jupyter-client,
/// python3-ipykernel and jupyter-nbconvert (./scripts/test installs them).
final class JupyterTests: XCTestCase {
    /// The Python with Jupyter's packages: Debian's, whatever python3 is first on PATH.
    static let python = "/usr/bin/python3"

    var scratch: ScratchDirectory!
    var environment: [String: String] = [:]

    override func setUpWithError() throws {
        let probe = try run(JupyterTests.python, ["-c", "import jupyter_client, ipykernel, nbconvert"])
        guard probe.status == 0 else {
            XCTFail("\(JupyterTests.python) cannot import jupyter_client, ipykernel and nbconvert: install Debian python3-jupyter-client python3-ipykernel jupyter-nbconvert (./scripts/test does)\n\(probe.stderr)")
            throw XCTSkip("Jupyter's Python packages are missing")
        }
        scratch = try ScratchDirectory()
        // Only the scratch data directory holds kernel specs the test sees.
        environment = ["JUPYTER_DATA_DIR": scratch.path + "/jupyter", "JUPYTER_PATH": "", "JUPYTER_CONFIG_DIR": scratch.path + "/config",
                       "JUPYTER_RUNTIME_DIR": scratch.path + "/runtime", "JUPYTER_PLATFORM_DIRS": "0", "IPYTHONDIR": scratch.path + "/ipython"]
        let install = try lora(["kernel", "install", "--user"], environment: environment)
        XCTAssertEqual(install.status, 0, install.stderr)
        XCTAssertTrue(install.stdout.hasPrefix("installed kernel spec 'lora' in \(scratch.path)/jupyter/kernels/lora"), install.stdout)
        XCTAssertEqual(install.stderr, "", "the kernel's Python was not found")
    }

    override func tearDownWithError() throws {
        guard let scratch else { return }
        let removed = try lora(["kernel", "uninstall", "--user"], environment: environment)
        XCTAssertEqual(removed.status, 0, removed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path + "/jupyter/kernels/lora"))
        let again = try lora(["kernel", "uninstall", "--user"], environment: environment)
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("error: no kernel spec 'lora' in \(scratch.path)/jupyter/kernels/lora"), again.stderr)
    }

    func testJupyterClientDrivesTheKernel() throws {
        let script = LoraBinary.packageRoot.appendingPathComponent("Tests/Jupyter/kernel_test.py").path
        let start = Date()
        let r = try run(JupyterTests.python, [script], directory: scratch.path)
        print("jupyter kernel checks: \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        let checks = [
            "kernel_info names the lora language", "execute echoes as lora's REPL does", "complete uses lora's completion",
            "inspect gives the :help text", "is_complete follows lora's continuation rules",
            "a figure arrives as image/svg+xml display data", "a table arrives as text/plain and text/html",
            "fit progress is one display updated in place", "an error arrives as an error message with lora's diagnostic",
            "interrupt during fit stops it and keeps the variables",
            "a lora process that died is reported, and the next cell starts a new one",
            "restart gives a fresh session", "shutdown ends the lora process",
        ]
        for c in checks { XCTAssertTrue(r.stdout.contains("PASS \(c)\n"), "\(c):\n\(r.stdout)\n\(r.stderr.suffix(3000))") }
        XCTAssertTrue(r.stdout.contains("jupyter kernel: \(checks.count) passed, 0 failed"), r.stdout)
        XCTAssertEqual(r.status, 0)
    }

    func testEveryTutorialRunsInJupyterAsItsOutputBlocksSay() throws {
        let tutorials = LoraBinary.packageRoot.appendingPathComponent("tutorials").path
        let names = try FileManager.default.contentsOfDirectory(atPath: tutorials)
            .filter { $0.hasSuffix(".md") && $0 != "README.md" }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 8)
        let out = scratch.path + "/notebooks"
        // The files the tutorials load (tutorials/data) sit beside the notebooks, as in the repository.
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let data = tutorials + "/data"
        if FileManager.default.fileExists(atPath: data) { try FileManager.default.copyItem(atPath: data, toPath: out + "/data") }
        for name in names {
            let stem = (name as NSString).deletingPathExtension
            let start = Date()
            let export = try lora(["notebook", "export", tutorials + "/" + name, "-o", out])
            XCTAssertEqual(export.status, 0, export.stderr)
            // The kernel runs in the notebook's directory (the scratch one), so figures cells save land there.
            let execute = try run(JupyterTests.python, ["-m", "nbconvert", "--to", "notebook", "--execute",
                                                        "--ExecutePreprocessor.timeout=600", "--output-dir", out,
                                                        "--output", "\(stem)-executed", out + "/\(stem).ipynb"])
            XCTAssertEqual(execute.status, 0, "\(name): nbconvert failed:\n\(execute.stderr.suffix(4000))")
            let compare = try lora(["notebook", "compare", tutorials + "/" + name, out + "/\(stem)-executed.ipynb"])
            XCTAssertEqual(compare.status, 0, "\(name) in Jupyter differs from its output blocks:\n\(compare.stdout)\(compare.stderr)")
            XCTAssertTrue(compare.stdout.contains("all as expected in") && compare.stdout.contains("(kernel lora)"), compare.stdout)
            print("tutorial \(name) in Jupyter: \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        }
    }

    /// Runs a program with the test's Jupyter environment.
    func run(_ executable: String, _ arguments: [String], directory: String? = nil) throws -> RunResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let d = directory { process.currentDirectoryURL = URL(fileURLWithPath: d) }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Unchecked: written by the reader thread before `group.leave()`, read only after `group.wait()`.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return RunResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errBox.data, as: UTF8.self))
    }
}
