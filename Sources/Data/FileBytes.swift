#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib

/// Reading whole files into memory, with gzip streams inflated by zlib.
/// Every failure is a `DataError` that names the file.
public enum FileBytes {
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
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buf, initialized in
            while got < size {
                let n = Glibc_read(fd, buf.baseAddress! + got, size - got)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if n == 0 { break }   // file shrank while reading
                got += n
            }
            initialized = got
        }
        if failure != 0 {
            throw DataError.unreadable(path: path, reason: String(cString: strerror(failure)))
        }
        return bytes
    }

    /// Inflates a gzip (or zlib) stream, including concatenated gzip members.
    /// Output grows only as data is really produced, so a lying size trailer
    /// cannot make it allocate more than the stream decodes to.
    public static func gunzip(_ input: [UInt8], file: String) throws -> [UInt8] {
        try inflateStream(input, file: file, sizeHint: nil)
    }

    /// Inflates a gzip or zlib stream. `sizeHint` (when known) sizes the output
    /// buffer; otherwise the gzip trailer's ISIZE does, capped.
    static func inflateStream(_ input: [UInt8], file: String, sizeHint: Int?) throws -> [UInt8] {
        let remedy = "the gzip file is damaged or incomplete; download or copy it again"
        guard input.count >= 18 || (sizeHint != nil && input.count >= 8) else {
            throw DataError.malformed(file: file, problem: "gzip file too short (\(input.count) bytes, a gzip stream needs at least 18)",
                                      at: .byte(input.count), remedy: remedy)
        }
        // The trailer's ISIZE is the uncompressed size mod 2^32: a hint only,
        // capped by the most deflate can expand (1032:1).
        let n = input.count
        let isize = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
        let maxExpansion = n &* 1032 &+ 1024
        var capacity = max(1024, min(sizeHint ?? isize, n &* 256 &+ (1 << 20), maxExpansion))

        var stream = z_stream()
        var rc = inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            throw DataError.malformed(file: file, problem: "zlib could not start (code \(rc))", at: nil, remedy: remedy)
        }
        defer { inflateEnd(&stream) }

        var out = [UInt8](repeating: 0, count: 0)
        var produced = 0
        return try input.withUnsafeBufferPointer { inBuf -> [UInt8] in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress!)
            stream.avail_in = 0
            var consumed = 0
            out = [UInt8](repeating: 0, count: capacity)
            while true {
                // Feed input in chunks of at most 1 GiB (avail_in is 32-bit).
                if stream.avail_in == 0 && consumed < n {
                    let chunk = min(n - consumed, 1 << 30)
                    stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress! + consumed)
                    stream.avail_in = uInt(chunk)
                    consumed += chunk
                }
                if produced == out.count {
                    guard out.count < maxExpansion else {
                        throw DataError.malformed(file: file, problem: "gzip stream expands beyond what deflate allows",
                                                  at: .byte(Int(stream.total_in)), remedy: remedy)
                    }
                    capacity = min(maxExpansion, out.count * 2)
                    out.append(contentsOf: repeatElement(0, count: capacity - out.count))
                }
                let room = min(out.count - produced, 1 << 30)
                rc = out.withUnsafeMutableBufferPointer { ob -> Int32 in
                    stream.next_out = ob.baseAddress! + produced
                    stream.avail_out = uInt(room)
                    let r = inflate(&stream, Z_NO_FLUSH)
                    produced += room - Int(stream.avail_out)
                    return r
                }
                switch rc {
                case Z_STREAM_END:
                    let used = consumed - Int(stream.avail_in)
                    // Another gzip member may follow (concatenated .gz files).
                    let rest = n - used
                    if rest >= 2 && inBuf[used] == 0x1F && inBuf[used + 1] == 0x8B {
                        inflateReset(&stream)
                        continue
                    }
                    if rest > 0 && inBuf[used..<n].contains(where: { $0 != 0 }) {
                        throw DataError.malformed(file: file, problem: "\(rest) bytes of unexpected data after the end of the gzip stream",
                                                  at: .byte(used), remedy: remedy)
                    }
                    out.removeSubrange(produced...)
                    return out
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    if stream.avail_in == 0 && consumed >= n {
                        throw DataError.malformed(file: file, problem: "gzip stream ends early (file truncated?) after \(produced) decompressed bytes",
                                                  at: .byte(n), remedy: remedy)
                    }
                    continue
                default:
                    let msg = stream.msg.map { String(cString: $0) } ?? "code \(rc)"
                    let at = consumed - Int(stream.avail_in)
                    throw DataError.malformed(file: file, problem: "broken gzip data (\(msg))", at: .byte(at), remedy: remedy)
                }
            }
        }
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
