import Machine

/// The element types an IDX file can hold (third byte of its magic number).
public enum IDXType: UInt8, Sendable {
    case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16: return 2
        case .int32, .float32: return 4
        case .float64: return 8
        }
    }

    var isInteger: Bool { self != .float32 && self != .float64 }
}

/// An n-dimensional array read from an IDX file (the MNIST format):
/// big-endian header `00 00 type ndims`, ndims big-endian UInt32 sizes, data.
public struct IDXArray: Sendable {
    /// The sizes of each dimension; `dims[0]` is the number of items.
    public let dims: [Int]
    public let type: IDXType
    /// The file the array came from (for messages).
    public let file: String
    let bytes: [UInt8]
    let offset: Int

    /// Number of elements.
    public var elementCount: Int { dims.reduce(1, *) }

    /// Parses IDX bytes (already decompressed). Checks the header against the
    /// data length before anything is allocated.
    public init(bytes: [UInt8], file: String) throws {
        let (type, dims, headerSize) = try IDXArray.header(bytes, file: file)
        let remedy = "the file is not a complete IDX file; download or copy it again"
        let dataBytes = bytes.count - headerSize
        let total = SizeLimits.product(dims)
        let need = total.flatMap { SizeLimits.product([$0, type.size]) }
        if need != dataBytes {
            let shape = SizeLimits.shapeText(dims)
            let claim = need.map { "\($0) bytes" } ?? "more bytes than can be addressed"
            let problem = need.map { $0 < dataBytes } == true
                ? "header claims \(shape) \(type) elements (\(claim)) but the file holds \(dataBytes) bytes of data (\(dataBytes - need!) extra)"
                : "header claims \(shape) \(type) elements (\(claim)) but the file holds only \(dataBytes) bytes of data (truncated?)"
            throw DataError.malformed(file: file, problem: problem, at: .byte(4), remedy: remedy)
        }
        self.dims = dims
        self.type = type
        self.file = file
        self.bytes = bytes
        self.offset = headerSize
    }

    /// The magic number's checks on the first 4 bytes: returns the element type and the number of dimensions.
    static func magic(_ bytes: [UInt8], file: String) throws -> (IDXType, Int) {
        let remedy = "the file is not a complete IDX file; download or copy it again"
        guard bytes.count >= 4 else {
            throw DataError.malformed(file: file, problem: "file too short for an IDX header (\(bytes.count) bytes, need at least 4)",
                                      at: .byte(0), remedy: remedy)
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            let hex = bytes[0..<4].map { h2($0) }.joined(separator: " ")
            throw DataError.malformed(file: file, problem: "bad magic number \(hex) (an IDX file starts with 00 00 type ndims)",
                                      at: .byte(0), remedy: "give an IDX file (e.g. train-images-idx3-ubyte or its .gz)")
        }
        guard let type = IDXType(rawValue: bytes[2]) else {
            throw DataError.malformed(file: file, problem: "unknown IDX element type 0x\(h2(bytes[2])) (known: 08 09 0B 0C 0D 0E)",
                                      at: .byte(2), remedy: remedy)
        }
        let ndims = Int(bytes[3])
        guard ndims >= 1 else {
            throw DataError.malformed(file: file, problem: "IDX header declares 0 dimensions", at: .byte(3), remedy: remedy)
        }
        return (type, ndims)
    }

    /// The header: element type, dimensions and header size in bytes.
    static func header(_ bytes: [UInt8], file: String) throws -> (IDXType, [Int], Int) {
        let (type, ndims) = try magic(bytes, file: file)
        let headerSize = 4 + 4 * ndims
        guard bytes.count >= headerSize else {
            throw DataError.malformed(file: file, problem: "header declares \(ndims) dimensions but the file ends after \(bytes.count) bytes",
                                      at: .byte(bytes.count), remedy: "the file is not a complete IDX file; download or copy it again")
        }
        let dims = (0..<ndims).map { d -> Int in
            let o = 4 + 4 * d
            return Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
        }
        return (type, dims, headerSize)
    }

    /// Reads an IDX file, raw or gzip-compressed.
    public init(path: String) throws {
        try self = IDXFile(path: path).load()
    }

