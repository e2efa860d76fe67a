/// The NPY element types the loader accepts (little-endian, C order).
public enum NPYType: String {
    case uint8 = "u1", float32 = "f4", float64 = "f8", int64 = "i8"

    public var size: Int {
        switch self {
        case .uint8: return 1
        case .float32: return 4
        case .float64, .int64: return 8
        }
    }
}

/// An array read from a NumPy `.npy` file (format versions 1, 2 and 3).
/// Accepts uint8, float32, float64 and int64 in C order; anything else is
/// refused with a message saying how to convert it.
public struct NPYArray {
    public let shape: [Int]
    public let type: NPYType
    public let file: String
    let bytes: [UInt8]
    let offset: Int

    public var elementCount: Int { shape.reduce(1, *) }

    /// Parses NPY bytes; the shape is checked against the data length before
    /// anything is allocated.
    public init(bytes: [UInt8], file: String) throws {
        let remedy = "save the array with numpy.save (a complete .npy file)"
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]   // \x93NUMPY
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw DataError.malformed(file: file, problem: bytes.count < 10 && bytes.starts(with: magic.prefix(min(6, bytes.count)))
                                        ? "file too short for an NPY header (\(bytes.count) bytes)"
                                        : "bad magic number (an NPY file starts with \\x93NUMPY)",
                                      at: .byte(0), remedy: remedy)
        }
        let major = bytes[6]
        let headerLen: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else {
                throw DataError.malformed(file: file, problem: "file too short for an NPY v\(major) header", at: .byte(bytes.count), remedy: remedy)
            }
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw DataError.malformed(file: file, problem: "unsupported NPY format version \(major)", at: .byte(6),
                                      remedy: "save the array with numpy.save from numpy 1.x or 2.x")
        }
        guard bytes.count - headerStart >= headerLen else {
            throw DataError.malformed(file: file, problem: "header claims \(headerLen) bytes but the file ends after \(bytes.count)",
                                      at: .byte(8), remedy: remedy)
        }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLen)], as: UTF8.self)
        let dict = try NPYHeader(header, file: file, at: headerStart)

        let descr = dict.descr
        let order = descr.first
        let code = String(descr.dropFirst())
        guard let type = NPYType(rawValue: code), order == "<" || order == "|" || (order == "=" && code == "u1") else {
            let hint = order == ">" ? "big-endian \(code)" : descr
            throw DataError.malformed(file: file, problem: "unsupported NPY dtype '\(hint)' (supported: uint8, float32, float64, int64, little-endian)",
                                      at: .byte(headerStart), remedy: "convert it in Python: numpy.save(path, arr.astype('float32'))")
        }
        if dict.fortranOrder {
            throw DataError.malformed(file: file, problem: "array is stored in Fortran (column-major) order",
                                      at: .byte(headerStart), remedy: "save a C-ordered copy: numpy.save(path, numpy.ascontiguousarray(arr))")
        }
        let dataStart = headerStart + headerLen
        var total = 1
        var overflow = false
        for d in dict.shape {
            let (p, o) = total.multipliedReportingOverflow(by: d)
            total = p
            overflow = overflow || o
        }
        let (need, o2) = total.multipliedReportingOverflow(by: type.size)
        let have = bytes.count - dataStart
        if overflow || o2 || need != have {
            let shape = "(" + dict.shape.map(String.init).joined(separator: ", ") + ")"
            let claim = (overflow || o2) ? "more bytes than can be addressed" : "\(need) bytes"
            throw DataError.malformed(file: file, problem: "header claims shape \(shape) of \(type) (\(claim)) but the file holds \(have) bytes of data",
                                      at: .byte(dataStart), remedy: remedy)
        }
        self.shape = dict.shape
        self.type = type
        self.file = file
        self.bytes = bytes
        self.offset = dataStart
    }

    /// Reads a `.npy` file (also accepted gzip-compressed).
    public init(path: String) throws {
        try self.init(bytes: FileBytes.read(path), file: path)
    }

    /// The elements as Float, each multiplied by `scale`.
    public func floats(scale: Float = 1) -> [Float] {
        let n = elementCount
        return [Float](unsafeUninitializedCapacity: n) { out, initialized in
            bytes.withUnsafeBytes { raw in
                let base = raw.baseAddress! + offset
                switch type {
                case .uint8:
                    let p = base.assumingMemoryBound(to: UInt8.self)
                    for i in 0..<n { out[i] = Float(p[i]) * scale }
                case .float32:
                    for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) * scale }
                case .float64:
                    for i in 0..<n { out[i] = Float(Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) * scale }
                case .int64:
                    for i in 0..<n { out[i] = Float(Int64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) * scale }
                }
            }
            initialized = n
        }
    }

    /// Element `i` as written in the file, for messages: "nan", "inf", or a
    /// float64 too large for Float32 ("1e+300, too large for a 32-bit float").
    func describeElement(_ i: Int) -> String {
        bytes.withUnsafeBytes { raw -> String in
            let base = raw.baseAddress! + offset
            switch type {
            case .float32: return "\(Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))"
            case .float64:
                let v = Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                return v.isFinite ? "\(v), too large for a 32-bit float" : "\(v)"
            case .int64: return "\(Int64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))"
            case .uint8: return "\(raw[offset + i])"
            }
        }
    }

    /// The elements as integers; float elements must be whole numbers.
    public func ints() throws -> [Int] {
        let n = elementCount
        switch type {
        case .uint8:
            return (0..<n).map { Int(bytes[offset + $0]) }
        case .int64:
            return bytes.withUnsafeBytes { raw in
                (0..<n).map { Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8 * $0, as: Int64.self))) }
            }
        case .float32, .float64:
            let vals = floats()
            var out = [Int](repeating: 0, count: n)
            for i in 0..<n {
                let v = vals[i]
                guard v.isFinite, v.rounded() == v, abs(v) < 1e9 else {
                    throw DataError.malformed(file: file, problem: "element \(v) is not a whole number (labels must be integers)",
                                              at: .entry(i), remedy: "save the labels as integers: arr.astype('int64')")
                }
                out[i] = Int(v)
            }
            return out
        }
    }
}

