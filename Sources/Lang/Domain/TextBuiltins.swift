import Data
import NN
import Render

/// `tokenize(model, text)`: the word pieces and ids a text model reads.
enum TextBuiltins {
    static func install(_ t: BuiltinTable) {
        t.register(Help("tokenize", [.positional("model", "a text model (load_model(\"minilm\")) or an ensemble built on one"),
                                     .positional("text", "the text to split"),
                                     .named("max_tokens", "truncate to this many pieces, [CLS] and [SEP] included (default: the model's)")],
                        summary: "Splits a text as the model reads it: BERT's basic tokenization (cleaning, lower-casing and accent stripping when configured, CJK characters and punctuation apart), then WordPiece (## marks a piece that continues a word; [UNK] for what the vocabulary cannot spell), between [CLS] and [SEP].",
                        example: "let bert = load_model(\"minilm\")\ntokenize(bert, \"Wheat exports rose 12%\")", returns: "Tokens")) { args, _ in
            let m = try args.object("model", as: ModelValue.self, typeName: "Model")
            guard let bert = m.model.baseBackbone as? Bert else {
                throw args.error("model", "\(m.label) reads images, not text", remedy: "tokenize with a text model, e.g. load_model(\"minilm\")")
            }
            let text = try args.string("text")
            // The limit a text in a data file has (a longer one is cut to max_tokens pieces anyway).
            guard text.utf8.count <= Dataset.maxTextBytes else {
                throw args.error("text", "the text is \(NumberFormatting.grouped(text.utf8.count)) bytes long, over the limit of \(NumberFormatting.grouped(Dataset.maxTextBytes))",
                                 remedy: "shorten or split the text; the model reads at most max_tokens word pieces of it")
            }
            var limit = bert.config.maxTokens
            if args.has("max_tokens") {
                limit = try Domain.positive(args, "max_tokens", max: bert.config.maxPositions)
                guard limit >= 2 else { throw args.error("max_tokens", "max_tokens must leave room for [CLS] and [SEP], got \(limit)") }
            }
            let e = bert.tokenizer.encode(text, maxLength: limit)
            let all = bert.tokenizer.encode(text, maxLength: Int.max / 2).ids.count
            return .object(TokensValue(pieces: e.tokens, ids: e.ids.map { Int($0) }, truncatedFrom: all > e.ids.count ? all : nil))
        }
    }
}

/// The result of `tokenize`: pieces and their ids.
final class TokensValue: DomainObject {
    let pieces: [String]
    let ids: [Int]
    /// The untruncated length, when the text was cut.
    let truncatedFrom: Int?

    init(pieces: [String], ids: [Int], truncatedFrom: Int?) {
        self.pieces = pieces
        self.ids = ids
        self.truncatedFrom = truncatedFrom
    }

    var typeName: String { "Tokens" }
    var summary: String { "\(pieces.count) tokens: " + pieces.joined(separator: " ") }
    var count: Int? { pieces.count }

    func echo(_ context: Context) -> String {
        var t = TextTable(title: nil, columns: [TableColumn("#"), TableColumn("piece"), TableColumn("id")])
        for (i, (p, id)) in zip(pieces, ids).enumerated() { t.append([.integer(i), .text(p), .integer(id)]) }
        var out = t.render()
        if let n = truncatedFrom { out += "\ntruncated to \(pieces.count) of \(NumberFormatting.grouped(n)) tokens (max_tokens)" }
        if pieces.count == 2 { out += "\nthe text has nothing to read (empty, white space or characters BERT drops): only [CLS] and [SEP]" }
        return out
    }

    static let fieldList = [FieldHelp("pieces", "the word pieces, [CLS] first and [SEP] last"),
                            FieldHelp("ids", "their ids in the vocabulary"),
                            FieldHelp("count", "number of tokens")]
    var fields: [FieldHelp] { TokensValue.fieldList }

    func field(_ name: String) throws -> Value? {
        switch name {
        case "pieces": return .list(pieces.map { .string($0) })
        case "ids": return .list(ids.map { .int($0) })
        case "count": return .int(pieces.count)
        default: return nil
        }
    }

    func index(_ index: Value) throws -> Value? {
        guard case .int(let i) = index else { return nil }
        guard i >= 0, i < pieces.count else {
            throw LangError(.index, "token \(i) is out of range: there are \(pieces.count) tokens (0..<\(pieces.count))")
        }
        return .string(pieces[i])
    }

    static let typeHelp = TypeHelp(name: "Tokens", summary: "Word pieces and ids of a text, from tokenize(model, text).",
                                   fields: fieldList, methods: [])
}