    /// The elements as Float, each multiplied by `scale`.
    public func floats(scale: Float = 1) -> [Float] {
        let n = elementCount
        guard n > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: n) { out, initialized in
            write(into: out.baseAddress!, scale: scale)
            initialized = n
        }
    }

    /// Converts the elements to Float (times `scale`) into `out`, which must
    /// have room for `elementCount` values.
    public func write(into out: UnsafeMutablePointer<Float>, scale: Float = 1) {
        let n = elementCount
        do {
            bytes.withUnsafeBufferPointer { b in
                let p = b.baseAddress! + offset
                switch type {
                case .uint8:
                    for i in 0..<n { out[i] = Float(p[i]) * scale }
                case .int8:
                    for i in 0..<n { out[i] = Float(Int8(bitPattern: p[i])) * scale }
                case .int16:
                    for i in 0..<n { out[i] = Float(Int16(bitPattern: UInt16(p[2 * i]) << 8 | UInt16(p[2 * i + 1]))) * scale }
                case .int32:
                    for i in 0..<n { out[i] = Float(Int32(bitPattern: be32(p + 4 * i))) * scale }
                case .float32:
                    for i in 0..<n { out[i] = Float(bitPattern: be32(p + 4 * i)) * scale }
                case .float64:
                    for i in 0..<n {
                        let v = UInt64(be32(p + 8 * i)) << 32 | UInt64(be32(p + 8 * i + 4))
                        out[i] = Float(Double(bitPattern: v)) * scale
                    }
                }
            }
        }
    }

    /// Element `i` as written in the file, for messages: "nan", "inf", or a
    /// float64 too large for Float32 ("1e+300, too large for a 32-bit float").
    func describeElement(_ i: Int) -> String {
        bytes.withUnsafeBufferPointer { b -> String in
            let p = b.baseAddress! + offset
            switch type {
            case .float32: return "\(Float(bitPattern: be32(p + 4 * i)))"
            case .float64:
                let v = Double(bitPattern: UInt64(be32(p + 8 * i)) << 32 | UInt64(be32(p + 8 * i + 4)))
                return v.isFinite ? "\(v), too large for a 32-bit float" : "\(v)"
            default: return "\(floats()[i])"
            }
        }
    }

    /// The elements as integers. Fails for float elements that are not whole numbers.
    public func ints() throws -> [Int] {
        if type.isInteger {
            let n = elementCount
            return bytes.withUnsafeBufferPointer { b -> [Int] in
                let p = b.baseAddress! + offset
                switch type {
                case .uint8: return (0..<n).map { Int(p[$0]) }
                case .int8: return (0..<n).map { Int(Int8(bitPattern: p[$0])) }
                case .int16: return (0..<n).map { Int(Int16(bitPattern: UInt16(p[2 * $0]) << 8 | UInt16(p[2 * $0 + 1]))) }
                default: return (0..<n).map { Int(Int32(bitPattern: be32(p + 4 * $0))) }
                }
            }
        }
        let vals = floats()
        var out = [Int](repeating: 0, count: vals.count)
        for (i, v) in vals.enumerated() {
            guard v.isFinite, v.rounded() == v, abs(v) < 1e9 else {
                throw DataError.malformed(file: file, problem: "element \(v) is not a whole number (labels must be integers)",
                                          at: .entry(i), remedy: "give a label file of integer class indices")
            }
            out[i] = Int(v)
        }
        return out
    }
}

@inline(__always)
private func be32(_ p: UnsafePointer<UInt8>) -> UInt32 {
    UInt32(p[0]) << 24 | UInt32(p[1]) << 16 | UInt32(p[2]) << 8 | UInt32(p[3])
}

func h2(_ b: UInt8) -> String {
    let s = String(b, radix: 16, uppercase: true)
    return s.count == 1 ? "0" + s : s
}

/// An IDX file whose header has been read and checked, but not yet its data:
/// for a gzip file only the header is inflated, so counts and sizes can be
/// compared (e.g. images against labels) before the rest is inflated, and
/// never more than the header declares.
public struct IDXFile {
    public let path: String
    public let type: IDXType
    public let dims: [Int]
    private let header: [UInt8]
    private let raw: [UInt8]
    private let reader: GzipReader?

    public init(path: String) throws {
        self.path = path
        raw = try FileBytes.readRaw(path)
        guard FileBytes.isGzip(raw) else {
            reader = nil
            (type, dims, _) = try IDXArray.header(raw, file: path)
            header = []
            return
        }
        let r = try GzipReader(raw, file: path)
        let head = try r.read(4, what: "the IDX header")
        let (_, ndims) = try IDXArray.magic(head, file: path)
        header = head + (try r.read(4 * ndims, what: "the IDX header"))
        (type, dims, _) = try IDXArray.header(header, file: path)
        reader = r
    }

    /// Bytes of data the header declares, nil when that overflows.
    public var dataBytes: Int? { SizeLimits.product(dims).flatMap { SizeLimits.product([$0, type.size]) } }

    /// Reads the data (inflating exactly what the header declares) and checks the sizes.
    public func load() throws -> IDXArray {
        guard let reader else { return try IDXArray(bytes: raw, file: path) }
        let shape = SizeLimits.shapeText(dims) + " \(type)"
        guard let need = dataBytes, need <= GzipReader.limit(compressed: raw.count) else {
            throw DataError.malformed(file: path, problem: "header claims \(shape) elements (\(dataBytes.map { AvailableMemory.format(Double($0)) } ?? "more bytes than can be addressed")), more than the \(raw.count) compressed bytes can hold or this machine can keep",
                                      at: .byte(4), remedy: "the header is damaged; download or copy the file again")
        }
        let data = try reader.read(need, what: "the \(shape) elements the header declares")
        try reader.expectEnd(declared: "the \(shape) elements the header declares")
        return try IDXArray(bytes: header + data, file: path)
    }
}
