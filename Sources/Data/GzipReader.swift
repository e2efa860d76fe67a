import Core
import CZlib
import Machine

/// Inflates a gzip (or zlib) stream held in memory, a piece at a time, so a
/// caller can read a header, check the sizes it declares, and only then
/// inflate the rest, never more than it expects. zlib checks each member's
/// trailer (CRC-32 and length); a stream that ends before its trailer is an
/// error. Concatenated gzip members are read as one stream.
final class GzipReader {
    let file: String
    private let input: [UInt8]
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    /// Bytes of `input` handed to zlib so far.
    private var consumed = 0
    /// Decompressed bytes produced so far.
    private(set) var produced = 0
    private var ended = false
    static let remedy = "the gzip file is damaged or incomplete; download or copy it again"

    init(_ input: [UInt8], file: String) throws {
        self.input = input
        self.file = file
        stream.initialize(to: z_stream())
        let rc = inflateInit2_(stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deallocate()
            throw DataError.malformed(file: file, problem: "zlib could not start (code \(rc))", at: nil, remedy: GzipReader.remedy)
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Inflates into `out[from..<to]`; returns how many bytes were written
    /// (fewer only at the true end of the stream, after its trailer).
    private func inflate(into out: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        var written = 0
        let n = input.count
        return try input.withUnsafeBufferPointer { inBuf -> Int in
            while written < count && !ended {
                if stream.pointee.avail_in == 0 && consumed < n {
                    let chunk = min(n - consumed, 1 << 30)
                    stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress! + consumed)
                    stream.pointee.avail_in = uInt(chunk)
                    consumed += chunk
                } else if stream.pointee.avail_in > 0 {
                    // Re-point at the same place: the array's storage may have moved between calls.
                    let at = consumed - Int(stream.pointee.avail_in)
                    stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress! + at)
                }
                // A few megabytes per call, reported to the WorkWatch (progress, Ctrl-C).
                let room = min(count - written, FileBytes.reportEvery)
                stream.pointee.next_out = out + written
                stream.pointee.avail_out = uInt(room)
                let rc = CZlib.inflate(stream, Z_NO_FLUSH)
                let got = room - Int(stream.pointee.avail_out)
                written += got
                produced += got
                if got == FileBytes.reportEvery {
                    try WorkWatch.report("inflating " + FileBytes.name(file), done: consumed - Int(stream.pointee.avail_in), of: n)
                }
                switch rc {
                case Z_STREAM_END:
                    let used = consumed - Int(stream.pointee.avail_in)
                    let rest = n - used
                    if rest >= 2 && inBuf[used] == 0x1F && inBuf[used + 1] == 0x8B {
                        // Another gzip member follows (concatenated .gz files).
                        inflateReset(stream)
                        continue
                    }
                    if rest > 0 && inBuf[used..<n].contains(where: { $0 != 0 }) {
                        throw DataError.malformed(file: file, problem: "\(rest) bytes of unexpected data after the end of the gzip stream",
                                                  at: .byte(used), remedy: GzipReader.remedy)
                    }
                    ended = true
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    if stream.pointee.avail_in == 0 && consumed >= n {
                        throw DataError.malformed(file: file, problem: "gzip stream ends early, without its trailer (file truncated?), after \(produced) decompressed bytes",
                                                  at: .byte(n), remedy: GzipReader.remedy)
                    }
                    continue
                default:
                    let msg = stream.pointee.msg.map { String(cString: $0) } ?? "code \(rc)"
                    let at = consumed - Int(stream.pointee.avail_in)
                    throw DataError.malformed(file: file, problem: "broken gzip data (\(msg))", at: .byte(at), remedy: GzipReader.remedy)
                }
            }
            return written
        }
    }

    /// Exactly `count` more decompressed bytes; an error when the stream ends first.
    func read(_ count: Int, what: String) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let got = try out.withUnsafeMutableBufferPointer { try inflate(into: $0.baseAddress!, count: count) }
        guard got == count else {
            throw DataError.malformed(file: file, problem: "the decompressed data ends after \(produced) bytes, in the middle of \(what)",
                                      at: .byte(produced), remedy: "the file is incomplete; download or copy it again")
        }
        return out
    }

    /// Checks that the stream ends here (trailer included): an error when it holds more data.
    func expectEnd(declared: String) throws {
        var probe: UInt8 = 0
        if try inflate(into: &probe, count: 1) > 0 {
            throw DataError.malformed(file: file, problem: "the decompressed data is longer than \(declared)",
                                      at: .byte(produced - 1), remedy: "the file is damaged; download or copy it again")
        }
    }

    /// Everything that is left, growing as data really comes (a lying size
    /// field cannot make it allocate more), up to `limit` bytes in all.
    func readToEnd(limit: Int, sizeHint: Int? = nil) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max(1024, min(sizeHint ?? 0, limit)))
        var filled = 0
        while true {
            if filled == out.count {
                guard out.count < limit else {
                    throw DataError.malformed(file: file, problem: "the gzip stream inflates to more than \(AvailableMemory.format(Double(limit))), more than this machine can hold or deflate can produce from \(input.count) bytes",
                                              at: .byte(consumed - Int(stream.pointee.avail_in)), remedy: "decompress a smaller file, or check that it is not damaged")
                }
                out.append(contentsOf: repeatElement(0, count: min(limit, max(out.count * 2, 1024)) - out.count))
            }
            let want = out.count - filled
            let got = try out.withUnsafeMutableBufferPointer { try inflate(into: $0.baseAddress! + filled, count: want) }
            filled += got
            if got < want { break }
        }
        out.removeSubrange(filled...)
        return out
    }

    /// The most a stream of `compressed` bytes may inflate to here: what
    /// deflate can produce (1032:1) and what memory is available.
    static func limit(compressed: Int) -> Int {
        let deflateMax = compressed.multipliedReportingOverflow(by: 1032).partialValue &+ 1024
        let memory = AvailableMemory.bytes() ?? Int.max
        return max(1024, min(deflateMax < 0 ? Int.max : deflateMax, memory))
    }
}