/// The Python-dict header of an NPY file: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
struct NPYHeader {
    var descr = ""
    var fortranOrder = false
    var shape: [Int] = []

    init(_ text: String, file: String, at offset: Int) throws {
        func bad(_ what: String) -> DataError {
            .malformed(file: file, problem: "unreadable NPY header (\(what)): \(text.trimmingSpaces)",
                       at: .byte(offset), remedy: "save the array with numpy.save")
        }
        guard let d = Self.value(of: "descr", in: text) else { throw bad("no 'descr'") }
        guard d.hasPrefix("'") || d.hasPrefix("\""), let end = d.dropFirst().firstIndex(where: { $0 == "'" || $0 == "\"" }) else {
            throw bad("'descr' is not a simple dtype string; structured arrays are not supported")
        }
        descr = String(d[d.index(after: d.startIndex)..<end])
        guard let f = Self.value(of: "fortran_order", in: text) else { throw bad("no 'fortran_order'") }
        if f.hasPrefix("True") { fortranOrder = true } else if f.hasPrefix("False") { fortranOrder = false } else { throw bad("fortran_order") }
        guard let s = Self.value(of: "shape", in: text), s.hasPrefix("("), let close = s.firstIndex(of: ")") else { throw bad("no 'shape'") }
        let inner = s[s.index(after: s.startIndex)..<close]
        for part in inner.split(separator: ",") {
            let t = part.trimmingSpaces
            if t.isEmpty { continue }
            guard let v = Int(t.hasSuffix("L") ? String(t.dropLast()) : t), v >= 0 else { throw bad("shape entry '\(t)'") }
            shape.append(v)
        }
    }

    /// The text after `'key':` up to the end of the header.
    static func value(of key: String, in text: String) -> Substring? {
        for q in ["'", "\""] {
            if let r = text.firstRange(of: q + key + q) {
                var rest = text[r.upperBound...].drop(while: { $0 == " " })
                guard rest.first == ":" else { return nil }
                rest = rest.dropFirst().drop(while: { $0 == " " })
                return rest
            }
        }
        return nil
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        var a = scalars.startIndex, b = scalars.endIndex
        while a < b, scalars[a].properties.isWhitespace { a = scalars.index(after: a) }
        while b > a, scalars[scalars.index(before: b)].properties.isWhitespace { b = scalars.index(before: b) }
        return String(String.UnicodeScalarView(scalars[a..<b]))
    }
}
