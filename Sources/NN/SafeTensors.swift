import Core
import Data
import Foundation
import Files
import Machine
import Tensor

/// Reads and writes the safetensors format (https://github.com/huggingface/safetensors):
/// an 8-byte little-endian header length, a JSON header
/// {name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}},
/// then the raw little-endian data. Tensors are written as F32; F32, F16 and
/// BF16 tensors are read (the half-precision ones converted to Float32), and
/// tensors of other dtypes (integer buffers such as BERT's `position_ids`) are
/// listed as skipped, not loaded.
public enum SafeTensors {
    /// Writes atomically: to a temporary file next to `path`, then renamed over it.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String], to path: String) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        var seen = Set<String>()
        for (name, t) in tensors {
            guard seen.insert(name).inserted else { throw NNError.checkpoint(path: path, detail: "two tensors are named '\(name)'") }
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.count]] as [String: Any]
            offset += 4 * t.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }            // pad with spaces to 8-byte alignment
        var prefix = Data(capacity: 8 + json.count)
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { prefix.append(contentsOf: $0) }
        prefix.append(json)
        do {
            // Streamed tensor by tensor (no copy of the whole file in memory);
            // Ctrl-C (the thread's WorkWatch) stops it between pieces, the old file untouched.
            try AtomicFile.write(to: path) { fd, _ in
                var progress = AtomicFile.Progress(path: path, total: prefix.count + offset)
                try prefix.withUnsafeBytes { try progress.write($0, to: fd) }
                for (_, t) in tensors {
                    #if _endian(little)
                    try t.data.withUnsafeBytes { try progress.write($0, to: fd) }
                    #else
                    var le = [UInt8](); le.reserveCapacity(4 * t.count)
                    for v in t.data { var bits = v.bitPattern.littleEndian; withUnsafeBytes(of: &bits) { le.append(contentsOf: $0) } }
                    try le.withUnsafeBytes { try progress.write($0, to: fd) }
                    #endif
                }
            }
        } catch let e as AtomicFile.WriteError {
            throw NNError.checkpoint(path: path, detail: "cannot be written: \(e.problem)")
        }
    }

    /// Bytes per element of the floating-point dtypes lora reads.
    static func floatWidth(_ dtype: String) -> Int? {
        switch dtype { case "F32": return 4; case "F16", "BF16": return 2; default: return nil }
    }

    /// Bytes per element of every dtype the format defines (for checking spans).
    static func width(_ dtype: String) -> Int? {
        switch dtype {
        case "F64", "I64", "U64": return 8
        case "F32", "I32", "U32": return 4
        case "F16", "BF16", "I16", "U16": return 2
        case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2": return 1
        default: return nil
        }
    }

    /// IEEE half -> Float (exact: every half is a Float).
    @inline(__always)
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1F), frac = UInt32(h & 0x3FF)
        if exp == 0 {
            // zero or subnormal: frac * 2^-24
            let v = Float(frac) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (frac << 13)) }
        return Float(bitPattern: sign | (UInt32(exp + 112) << 23) | (frac << 13))
    }

    /// The contents of a safetensors file: float tensors by name, their order in
    /// the file, the metadata, and the names of tensors not loaded (non-float dtypes).
    public struct Contents {
        public var tensors: [String: Tensor]
        public var order: [String]
        public var metadata: [String: String]
        public var skipped: [(name: String, dtype: String)]
    }

    /// Reads every tensor and the metadata, validating the header.
    public static func read(_ path: String) throws -> (tensors: [String: Tensor], order: [String], metadata: [String: String]) {
        let c = try contents(path)
        return (c.tensors, c.order, c.metadata)
    }

    /// Reads a file, validating the header: offsets inside the data, no
    /// overlaps, sizes that match the shapes (checked for overflow).
    public static func contents(_ path: String) throws -> Contents {
        func fail(_ s: String) -> NNError { .checkpoint(path: path, detail: s) }
        // Only regular files: a FIFO or a device could block or never end.
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw fail("cannot read the file (\(String(cString: strerror(errno)))); check the path")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw fail("is not a regular file (a directory, device or FIFO); give a .safetensors file")
        }
        // The bytes, the Float32 tensors (up to twice the bytes for half precision).
        do {
            try AvailableMemory.check(3 * Double(st.st_size), for: "reading this \(AvailableMemory.format(Double(st.st_size))) file",
                                      remedy: "free memory, or read it on a machine with more")
        } catch { throw fail("\(error)") }
        // Read a few megabytes at a time: progress, and Ctrl-C stops there (the thread's WorkWatch).
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.readRaw(path)
        } catch let e as DataError {
            throw fail("cannot read the file (\(e)); check its permissions")
        }
        guard bytes.count >= 8 else { throw fail("file is \(bytes.count) bytes, too short for a safetensors header (8-byte length + JSON)") }
        let n = bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | (UInt64($1.element) << (8 * UInt64($1.offset))) }
        guard n > 0, n <= UInt64(bytes.count - 8), n < 100_000_000 else {
            throw fail("header length \(n) does not fit in the file of \(bytes.count) bytes; the file is not safetensors or is truncated")
        }
        let headerData = Data(bytes[8..<(8 + Int(n))])
        guard let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any] else {
            throw fail("the header (bytes 8..<\(8 + n)) is not a JSON object; the file is not safetensors or is corrupt")
        }
        let base = 8 + Int(n), dataCount = bytes.count - base
        var metadata: [String: String] = [:]
        if let m = header["__metadata__"] {
            guard let md = m as? [String: Any] else { throw fail("__metadata__ is not an object of strings") }
            for (k, v) in md { metadata[k] = "\(v)" }
        }
        var tensors: [String: Tensor] = [:]
        var skipped: [(name: String, dtype: String)] = []
        var spans: [(Int, Int, String)] = []
        var converted = 0, convertedReported = 0
        for (name, entry) in header where name != "__metadata__" {
            guard let e = entry as? [String: Any], let dtype = e["dtype"] as? String,
                  let shapeNumbers = e["shape"] as? [Any], let offsetNumbers = e["data_offsets"] as? [Any], offsetNumbers.count == 2 else {
                throw fail("tensor '\(name)' has a malformed entry (needs dtype, shape and data_offsets [begin, end])")
            }
            let shapeValues = shapeNumbers.map(exactCount), offsetValues = offsetNumbers.map(exactCount)
            guard shapeValues.allSatisfy({ $0 != nil }) else {
                throw fail("tensor '\(name)' has shape \(shapeNumbers); extents must be whole numbers in 0...2^53")
            }
            guard offsetValues.allSatisfy({ $0 != nil }) else {
                throw fail("tensor '\(name)' has data_offsets \(offsetNumbers); offsets must be whole numbers in 0...2^53")
            }
            let shape = shapeValues.map { $0! }, offs = offsetValues.map { $0! }
            guard shape.count <= 16 else { throw fail("tensor '\(name)' has \(shape.count) dimensions; lora reads at most 16") }
            guard let w = width(dtype) else {
                throw fail("tensor '\(name)' has dtype \(dtype), which safetensors does not define")
            }
            // In Double: a zero extent beside huge ones must not hide an overflow.
            let elements = shape.reduce(1.0) { $0 * Double($1) }, bytesNeeded = elements * Double(w)
            guard shape.allSatisfy({ $0 <= dataCount }), bytesNeeded <= Double(dataCount) else {
                throw fail("tensor '\(name)' of shape \(shape) and dtype \(dtype) needs \(AvailableMemory.format(bytesNeeded)), more than the file's data section of \(dataCount) bytes; the file is truncated or corrupt")
            }
            let count = Int(elements)
            guard offs[0] >= 0, offs[1] >= offs[0], offs[1] <= dataCount else {
                throw fail("tensor '\(name)' has data_offsets \(offs) outside the data section of \(dataCount) bytes; the file is truncated or corrupt")
            }
            guard offs[1] - offs[0] == w * count else {
                throw fail("tensor '\(name)' of shape \(shape) and dtype \(dtype) needs \(w * count) bytes but data_offsets \(offs) span \(offs[1] - offs[0])")
            }
            spans.append((offs[0], offs[1], name))
            guard floatWidth(dtype) != nil else { skipped.append((name, dtype)); continue }
            var values = [Float](repeating: 0, count: count)
            bytes.withUnsafeBytes { raw in
                let p = raw.baseAddress! + base + offs[0]
                switch dtype {
                case "F32":
                    for i in 0..<count {
                        values[i] = Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    }
                case "F16":
                    for i in 0..<count { values[i] = halfToFloat(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
                default: // BF16: the upper half of a Float32
                    for i in 0..<count {
                        values[i] = Float(bitPattern: UInt32(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
                    }
                }
            }
            tensors[name] = try Tensor(shape: shape, data: values)
            // Converting is reported every 4 MB too (many small tensors add up).
            converted += w * count
            if converted - convertedReported >= FileBytes.reportEvery {
                convertedReported = converted
                try WorkWatch.report("reading " + ((path as NSString).lastPathComponent), done: converted, of: dataCount)
            }
        }
        spans.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        for i in spans.indices.dropFirst() where spans[i].0 < spans[i - 1].1 {
            throw fail("tensors '\(spans[i - 1].2)' and '\(spans[i].2)' overlap in the data section")
        }
        // The data section is exactly the tensors, in a row (the format's rule): no holes, nothing after.
        var end = 0
        for (begin, stop, name) in spans {
            guard begin == end else {
                throw fail("\(begin - end) bytes before tensor '\(name)' (offset \(end)) belong to no tensor; the file is corrupt")
            }
            end = stop
        }
        guard end == dataCount else {
            throw fail("\(dataCount - end) bytes after the last tensor (offset \(end) of the data section) belong to no tensor; the file has trailing bytes or is corrupt")
        }
        let order = spans.map { $0.2 }.filter { tensors[$0] != nil }
        return Contents(tensors: tensors, order: order, metadata: metadata, skipped: skipped.sorted { $0.name < $1.name })
    }

    /// A JSON number that is a whole count in 0...2^53 (exact in Double), else nil.
    static func exactCount(_ value: Any) -> Int? {
        guard let n = value as? NSNumber else { return nil }
        let d = n.doubleValue
        guard d.isFinite, d >= 0, d <= 9_007_199_254_740_992, d.rounded(.towardZero) == d else { return nil }
        guard "\(n)".allSatisfy({ $0.isNumber }) else { return nil }
        return Int(d)
    }
}
