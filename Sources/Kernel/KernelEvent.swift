import Foundation
import Lang

/// One event from `lora kernel serve` to the Jupyter side: one JSON object
/// per line on the protocol's stdout. Every request ends with exactly one
/// `reply`; an `execute` may send `stream`, `display`, `progress` and `error`
/// events before it.
///
///     {"event": "ready", "protocol": 1, "language_version": "..."}
///     {"event": "stream", "id": 7, "name": "stdout", "text": "3\n"}
///     {"event": "display", "id": 7, "data": {"text/plain": "...", "image/svg+xml": "<svg ..."}}
///     {"event": "progress", "id": 7, "text": "epoch 1/3  loss ...", "final": false}
///     {"event": "error", "id": 7, "ename": "NameError", "evalue": "unknown name 'x'", "traceback": ["In[3]:1:1: error: ...", ...]}
///     {"event": "reply", "id": 7, "status": "ok"}
public enum KernelEvent {
    case ready(languageVersion: String)
    case stream(id: Int, name: String, text: String)
    case display(id: Int, RichDisplay)
    /// The whole text of the progress display; `final` when the work ended
    /// (the next progress starts a new display).
    case progress(id: Int, text: String, final: Bool)
    case error(id: Int, name: String, value: String, traceback: [String])
    /// The end of request `id`, with its results (`status`, `matches`, ...).
    case reply(id: Int, fields: [String: Any])

    /// The version of the line protocol; `lora_kernel.py` checks it.
    public static let protocolVersion = 1

    /// The event as a JSON object.
    public var object: [String: Any] {
        switch self {
        case .ready(let version):
            return ["event": "ready", "protocol": KernelEvent.protocolVersion, "language_version": version]
        case .stream(let id, let name, let text):
            return ["event": "stream", "id": id, "name": name, "text": text]
        case .display(let id, let d):
            var data: [String: Any] = ["text/plain": d.text]
            if let html = d.html { data["text/html"] = html }
            if let svg = d.svg { data["image/svg+xml"] = svg }
            return ["event": "display", "id": id, "data": data]
        case .progress(let id, let text, let final):
            return ["event": "progress", "id": id, "text": text, "final": final]
        case .error(let id, let name, let value, let traceback):
            return ["event": "error", "id": id, "ename": name, "evalue": value, "traceback": traceback]
        case .reply(let id, let fields):
            return fields.merging(["event": "reply", "id": id]) { _, new in new }
        }
    }

    /// The event as one line of JSON (newlines inside strings are escaped), with its "\n".
    public var line: String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
