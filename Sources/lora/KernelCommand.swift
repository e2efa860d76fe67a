import ArgumentParser
import Foundation
import Kernel
import Lang
import Tensor

/// `lora kernel install|uninstall|serve`: lora as a Jupyter kernel.
struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lora kernel",
        abstract: "lora as a Jupyter kernel: register it with Jupyter, or serve a session to it.",
        discussion: """
        `lora kernel install --user` registers the kernel spec "lora" (language lora, files .lora) in \
        your Jupyter data directory; notebooks whose kernelspec is "lora" (the .ipynb files that \
        `lora notebook run` exports) then run with it in Jupyter, VS Code and nbconvert. \
        The kernel is ipykernel's wrapper kernel (Debian python3-ipykernel) driving one \
        `lora kernel serve` process; see "Jupyter" in README.md.
        """,
        subcommands: [Install.self, Uninstall.self, Serve.self])

    /// Where a spec goes: --prefix, --user or the system directory.
    struct Location: ParsableArguments {
        @Flag(help: "Your own Jupyter data directory ($JUPYTER_DATA_DIR, else ~/.local/share/jupyter) instead of the system one.")
        var user = false

        @Option(help: "An environment's prefix (a venv's sys.prefix): the spec goes to PREFIX/share/jupyter/kernels.")
        var prefix: String?

        @Option(help: "The kernel spec's name (the notebooks' kernelspec name).")
        var name = "lora"

        func validate() throws {
            if user && prefix != nil { throw ValidationError("give --user or --prefix, not both") }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw ValidationError("--name may hold letters, digits, '-', '_' and '.' only, got '\(name)'")
            }
        }

        /// The data directories this location means (uninstall without flags looks in both standard ones).
        func dataDirectories(defaultBoth: Bool) -> [String] {
            if let p = prefix { return [JupyterPaths.prefixData(p)] }
            if user { return [JupyterPaths.userData()] }
            return defaultBoth ? [JupyterPaths.userData(), JupyterPaths.systemData] : [JupyterPaths.systemData]
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register the lora kernel with Jupyter (kernel.json and the ipykernel wrapper).",
            discussion: "Without --user or --prefix the spec goes to /usr/local/share/jupyter/kernels (needs root).")

        @OptionGroup var location: Location

        @Option(help: "The Python that runs the kernel; it needs ipykernel (Debian python3-ipykernel). Default: the first of python3 on PATH and /usr/bin/python3 that has it.")
        var python: String?

        @Option(help: "The name Jupyter shows.")
        var displayName = "lora"

        func run() throws {
            let directory = JupyterPaths.kernelDirectory(data: location.dataDirectories(defaultBoth: false)[0], name: location.name)
            let chosen = python.map { KernelCommand.interpreterWithIPyKernel($0) ?? $0 }
                ?? ["python3", "/usr/bin/python3"].lazy.compactMap(KernelCommand.interpreterWithIPyKernel).first
            let spec = KernelSpec(name: location.name, displayName: displayName, loraBinary: KernelCommand.executablePath(),
                                  python: chosen ?? "python3")
            do {
                try spec.install(in: directory)
            } catch let e as KernelSpecError {
                Output.error(e.description + "\n")
                throw ExitCode(1)
            }
            Output.standard("installed kernel spec '\(location.name)' in \(directory)\n  lora:   \(spec.loraBinary)\n  python: \(spec.python)\n")
            if chosen == nil {
                Output.error("note: \(python ?? "neither python3 nor /usr/bin/python3") cannot import ipykernel, which runs the kernel; install Debian python3-ipykernel (apt-get install python3-ipykernel) or `pip install ipykernel`, or name another Python with --python, then install again\n")
            }
        }
    }

    struct Uninstall: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove the lora kernel spec.",
            discussion: "Without --user or --prefix, removes it from your data directory and the system one, wherever it is.")

        @OptionGroup var location: Location

        func run() throws {
            let candidates = location.dataDirectories(defaultBoth: true).map { JupyterPaths.kernelDirectory(data: $0, name: location.name) }
            let present = candidates.filter { FileManager.default.fileExists(atPath: $0) }
            guard !present.isEmpty else {
                Output.error("error: no kernel spec '\(location.name)' in \(candidates.joined(separator: " or "))\nnote: `jupyter kernelspec list` shows where kernel specs are\n")
                throw ExitCode(1)
            }
            for directory in present {
                do {
                    try KernelSpec.uninstall(directory)
                } catch let e as KernelSpecError {
                    Output.error(e.description + "\n")
                    throw ExitCode(1)
                }
                Output.standard("removed kernel spec '\(location.name)' from \(directory)\n")
            }
        }
    }

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve one lora session to the Jupyter kernel (lora_kernel.py) over stdin/stdout.",
            discussion: "One JSON request per line on stdin, one JSON event per line on stdout (see Sources/Kernel). Not for typing at: use `lora` for that.")

        @Option(help: "Global seed for training, splits and sampling.")
        var seed: UInt64 = 0

        @Option(help: "Worker threads for the tensor engine.")
        var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

        func validate() throws {
            guard threads >= 1 && threads <= 1024 else { throw ValidationError("--threads must be between 1 and 1024, got \(threads)") }
        }

        func run() throws {
            Engine.threads = threads
            // Every SIGINT (the kernel's interrupt) stops the running statement; none ends the process.
            Interrupt.install(interactive: true)
            // The protocol owns the real stdout; anything else written there goes to stderr.
            let events = ProtocolWriter(fd: dup(STDOUT_FILENO))
            dup2(STDERR_FILENO, STDOUT_FILENO)
            let server = KernelServer(seed: seed, threads: threads, cancellation: Interrupt.flag) { events.write($0.line) }
            events.write(KernelEvent.ready(languageVersion: "").line)
            let requests = LineReader(fd: STDIN_FILENO)
            while let line = requests.next() {
                if !server.handle(line: line) { break }
            }
        }
    }

    /// This binary's absolute path (what kernel.json names).
    static func executablePath() -> String {
        let path = Bundle.main.executablePath ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// The absolute path of `python` when it can import ipykernel, else nil.
    static func interpreterWithIPyKernel(_ python: String) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, "-c", "import ipykernel, sys; print(sys.executable)"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return path.isEmpty ? python : path
    }
}

/// Lines from a file descriptor; a signal (Ctrl-C) interrupting the read is not the end of input.
final class LineReader {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var ended = false

    init(fd: Int32) { self.fd = fd }

    func next() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            if ended {
                guard !buffer.isEmpty else { return nil }
                defer { buffer = [] }
                return String(decoding: buffer, as: UTF8.self)
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer.append(contentsOf: chunk[..<n])
            } else if n == 0 || errno != EINTR {
                ended = true
            }
        }
    }
}

/// Writes whole lines to a file descriptor, retrying after signals and short writes.
final class ProtocolWriter {
    private let fd: Int32
    private let lock = NSLock()

    init(fd: Int32) { self.fd = fd }

    func write(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                bytes = bytes.dropFirst(n)
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return  // the kernel is gone; the next read ends the loop
            }
        }
    }
}
