import Foundation
import NN

/// `model.save(path)` and `load_model(path)`: the NN layer's safetensors
/// checkpoints (kind, sizes, options and every parameter; no training
/// history), with the path checked first so mistakes get a plain message.
enum ModelFiles {
    static func fail(_ path: String, _ detail: String) -> NNError { .checkpoint(path: path, detail: detail) }

    /// `path` made absolute against the current directory.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    static func save(_ v: ModelValue, to given: String) throws {
        let path = absolute(given)
        let dir = (path as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        if !dir.isEmpty, !(FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) && isDir.boolValue) {
            throw fail(path, "directory \(dir) does not exist; create it first or choose another path")
        }
        // Written under a fresh name, then renamed over `path` with rename(2):
        // atomic, and it replaces an existing file (Foundation's replaceItemAt
        // fails for that on Linux).
        let temp = (dir.isEmpty ? "" : dir + "/") + ".\((path as NSString).lastPathComponent).lora-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            if let b = v.backbone { try NN.Checkpoint.save(b, to: temp) } else { try NN.Checkpoint.save(v.model, to: temp) }
        } catch {
            unlink(temp)
            throw error
        }
        if rename(temp, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw fail(path, "cannot replace the file (\(reason)); check that it is writable")
        }
    }

    static func load(_ given: String) throws -> ModelValue {
        let path = absolute(given)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw fail(path, "no such file; check the path (the current directory is \(FileManager.default.currentDirectoryPath))")
        }
        guard !isDir.boolValue else { throw fail(path, "is a directory; give the path of a .safetensors file written by model.save") }
        switch try NN.Checkpoint.load(path) {
        case .vit(let vit): return ModelValue(backbone: vit)
        case .ensemble(let m): return ModelValue(m, label: m.kind == .single ? "single network" : nil)
        }
    }
}
