import Foundation

/// Writes files atomically: the bytes go to a temporary file in the same
/// directory, which is then renamed over the destination, so readers never
/// see a half-written figure.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw RenderError.io("cannot write \(path): directory \(dir) does not exist; create it first or choose another path")
        }
        let temp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temp, contents: Data(bytes)) else {
            throw RenderError.io("cannot write \(path): creating the temporary file \(temp) failed; check that the directory is writable")
        }
        if rename(temp, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw RenderError.io("cannot write \(path): renaming the temporary file failed (\(reason))")
        }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }
}

/// A figure that can be written as SVG.
public protocol SVGFigure {
    /// The complete SVG document; same input gives the same bytes.
    func svg() -> String
}

extension SVGFigure {
    /// Writes `svg()` to `path` atomically.
    public func save(to path: String) throws {
        try AtomicFile.write(svg(), to: path)
    }
}
