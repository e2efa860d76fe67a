import Core
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading whole files into memory, with gzip streams inflated by zlib.
/// Every failure is a `DataError` that names the file. Large files are read
/// and inflated a few megabytes at a time, each piece reported to the thread's
/// `WorkWatch` ("reading NAME", "inflating NAME"): progress, and Ctrl-C stops there.
public enum FileBytes {
    /// Bytes between two reports to the `WorkWatch`.
    public static let reportEvery = 4 << 20

    /// "NAME" of a path (its last component).
    static func name(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// Reads the file at `path`. When it starts with the gzip magic (1f 8b) it
    /// is inflated; the result is the decompressed bytes.
    public static func read(_ path: String, remedy: String = "check the path") throws -> [UInt8] {
        let raw = try readRaw(path, remedy: remedy)
        if isGzip(raw) { return try gunzip(raw, file: path) }
        return raw
    }

    /// True when `bytes` starts with the gzip magic number.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Reads the file's bytes as they are on disk.
    public static func readRaw(_ path: String, remedy: String = "check the path") throws -> [UInt8] {
        var st = stat()
        if stat(path, &st) != 0 {
            let err = errno
            if err == ENOENT || err == ENOTDIR {
                throw DataError.missingFile(path: path, remedy: remedy)
            }
            throw DataError.unreadable(path: path, reason: String(cString: strerror(err)))
        }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw DataError.notAFile(path: path) }
        if (st.st_mode & S_IFMT) != S_IFREG {
            throw DataError.unreadable(path: path, reason: "not a regular file")
        }
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        let size = Int(st.st_size)
        var failure: Int32 = 0
        var got = 0
        var stop: Error? = nil
        let part = "reading " + name(path)
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buf, initialized in
            while got < size {
                let n = Glibc_read(fd, buf.baseAddress! + got, min(size - got, reportEvery))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if n == 0 { break }   // file shrank while reading
                got += n
                if size > reportEvery {
                    do { try WorkWatch.report(part, done: got, of: size) } catch { stop = error; break }
                }
            }
            initialized = got
        }
        if let stop { throw stop }
        if failure != 0 {
            throw DataError.unreadable(path: path, reason: String(cString: strerror(failure)))
        }
        return bytes
    }

    /// Inflates a gzip (or zlib) stream, including concatenated gzip members,
    /// checking each member's trailer. Output grows only as data is really
    /// produced, never beyond what deflate allows or memory holds.
    public static func gunzip(_ input: [UInt8], file: String) throws -> [UInt8] {
        try inflateStream(input, file: file, sizeHint: nil)
    }

    /// Inflates a gzip or zlib stream. `sizeHint` (when known) sizes the output buffer.
    static func inflateStream(_ input: [UInt8], file: String, sizeHint: Int?) throws -> [UInt8] {
        guard input.count >= 18 || (sizeHint != nil && input.count >= 8) else {
            throw DataError.malformed(file: file, problem: "gzip file too short (\(input.count) bytes, a gzip stream needs at least 18)",
                                      at: .byte(input.count), remedy: GzipReader.remedy)
        }
        // The last member's ISIZE (size mod 2^32) sizes the first buffer: a hint only, capped.
        let n = input.count
        let isize = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
        let hint = sizeHint ?? min(isize, n &* 256 &+ (1 << 20))
        return try GzipReader(input, file: file).readToEnd(limit: GzipReader.limit(compressed: n), sizeHint: hint)
    }
}

@inline(__always)
private func Glibc_read(_ fd: Int32, _ buf: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, buf, count)
    #else
    return Darwin.read(fd, buf, count)
    #endif
}
