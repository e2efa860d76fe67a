import Foundation
import Tensor

/// Reads and writes the safetensors format (https://github.com/huggingface/safetensors):
/// an 8-byte little-endian header length, a JSON header
/// {name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}},
/// then the raw little-endian data. Only F32 tensors are written and read.
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
        var out = Data(capacity: 8 + json.count + offset)
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(json)
        for (_, t) in tensors {
            t.data.withUnsafeBufferPointer { b in
                for v in b { var bits = v.bitPattern.littleEndian; withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) } }
            }
        }
        let url = URL(fileURLWithPath: path)
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try out.write(to: tmp)
            if FileManager.default.fileExists(atPath: url.path) {
                _ = try FileManager.default.replaceItemAt(url, withItemAt: tmp)
            } else {
                try FileManager.default.moveItem(at: tmp, to: url)
            }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw NNError.checkpoint(path: path, detail: "could not write: \(error.localizedDescription); check that the directory exists and is writable")
        }
    }

    /// Reads every tensor and the metadata, validating the header.
    public static func read(_ path: String) throws -> (tensors: [String: Tensor], order: [String], metadata: [String: String]) {
        func fail(_ s: String) -> NNError { .checkpoint(path: path, detail: s) }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw fail("cannot read the file; check the path")
        }
        guard bytes.count >= 8 else { throw fail("file is \(bytes.count) bytes, too short for a safetensors header (8-byte length + JSON)") }
        let n = bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | (UInt64($1.element) << (8 * UInt64($1.offset))) }
        guard n > 0, n <= UInt64(bytes.count - 8), n < 100_000_000 else {
            throw fail("header length \(n) does not fit in the file of \(bytes.count) bytes; the file is not safetensors or is truncated")
        }
        let headerData = bytes.subdata(in: 8..<(8 + Int(n)))
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
        var spans: [(Int, Int, String)] = []
        for (name, entry) in header where name != "__metadata__" {
            guard let e = entry as? [String: Any], let dtype = e["dtype"] as? String,
                  let shape = (e["shape"] as? [NSNumber])?.map({ $0.intValue }),
                  let offs = (e["data_offsets"] as? [NSNumber])?.map({ $0.intValue }), offs.count == 2 else {
                throw fail("tensor '\(name)' has a malformed entry (needs dtype, shape and data_offsets [begin, end])")
            }
            guard dtype == "F32" else { throw fail("tensor '\(name)' has dtype \(dtype); only F32 is supported (convert the checkpoint to float32)") }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("tensor '\(name)' has a negative extent in shape \(shape)") }
            let count = shape.reduce(1, *)
            guard offs[0] >= 0, offs[1] >= offs[0], offs[1] <= dataCount else {
                throw fail("tensor '\(name)' has data_offsets \(offs) outside the data section of \(dataCount) bytes; the file is truncated or corrupt")
            }
            guard offs[1] - offs[0] == 4 * count else {
                throw fail("tensor '\(name)' of shape \(shape) needs \(4 * count) bytes but data_offsets \(offs) span \(offs[1] - offs[0])")
            }
            var values = [Float](repeating: 0, count: count)
            bytes.withUnsafeBytes { raw in
                let p = raw.baseAddress! + base + offs[0]
                for i in 0..<count {
                    values[i] = Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            }
            tensors[name] = try Tensor(shape: shape, data: values)
            spans.append((offs[0], offs[1], name))
        }
        spans.sort { $0.0 < $1.0 }
        for i in spans.indices.dropFirst() where spans[i].0 < spans[i - 1].1 {
            throw fail("tensors '\(spans[i - 1].2)' and '\(spans[i].2)' overlap in the data section")
        }
        return (tensors, spans.map { $0.2 }, metadata)
    }
}
