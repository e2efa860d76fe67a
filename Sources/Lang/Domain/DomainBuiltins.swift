import Foundation
import Render
import Uncertainty

/// Installs the domain builtins (data sets, models, ensembles, reports,
/// inspection) into a builtin table; called by `BuiltinTable.standard()`.
public enum DomainBuiltins {
    public static func install(_ table: BuiltinTable) {
        DataBuiltins.install(table)
        ModelBuiltins.install(table)
        InspectionBuiltins.install(table)
        CalibrationBuiltins.install(table)
        PeftBuiltins.install(table)
        TextBuiltins.install(table)
        EngineBuiltins.install(table)
        FileBuiltins.install(table)
        for type in types { table.registerType(type) }
    }

    static var types: [TypeHelp] {
        [DatasetValue.typeHelp, SampleValue.typeHelp, ModelValue.typeHelp(ensemble: false), ModelValue.typeHelp(ensemble: true),
         ReportValue.typeHelp, UncertaintyTableValue.typeHelp, FigureValue.typeHelp, AttentionValue.typeHelp,
         PredictionValue.typeHelp, TokensValue.typeHelp]
    }
}

/// Shared helpers of the domain bridge.
enum Domain {
    /// How terminal renderings are coloured: `LORA_COLOR` (truecolor, 256,
    /// plain) when set, else `ColorMode.detect` with the context's terminal flag.
    static func colorMode(_ context: Context) -> ColorMode {
        let env = ProcessInfo.processInfo.environment
        switch env["LORA_COLOR"]?.lowercased() {
        case "truecolor", "24bit": return .truecolor
        case "256", "ansi256": return .ansi256
        case "plain", "none", "off": return .plain
        default: return ColorMode.detect(environment: env, isTerminal: context.isInteractive)
        }
    }

    /// A seed from the call (`seed:`) or the context's global seed.
    static func seed(_ args: Arguments, _ context: Context, name: String = "seed") throws -> UInt64 {
        guard let s = try args.optionalInt(name) else { return context.seed }
        guard s >= 0 else { throw args.error(name, "\(name) must not be negative, got \(s)") }
        return UInt64(s)
    }

    /// A positive integer argument, or a located error naming the remedy.
    static func positive(_ args: Arguments, _ name: String, max: Int = 1 << 24) throws -> Int {
        let v = try args.int(name)
        guard v >= 1 else { throw args.error(name, "\(name) must be at least 1, got \(v)") }
        guard v <= max else { throw args.error(name, "\(name) \(v) is too large (at most \(max))") }
        return v
    }

    /// The `bins` argument: a bin count that `Calibration` accepts, as its error says when not.
    static func binCount(_ args: Arguments) throws -> Int {
        let bins = try args.int("bins")
        do { try Calibration.checkBinCount(bins) } catch UncertaintyError.argument(let message) { throw args.error("bins", message) }
        return bins
    }

    /// An optional positive integer argument.
    static func optionalPositive(_ args: Arguments, _ name: String, max: Int = 1 << 24) throws -> Int? {
        args.has(name) ? try positive(args, name, max: max) : nil
    }

    /// Formats a number with `d` decimals.
    static func fixed(_ x: Double, _ d: Int = 4) -> String { NumberFormatting.fixed(x, decimals: d) }

    /// A path argument with `~` expanded.
    static func path(_ args: Arguments, _ name: String) throws -> String {
        let p = try args.string(name)
        guard !p.isEmpty else { throw args.error(name, "the path is empty", remedy: "give a file name such as \"model.safetensors\"") }
        return (p as NSString).expandingTildeInPath
    }

    /// Integers in a list argument.
    static func ints(_ args: Arguments, _ name: String) throws -> [Int] {
        try args.list(name).map { v -> Int in
            switch v {
            case .int(let i): return i
            case .double(let d) where d == d.rounded(): return Int(d)
            default: throw args.error(name, "\(name) must hold integers, but it holds \(v.typeWithArticle)")
            }
        }
    }
}
