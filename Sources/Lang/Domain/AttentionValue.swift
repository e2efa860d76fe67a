import Foundation
import NN
import Render

/// Class-token attention over the image patches (or, for a text, the [CLS]
/// token's attention over the word pieces), per member:
/// `ens.attention(test[3], member: 2)`, `ens.attention(test[3]).spread`.
public final class AttentionValue: DomainObject {
    /// Patch weights per shown member (gridHeight x gridWidth, row-major).
    public let maps: [[Double]]
    /// The class token's weight on itself, per shown member (maps + this = 1 per row).
    public let selfWeights: [Double]
    /// Caption of each map ("member 2", "spread").
    public let captions: [String]
    public let gridHeight: Int
    public let gridWidth: Int
    /// The input in grey levels (height x width) drawn under the heat.
    public let base: Grid?
    public let title: String
    /// A title short enough for the SVG figure's width.
    public let shortTitle: String
    /// Standard deviation across members per patch, when several members are shown.
    let spreadSource: [[Double]]?
    let isSpread: Bool
    /// For a text: the word pieces the maps weigh ([CLS] excluded); nil for images.
    let tokens: [String]?

    init(maps: [[Double]], selfWeights: [Double], captions: [String], gridHeight: Int, gridWidth: Int, base: Grid?,
         title: String, shortTitle: String, spreadSource: [[Double]]?, isSpread: Bool = false, tokens: [String]? = nil) {
        self.tokens = tokens
        self.shortTitle = shortTitle
        self.maps = maps
        self.selfWeights = selfWeights
        self.captions = captions
        self.gridHeight = gridHeight
        self.gridWidth = gridWidth
        self.base = base
        self.title = title
        self.spreadSource = spreadSource
        self.isSpread = isSpread
    }

    /// Builds the maps for `model.attention(x, member:, layer:, head:, rollout:)`.
    static func make(_ model: ModelValue, _ args: Arguments, context: Context? = nil) throws -> AttentionValue {
        let xv = try args.value("x")
        guard case .object(let o) = xv, let sample = o as? SampleValue else {
            throw args.error("x", "attention needs one sample such as test[3], but got \(xv.typeWithArticle)",
                             remedy: xv.typeName == "Dataset" ? "index the data set: data[i]" : nil)
        }
        let a = try WatchedEvaluation.run(model, context, what: "attention of", memberSamples: model.model.memberCount) {
            try model.model.attention(sample.dataset.modelInputs([sample.index]).input)
        }
        let rollout = try args.bool("rollout")
        var layer = a.layers - 1
        if let l = try args.optionalInt("layer") {
            let j = l < 0 ? a.layers + l : l
            guard j >= 0, j < a.layers else {
                throw LangError(.index, "layer \(l) is out of range: the model has \(a.layers) layer\(a.layers == 1 ? "" : "s") (0..<\(a.layers))",
                                at: args.location(of: "layer"), remedy: "use a layer in 0..<\(a.layers), or -1 for the last")
            }
            layer = j
        }
        let head = try args.optionalInt("head")
        if let h = head, h < 0 || h >= a.heads {
            throw LangError(.index, "head \(h) is out of range: each layer has \(a.heads) head\(a.heads == 1 ? "" : "s") (0..<\(a.heads))",
                            at: args.location(of: "head"), remedy: "use a head in 0..<\(a.heads), or leave head out for the mean over heads")
        }
        var members = Array(0..<a.members)
        if let m = try args.optionalInt("member") {
            guard m >= 0, m < a.members else {
                throw LangError(.index, "member \(m) is out of range: \(model.label) has \(a.members) member\(a.members == 1 ? "" : "s") (0..<\(a.members))",
                                at: args.location(of: "member"), remedy: a.members == 1 ? "leave member out" : "use a member in 0..<\(a.members), or leave member out to see all")
            }
            members = [m]
        }
        let t = a.tokens
        /// The T x T matrix of (member, layer): one head or the mean over heads.
        func matrix(_ m: Int, _ l: Int) -> [Double] {
            let w = a.weights[m][l]
            var out = [Double](repeating: 0, count: t * t)
            if let h = head {
                for i in 0..<(t * t) { out[i] = Double(w[h * t * t + i]) }
            } else {
                for h in 0..<a.heads { for i in 0..<(t * t) { out[i] += Double(w[h * t * t + i]) } }
                for i in out.indices { out[i] /= Double(a.heads) }
            }
            return out
        }
        var maps: [[Double]] = [], selfW: [Double] = []
        for m in members {
            let row: [Double]
            if rollout {
                let r = AttentionRollout.rollout((0...layer).map { matrix(m, $0) }, tokens: t)
                row = Array(r[0..<t])
            } else {
                row = Array(matrix(m, layer)[0..<t])
            }
            selfW.append(row[0])
            maps.append(Array(row[1...]))
        }
        var base: Grid? = nil
        if !sample.dataset.isText {
            let grey = sample.grey.map(Double.init)
            base = try Grid(rows: sample.dataset.height, columns: sample.dataset.width, values: grey)
        }
        let what = rollout ? "rollout over layers 0...\(layer)" : "layer \(layer) of layers 0...\(a.layers - 1)"
        let heads = head.map { "head \($0)" } ?? "mean over \(a.heads) head\(a.heads == 1 ? "" : "s")"
        let title = (a.pieces == nil ? "Class-token" : "[CLS]") + " attention of \(model.label) on sample #\(sample.index) (label \(sample.className)): \(what), \(heads)"
        let short: String
        if members.count == 1 {
            // One panel is narrow: a compact title that fits its width.
            short = (a.members == 1 ? "" : "member \(members[0]), ") + "#\(sample.index) (\(sample.className)), "
                + (rollout ? "rollout" : "L\(layer)") + (head.map { " H\($0)" } ?? "")
        } else {
            short = "\(model.label), #\(sample.index) (\(sample.className)): " + (rollout ? "rollout 0...\(layer)" : "layer \(layer)")
                + (head.map { ", head \($0)" } ?? ", mean of \(a.heads) heads")
        }
        let captions = members.map { a.members == 1 ? "attention" : "member \($0)" }
        return AttentionValue(maps: maps, selfWeights: selfW, captions: captions, gridHeight: a.gridHeight, gridWidth: a.gridWidth,
                              base: base, title: title, shortTitle: short, spreadSource: members.count > 1 ? maps : nil,
                              tokens: a.pieces.map { Array($0.dropFirst()) })
    }

