/// Decodes standard base64, skipping line breaks and spaces. Nil on any other
/// character or a bad length.
func decodeBase64(_ text: String) -> [UInt8]? {
    var table = [UInt8](repeating: 0xFF, count: 256)
    for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
        table[Int(c)] = UInt8(i)
    }
    var out: [UInt8] = []
    out.reserveCapacity(text.utf8.count * 3 / 4)
    var acc: UInt32 = 0
    var bits = 0
    var pad = 0
    for c in text.utf8 {
        if c == 0x0A || c == 0x0D || c == 0x20 { continue }
        if c == 0x3D { pad += 1; continue }      // '='
        guard pad == 0 else { return nil }
        let v = table[Int(c)]
        guard v != 0xFF else { return nil }
        acc = acc << 6 | UInt32(v)
        bits += 6
        if bits >= 8 {
            bits -= 8
            out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
        }
    }
    return pad <= 2 ? out : nil
}
