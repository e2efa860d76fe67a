import Foundation

/// How much memory this machine can give a new allocation now, so work that
/// would need more is refused up front (with the estimate and a remedy)
/// instead of being killed half-way.
///
/// The figure is Linux's `MemAvailable` (/proc/meminfo), else the physical
/// memory; `LORA_MEMORY_LIMIT` (bytes, or with a K, M, G or T suffix) caps it.
public enum AvailableMemory {
    /// Bytes available now, or nil when not even the physical memory is known.
    public static func bytes() -> Int? {
        var available = memAvailable() ?? physical()
        if let limit = limit() { available = min(available ?? limit, limit) }
        return available
    }

    /// Throws `MemoryShortage` when `needed` bytes (an estimate; a Double so
    /// absurd sizes cannot overflow) exceed what is available.
    public static func check(_ needed: Double, for what: String, remedy: String) throws {
        guard let available = bytes(), needed > Double(available) else { return }
        throw MemoryShortage(what: what, needed: needed, available: available, remedy: remedy)
    }

    /// "293.2 GB", "812.0 MB", "4.0 KB" (powers of 1000, one decimal).
    public static func format(_ bytes: Double) -> String {
        let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
        var v = bytes, u = 0
        while v >= 1000 && u < units.count - 1 { v /= 1000; u += 1 }
        return u == 0 ? "\(Int(v)) bytes" : String(format: "%.1f %@", v, units[u])
    }

    /// `MemAvailable` from /proc/meminfo, in bytes (nil off Linux or when unreadable).
    static func memAvailable() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        return parseMemInfo(text)
    }

    /// The `MemAvailable:  123456 kB` line of a /proc/meminfo text, in bytes.
    static func parseMemInfo(_ text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let parts = line.dropFirst("MemAvailable:".count).split(separator: " ")
            guard let n = parts.first.flatMap({ Int($0) }), n >= 0 else { return nil }
            let unit = parts.count > 1 ? parts[1].lowercased() : "kb"
            return unit == "kb" ? n.multipliedReportingOverflow(by: 1024).partialValue : n
        }
        return nil
    }

    static func physical() -> Int? {
        let p = ProcessInfo.processInfo.physicalMemory
        return p > 0 ? Int(clamping: p) : nil
    }

    /// `LORA_MEMORY_LIMIT`, parsed; nil when unset or not a size.
    static func limit() -> Int? {
        guard let text = ProcessInfo.processInfo.environment["LORA_MEMORY_LIMIT"], !text.isEmpty else { return nil }
        return parseSize(text)
    }

    /// "512M", "2G", "1000000" as bytes (K, M, G, T: powers of 1024).
    static func parseSize(_ text: String) -> Int? {
        var t = text.trimmingCharacters(in: .whitespaces).uppercased()
        if t.hasSuffix("B") { t.removeLast() }
        var factor = 1
        if let last = t.last, let p = ["K": 10, "M": 20, "G": 30, "T": 40][String(last)] {
            factor = 1 << p
            t.removeLast()
        }
        guard let n = Double(t), n.isFinite, n >= 0, n * Double(factor) < 9e18 else { return nil }
        return Int(n * Double(factor))
    }
}

/// Work refused because it would need more memory than is available.
public struct MemoryShortage: Error, CustomStringConvertible, Equatable, Sendable {
    public let what: String
    /// Estimated bytes needed.
    public let needed: Double
    /// Bytes available when it was checked.
    public let available: Int
    public let remedy: String

    public var description: String {
        "\(what) would need about \(AvailableMemory.format(needed)) of memory, but only \(AvailableMemory.format(Double(available))) is available; \(remedy)"
    }
}