    /// Per-patch standard deviation (population) across the maps.
    static func spread(_ maps: [[Double]]) -> [Double] {
        guard let first = maps.first else { return [] }
        let n = Double(maps.count)
        return first.indices.map { i in
            let mean = maps.reduce(0) { $0 + $1[i] } / n
            let v = maps.reduce(0) { $0 + ($1[i] - mean) * ($1[i] - mean) } / n
            return v.squareRoot()
        }
    }

    public var typeName: String { "Attention" }
    public var summary: String {
        let over = tokens.map { "\($0.count) tokens" } ?? "\(gridHeight)x\(gridWidth) patches"
        return "\(maps.count) map\(maps.count == 1 ? "" : "s") of \(over); " + (isSpread ? "spread across members" : title)
    }

    /// A text's maps as weighted tokens.
    func tokenHeat() throws -> TokenHeat? {
        guard let tokens = tokens else { return nil }
        return try TokenHeat(tokens: tokens, rows: zip(captions, maps).map { TokenHeat.Row(caption: $0, weights: $1) },
                             title: title, range: range, scale: scale)
    }

    var range: (low: Double, high: Double) {
        let all = maps.flatMap { $0 }.filter(\.isFinite)
        let hi = all.max() ?? 1
        return (0, hi > 0 ? hi : 1)
    }

    var scale: ColorScale { isSpread ? .inferno : .viridis }
    /// Weight of the heat colour over the grey input (the rest is the input).
    static let opacity = 0.55

    /// Panels side by side over the grey input, with a colour scale.
    public func terminal(mode: ColorMode, width: Int) -> String {
        if let heat = try? tokenHeat() { return heat.terminal(mode: mode, width: width) }
        let r = range
        let side = max(16, min(base?.columns ?? 0, 32))
        var blocks: [TextBlock] = []
        for m in maps {
            guard let heat = try? Grid(rows: gridHeight, columns: gridWidth, values: m),
                  let map = try? TerminalHeatmap(heat: heat, base: base, range: r, scale: scale, opacity: AttentionValue.opacity, width: side) else { continue }
            blocks.append(map.render(mode: mode))
        }
        var out = title + "\n"
        out += TextBlock.sideBySide(blocks, captions: captions, gap: 2, maxWidth: max(side, width)).text + "\n"
        out += "scale: " + ColorLegend(low: r.low, high: r.high, scale: scale).render(mode: mode, width: 20).text
        out += isSpread ? "  (standard deviation across members)" : "  (attention weight)"
        return out
    }

