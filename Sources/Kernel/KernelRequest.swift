import Foundation

/// One request from the Jupyter side (`lora_kernel.py`) to `lora kernel serve`:
/// one JSON object per line on stdin.
///
///     {"id": 7, "type": "execute", "code": "1 + 2", "count": 3}
///     {"id": 8, "type": "complete", "code": "ens.fi", "cursor": 6}
///     {"id": 9, "type": "inspect", "code": "round(x)", "cursor": 2}
///     {"id": 10, "type": "is_complete", "code": "fn f(x) {"}
///     {"id": 11, "type": "shutdown"}
///
/// `cursor` counts Unicode code points, as Jupyter's messages do; `count` is
/// the execution count, which names the cell in diagnostics (`In[3]:2:5`).
public struct KernelRequest: Equatable {
    public enum Kind: String, CaseIterable {
        case execute, complete, inspect, isComplete = "is_complete", shutdown
    }
    public var id: Int
    public var kind: Kind
    public var code: String
    public var cursor: Int
    public var count: Int

    public init(id: Int, kind: Kind, code: String = "", cursor: Int = 0, count: Int = 0) {
        self.id = id
        self.kind = kind
        self.code = code
        self.cursor = cursor
        self.count = count
    }

    /// A request that could not be read: what was wrong, and the request's id when it had one.
    public struct Malformed: Error, CustomStringConvertible {
        public var id: Int?
        public var problem: String
        public var description: String { "malformed kernel request: \(problem)" }
    }

    /// Reads one request line.
    public init(line: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)), let fields = object as? [String: Any] else {
            throw Malformed(id: nil, problem: "not a JSON object: \(line.prefix(80))")
        }
        guard let id = fields["id"] as? Int else { throw Malformed(id: nil, problem: "no integer \"id\"") }
        guard let type = fields["type"] as? String else { throw Malformed(id: id, problem: "no \"type\"") }
        guard let kind = Kind(rawValue: type) else {
            throw Malformed(id: id, problem: "unknown type \"\(type)\" (known: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let code = fields["code"] as? String ?? ""
        if kind != .shutdown && fields["code"] as? String == nil { throw Malformed(id: id, problem: "\"\(type)\" needs a \"code\" string") }
        let cursor = fields["cursor"] as? Int ?? code.unicodeScalars.count
        self.init(id: id, kind: kind, code: code, cursor: cursor, count: fields["count"] as? Int ?? 0)
    }
}
