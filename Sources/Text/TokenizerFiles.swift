import Foundation

/// The options a tokenizer_config.json sets (Hugging Face's names in
/// comments). Codable, so a checkpoint can carry them beside the vocabulary.
public struct WordPieceSettings: Codable, Equatable, Sendable {
    public var lowercase = true                // do_lower_case
    public var stripAccents: Bool? = nil       // strip_accents (null: strip when lowercasing)
    public var splitCJK = true                 // tokenize_chinese_chars
    public var unk = "[UNK]", cls = "[CLS]", sep = "[SEP]", pad = "[PAD]", mask = "[MASK]"
    public var additionalSpecials: [String] = []   // additional_special_tokens
    public var maxLength = WordPieceTokenizer.defaultMaxLength   // model_max_length
    public init() {}
}

/// Reading a model's vocab.txt and tokenizer_config.json.
enum TokenizerFiles {
    typealias Config = WordPieceSettings

    static func bytes(of path: String, what: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TextError(file: path, problem: "no such file",
                            remedy: "give the path of the model's \(what) (it sits beside config.json and the weights)")
        }
        if isDirectory.boolValue {
            throw TextError(file: path, problem: "is a directory, not a file", remedy: "give the path of the \(what) inside it")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TextError(file: path, problem: "cannot be read (\(error.localizedDescription))",
                            remedy: "check the file's permissions")
        }
    }

    /// The tokens of a vocab.txt, one a line, the line number (from 0) being
    /// the id. "\r\n" line ends are accepted; a final newline ends the last line.
    static func vocabulary(_ path: String) throws -> [String] {
        let data = try bytes(of: path, what: "vocab.txt")
        let remedy = "a BERT vocab.txt holds one UTF-8 token per line ([PAD], [UNK], [CLS], [SEP], ...); use the model's own file"
        guard !data.isEmpty else {
            throw TextError(file: path, problem: "is empty", remedy: remedy)
        }
        var tokens: [String] = []
        tokens.reserveCapacity(data.count / 7)
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let p = raw.bindMemory(to: UInt8.self)
            var start = 0
            let n = p.count
            while start < n {
                var end = start
                while end < n && p[end] != 0x0A { end += 1 }
                var stop = end
                if stop > start && p[stop - 1] == 0x0D { stop -= 1 }
                let line = UnsafeBufferPointer(rebasing: p[start..<stop])
                guard let token = String(validating: line, as: UTF8.self) else {
                    throw TextError(file: path, line: tokens.count + 1,
                                    problem: "is not valid UTF-8 (byte offset \(start + firstInvalidUTF8(line)))",
                                    remedy: remedy)
                }
                tokens.append(token)
                start = end + 1
            }
        }
        return tokens
    }

    /// The offset of the first byte that is not part of valid UTF-8.
    private static func firstInvalidUTF8(_ line: UnsafeBufferPointer<UInt8>) -> Int {
        var lo = 0
        // Grow a valid prefix scalar by scalar.
        var it = line.makeIterator()
        var decoder = UTF8()
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): lo += UTF8.width(s)
            case .emptyInput, .error: break loop
            }
        }
        return lo
    }

    /// The fields of tokenizer_config.json this tokenizer reads; others are ignored.
    private struct ConfigFile: Decodable {
        var do_lower_case: Bool?
        var strip_accents: Bool?
        var tokenize_chinese_chars: Bool?
        var do_basic_tokenize: Bool?
        var unk_token: Spelling?
        var cls_token: Spelling?
        var sep_token: Spelling?
        var pad_token: Spelling?
        var mask_token: Spelling?
        var additional_special_tokens: [Spelling]?
        var model_max_length: Double?
    }

    /// A token written as a string, or (newer files) as {"content": "[UNK]", ...}.
    private struct Spelling: Decodable {
        var text: String
        private struct Added: Decodable { var content: String }
        init(from decoder: Decoder) throws {
            if let s = try? decoder.singleValueContainer().decode(String.self) {
                text = s
            } else {
                text = try Added(from: decoder).content
            }
        }
    }

    static func config(_ path: String) throws -> Config {
        let data = try bytes(of: path, what: "tokenizer_config.json")
        let remedy = "use the model's own tokenizer_config.json, or leave it out to use BERT's defaults (lowercase, strip accents, split CJK)"
        let file: ConfigFile
        do {
            file = try JSONDecoder().decode(ConfigFile.self, from: data)
        } catch let DecodingError.typeMismatch(_, context) where context.codingPath.isEmpty {
            throw TextError(file: path, problem: "is not a JSON object", remedy: remedy)
        } catch let DecodingError.typeMismatch(type, context) {
            throw TextError(file: path, problem: "\"\(keyPath(context))\" is not \(type == Bool.self ? "true, false or null" : type == Double.self ? "a number" : "a token string")",
                            remedy: remedy)
        } catch let DecodingError.keyNotFound(key, context) {
            throw TextError(file: path, problem: "\"\(keyPath(context))\" has no \"\(key.stringValue)\"", remedy: remedy)
        } catch DecodingError.dataCorrupted(let context) {
            let why = (context.underlyingError as NSError?)?.localizedDescription ?? context.debugDescription
            throw TextError(file: path, problem: "is not valid JSON (\(why))", remedy: remedy)
        } catch {
            throw TextError(file: path, problem: "cannot be read as a tokenizer configuration (\(error))", remedy: remedy)
        }
        if file.do_basic_tokenize == false {
            throw TextError(file: path, problem: "sets do_basic_tokenize to false, which this tokenizer does not support",
                            remedy: "use a model whose tokenizer does BERT's basic tokenization")
        }
        var config = Config()
        if let v = file.do_lower_case { config.lowercase = v }
        config.stripAccents = file.strip_accents
        if let v = file.tokenize_chinese_chars { config.splitCJK = v }
        if let v = file.unk_token { config.unk = v.text }
        if let v = file.cls_token { config.cls = v.text }
        if let v = file.sep_token { config.sep = v.text }
        if let v = file.pad_token { config.pad = v.text }
        if let v = file.mask_token { config.mask = v.text }
        config.additionalSpecials = (file.additional_special_tokens ?? []).map(\.text)
        if let d = file.model_max_length {
            if !d.isFinite || d >= Double(WordPieceTokenizer.unlimitedMaxLength) {
                // Hugging Face writes a huge number (1e30) for "no limit".
                config.maxLength = WordPieceTokenizer.defaultMaxLength
            } else if d < 2 {
                throw TextError(file: path, problem: "\"model_max_length\" is \(d); it must be at least 2 ([CLS] and [SEP])",
                                remedy: remedy)
            } else {
                config.maxLength = Int(d)
            }
        }
        return config
    }

    private static func keyPath(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}