    public func echo(_ context: Context) -> String {
        terminal(mode: Domain.colorMode(context), width: context.terminalWidth)
    }

    /// The terminal maps as text; the SVG (maps over the input, or the tokens
    /// of a text on the colour scale) as the figure.
    public func display(_ context: Context) -> RichDisplay {
        let svg: String?
        if let heat = try? tokenHeat() { svg = heat.svg() } else { svg = (try? figure())?.svg() }
        return RichDisplay(text: echo(context), svg: svg)
    }

    func figure() throws -> HeatmapFigure {
        let panels = try zip(maps, captions).map { m, c in
            HeatmapPanel(heat: try Grid(rows: gridHeight, columns: gridWidth, values: m), base: base, caption: c)
        }
        return try HeatmapFigure(panels: panels, title: shortTitle, range: range, scale: scale, opacity: AttentionValue.opacity)
    }

    static let fieldList: [FieldHelp] = [
        FieldHelp("spread", "per-patch standard deviation across members (where they disagree), an Attention"),
        FieldHelp("values", "per shown member, the patch weights (row-major over the patch grid)"),
        FieldHelp("class_token", "per shown member, the class token's weight on itself (values + class_token = 1)"),
        FieldHelp("grid", "[rows, columns] of patches (a text: one row of its tokens)"),
        FieldHelp("tokens", "a text's word pieces the weights belong to ([CLS] excluded); nil for images"),
        FieldHelp("figure", "the maps as a Figure"),
        FieldHelp("title", "what is shown"),
    ]
    static let methodList: [Help] = [
        Help("save", [.positional("path", "a .svg or .png file name")],
             summary: "Writes the maps over the input with a colour bar (PNG: pixels only, no text).",
             example: "ens.attention(test[3]).save(\"attention.svg\")", returns: "the path written"),
        Help("plot", [], summary: "Draws the maps in the terminal.", example: "att.plot()", returns: "nil"),
    ]
    public var fields: [FieldHelp] { AttentionValue.fieldList }
    public var methods: [Help] { AttentionValue.methodList }
    static var typeHelp: TypeHelp {
        TypeHelp(name: "Attention", summary: "Class-token attention maps over the image patches, from model.attention(x, member:, layer:, head:, rollout:).",
                 fields: fieldList, methods: methodList)
    }

    public func field(_ name: String) throws -> Value? {
        switch name {
        case "spread":
            let s = AttentionValue.spread(spreadSource ?? [maps.first ?? []])
            let t = title.replacingOccurrences(of: "Class-token attention", with: "Spread across \(spreadSource?.count ?? 1) members of the class-token attention")
            let t2 = t.replacingOccurrences(of: "[CLS] attention", with: "Spread across \(spreadSource?.count ?? 1) members of the [CLS] attention")
            return .object(AttentionValue(maps: [s], selfWeights: [.nan], captions: ["spread (std)"], gridHeight: gridHeight, gridWidth: gridWidth,
                                          base: base, title: t2, shortTitle: "Spread of \(spreadSource?.count ?? 1) members", spreadSource: nil,
                                          isSpread: true, tokens: tokens))
        case "values": return .list(maps.map { .list($0.map { .double($0) }) })
        case "class_token": return .list(selfWeights.map { .double($0) })
        case "grid": return .list([.int(gridHeight), .int(gridWidth)])
        case "figure":
            if let heat = try tokenHeat() { return .object(FigureValue(.tokens(heat))) }
            return .object(FigureValue(.heatmap(try figure(), terminal: { [self] m, w in terminal(mode: m, width: w) })))
        case "tokens": return tokens.map { .list($0.map { .string($0) }) } ?? .null
        case "title": return .string(title)
        default: return nil
        }
    }

    public func call(_ name: String, _ args: Arguments, _ context: Context) throws -> Value {
        switch name {
        case "save":
            let path = try Domain.path(args, "path")
            if let heat = try tokenHeat() {
                guard path.lowercased().hasSuffix(".svg") else {
                    throw args.error("path", "attention over a text is saved as SVG", remedy: "use a file name ending in .svg")
                }
                try heat.save(to: path)
                return .string(path)
            }
            let f = try figure()
            try FigureValue.save(svg: f, png: { try f.savePNG(to: $0, pixelsPerPoint: 1) }, to: path, args: args)
            return .string(path)
        case "plot":
            context.echo(.object(self))
            return .null
        default:
            throw LangError(.name, "Attention has no method '\(name)'")
        }
    }
}
