/// What the output can show: chosen once by the front end, passed to every
/// terminal renderer. Render never inspects the terminal itself.
public enum ColorMode: String, Equatable, Sendable, CaseIterable {
    /// 24-bit colour escapes (ESC[38;2;r;g;bm).
    case truecolor
    /// xterm 256-colour escapes (ESC[38;5;nm).
    case ansi256
    /// No escapes at all: shades of " .:-=+*#%@", for files, pipes and logs.
    case plain

    /// Decides from the environment and whether the output is a terminal:
    /// plain when not a terminal, when NO_COLOR is set or TERM is "dumb";
    /// truecolor when COLORTERM is "truecolor" or "24bit"; 256 colours otherwise.
    public static func detect(environment: [String: String], isTerminal: Bool) -> ColorMode {
        if !isTerminal { return .plain }
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .plain }
        let term = environment["TERM"] ?? ""
        if term == "dumb" || term.isEmpty { return .plain }
        let colorterm = (environment["COLORTERM"] ?? "").lowercased()
        if colorterm == "truecolor" || colorterm == "24bit" { return .truecolor }
        return .ansi256
    }

    /// Escape that sets the foreground colour, "" in plain mode.
    public func foreground(_ c: RGB) -> String {
        switch self {
        case .truecolor: return "\u{1B}[38;2;\(c.r);\(c.g);\(c.b)m"
        case .ansi256: return "\u{1B}[38;5;\(c.ansi256)m"
        case .plain: return ""
        }
    }

    /// Escape that sets the background colour, "" in plain mode.
    public func background(_ c: RGB) -> String {
        switch self {
        case .truecolor: return "\u{1B}[48;2;\(c.r);\(c.g);\(c.b)m"
        case .ansi256: return "\u{1B}[48;5;\(c.ansi256)m"
        case .plain: return ""
        }
    }

    /// Foreground and background escapes for an xterm palette index (256-colour mode).
    public static func foreground256(_ index: Int) -> String { "\u{1B}[38;5;\(index)m" }
    public static func background256(_ index: Int) -> String { "\u{1B}[48;5;\(index)m" }

    /// Escape that resets all attributes, "" in plain mode.
    public var reset: String { self == .plain ? "" : "\u{1B}[0m" }

    /// The shade ramp used in plain mode, lightest first.
    public static let shades: [Character] = Array(" .:-=+*#%@")

    /// The shade for `t` in [0, 1] (clamped): 10 equal steps.
    public static func shade(_ t: Double) -> Character {
        let x = t.isNaN ? 0 : max(0, min(1, t))
        return shades[min(shades.count - 1, Int(x * Double(shades.count)))]
    }
}
