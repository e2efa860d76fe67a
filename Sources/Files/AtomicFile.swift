import Foundation

/// Writes files atomically: the bytes go to a fresh temporary file in the same
/// directory, are flushed to disk (fsync), and the file is then renamed over
/// the destination. Readers see the old file or the new one, never half of
/// one, and a crash leaves at most a stray temporary file, never a truncated
/// checkpoint, figure or notebook. Every layer that writes files uses this.
public enum AtomicFile {
    /// Why a write failed, with the path and what to do.
    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let problem: String
        public var description: String { "cannot write \(path): \(problem)" }
    }

    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw WriteError(path: path, problem: "directory \(dir) does not exist; create it first or choose another path")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw WriteError(path: path, problem: "it is a directory; choose a file name")
        }
        let temp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw WriteError(path: path, problem: "creating a temporary file failed (\(String(cString: strerror(errno)))); check that the directory is writable")
        }
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(fd); unlink(temp)
                throw WriteError(path: path, problem: "writing failed (\(reason)); check the free disk space")
            }
            offset += n
        }
        if fsync(fd) != 0 || close(fd) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw WriteError(path: path, problem: "flushing to disk failed (\(reason))")
        }
        if rename(temp, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw WriteError(path: path, problem: "renaming the temporary file failed (\(reason))")
        }
        // Make the rename itself durable.
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    public static func write(_ bytes: [UInt8], to path: String) throws {
        try bytes.withUnsafeBytes { try write($0, to: path) }
    }

    public static func write(_ data: Data, to path: String) throws {
        try data.withUnsafeBytes { try write($0, to: path) }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }
}
