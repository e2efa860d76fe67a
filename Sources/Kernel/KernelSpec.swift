import Files
import Foundation

/// The kernel spec Jupyter finds the lora kernel by: a directory
/// `kernels/NAME` in one of Jupyter's data directories, holding
/// `kernel.json` (how to start the kernel, display name "lora", language
/// `lora`) and `lora_kernel.py` (the ipykernel wrapper kernel, embedded in
/// this binary), which starts `lora kernel serve` with the binary the spec names.
public struct KernelSpec {
    public var name: String
    public var displayName: String
    /// The lora binary the kernel runs (an absolute path).
    public var loraBinary: String
    /// The Python that runs lora_kernel.py (needs ipykernel).
    public var python: String

    public init(name: String = "lora", displayName: String = "lora", loraBinary: String, python: String = "python3") {
        self.name = name
        self.displayName = displayName
        self.loraBinary = loraBinary
        self.python = python
    }

    /// The wrapper kernel's source (Sources/Kernel/lora_kernel.py).
    public static var kernelScript: String { String(decoding: PackageResources.lora_kernel_py, as: UTF8.self) }

    /// kernel.json for a spec installed in `directory`.
    public func kernelJSON(directory: String) -> String {
        let object: [String: Any] = [
            // -Xfrozen_modules=off: ipykernel imports debugpy, which warns in the log without it (Python 3.11+; older ones ignore it).
            "argv": [python, "-Xfrozen_modules=off", (directory as NSString).appendingPathComponent("lora_kernel.py"), "-f", "{connection_file}"],
            "display_name": displayName,
            "language": "lora",
            "interrupt_mode": "signal",
            "env": ["LORA_KERNEL_BINARY": loraBinary],
            "metadata": ["debugger": false, "file_extension": ".lora"],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Writes kernel.json and lora_kernel.py into `directory` (created if
    /// missing; files written atomically). Returns the files written.
    @discardableResult
    public func install(in directory: String) throws -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw KernelSpecError("cannot create \(directory): \(error.localizedDescription)",
                                  remedy: "choose a directory you can write: --user (your own), or --prefix DIR")
        }
        let files = [("kernel.json", kernelJSON(directory: directory)), ("lora_kernel.py", KernelSpec.kernelScript)]
        var written: [String] = []
        for (file, text) in files {
            let path = (directory as NSString).appendingPathComponent(file)
            do {
                try AtomicFile.write(text, to: path)
            } catch {
                throw KernelSpecError("\(error)", remedy: "choose a directory you can write: --user (your own), or --prefix DIR")
            }
            written.append(path)
        }
        return written
    }

    /// Whether `directory` holds a lora kernel spec (its kernel.json says language `lora`).
    public static func isLoraSpec(_ directory: String) -> Bool {
        let path = (directory as NSString).appendingPathComponent("kernel.json")
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return object["language"] as? String == "lora"
    }

    /// Removes a lora kernel spec directory; refuses one that is not a lora spec.
    public static func uninstall(_ directory: String) throws {
        guard isLoraSpec(directory) else {
            throw KernelSpecError("\(directory) is not a lora kernel spec (no kernel.json with language \"lora\")",
                                  remedy: "check the name and location: `jupyter kernelspec list` shows every kernel spec")
        }
        do {
            try FileManager.default.removeItem(atPath: directory)
        } catch {
            throw KernelSpecError("cannot remove \(directory): \(error.localizedDescription)",
                                  remedy: "remove it by hand, or run the command as a user who can")
        }
    }
}

/// Where Jupyter looks for kernel specs, as jupyter_core computes it.
public enum JupyterPaths {
    /// The user's data directory: $JUPYTER_DATA_DIR, else ~/Library/Jupyter
    /// (macOS), else $XDG_DATA_HOME/jupyter or ~/.local/share/jupyter.
    public static func userData(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let d = environment["JUPYTER_DATA_DIR"], !d.isEmpty { return (d as NSString).expandingTildeInPath }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        #if os(macOS)
        return (home as NSString).appendingPathComponent("Library/Jupyter")
        #else
        if let x = environment["XDG_DATA_HOME"], !x.isEmpty { return (x as NSString).appendingPathComponent("jupyter") }
        return (home as NSString).appendingPathComponent(".local/share/jupyter")
        #endif
    }

    /// The system-wide data directory `jupyter kernelspec install` uses.
    public static let systemData = "/usr/local/share/jupyter"

    /// The data directory of an environment prefix (a venv: sys.prefix).
    public static func prefixData(_ prefix: String) -> String {
        ((prefix as NSString).expandingTildeInPath as NSString).appendingPathComponent("share/jupyter")
    }

    /// The spec directory for kernel `name` under a data directory.
    public static func kernelDirectory(data: String, name: String) -> String {
        (data as NSString).appendingPathComponent("kernels/\(name)")
    }
}

/// An installation problem, with what to do about it.
public struct KernelSpecError: Error, CustomStringConvertible {
    public var message: String
    public var remedy: String
    public init(_ message: String, remedy: String) {
        self.message = message
        self.remedy = remedy
    }
    public var description: String { "error: \(message)\nnote: \(remedy)" }
}
