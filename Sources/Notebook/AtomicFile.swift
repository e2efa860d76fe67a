import Foundation

/// Writes files atomically: the bytes go to a temporary file in the same
/// directory, which is then renamed over the target, so a reader sees the old
/// file or the new one, never half of one.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw NotebookError("cannot write '\(path)': the directory '\(directory)' does not exist",
                                remedy: "create it first, or choose another directory with -o")
        }
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw NotebookError("cannot write '\(path)': creating '\(temporary)' failed",
                                remedy: "check that the directory is writable")
        }
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw NotebookError("cannot write '\(path)': \(reason)", remedy: "check that the path is a writable file")
        }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
