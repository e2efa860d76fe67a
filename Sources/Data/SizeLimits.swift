/// Sizes read from files or given by users are multiplied only here, with
/// overflow checked, and held to limits that keep later work in memory.
public enum SizeLimits {
    /// Most values one sample (image) may hold: 2^28, 1 GiB of Float32.
    public static let maxSampleValues = 1 << 28

    /// The product of `sizes`, or nil when one is negative or it overflows Int.
    public static func product<S: Sequence>(_ sizes: S) -> Int? where S.Element == Int {
        var p = 1
        for s in sizes {
            guard s >= 0 else { return nil }
            let (q, overflow) = p.multipliedReportingOverflow(by: s)
            if overflow { return nil }
            p = q
        }
        return p
    }

    /// `sizes` written as 4x28x28 for messages.
    static func shapeText(_ sizes: [Int]) -> String { sizes.map(String.init).joined(separator: "x") }
}
