import Foundation
import Tensor
import Text

/// Loads a BERT-family model directory as written by Hugging Face
/// (`save_pretrained`) or shipped by sentence-transformers: `config.json`
/// (model_type bert), `model.safetensors` (F32, or F16/BF16 converted on load),
/// `vocab.txt` and optionally `tokenizer_config.json` and `1_Pooling/config.json`.
public enum BertFiles {
    /// Tensors in such files that lora does not use: BERT's pooler and
    /// pre-training heads, and the position-id buffer.
    static func isUnused(_ name: String) -> Bool {
        name.hasPrefix("pooler.") || name.hasPrefix("cls.") || name == "embeddings.position_ids"
    }

    /// The file's name for a parameter, normalised: a "bert." prefix
    /// (BertForSequenceClassification and friends) dropped, old LayerNorm names
    /// (gamma, beta) renamed to weight, bias.
    static func normalised(_ name: String) -> String {
        var n = name
        if n.hasPrefix("bert.") { n.removeFirst(5) }
        if n.hasSuffix(".gamma") { n = String(n.dropLast(6)) + ".weight" }
        if n.hasSuffix(".beta") { n = String(n.dropLast(5)) + ".bias" }
        return n
    }

    /// True when `dir` looks like a BERT model directory.
    public static func isModelDirectory(_ dir: String) -> Bool {
        FileManager.default.fileExists(atPath: dir + "/config.json")
    }

    /// Loads the directory: a pre-trained BERT with a fresh head of `classes`
    /// outputs, inputs truncated to `maxTokens` word pieces.
    public static func load(_ dir: String, classes: Int = 2, maxTokens: Int = 128, seed: UInt64 = 0) throws -> Bert {
        let fm = FileManager.default
        func file(_ name: String) -> String { dir + "/" + name }
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw NNError.checkpoint(path: dir, detail: "is not a directory; give a folder holding config.json, model.safetensors and vocab.txt")
        }
        for needed in ["config.json", "model.safetensors", "vocab.txt"] where !fm.fileExists(atPath: file(needed)) {
            let remedy = needed == "model.safetensors" && fm.fileExists(atPath: file("pytorch_model.bin"))
                ? "the folder has pytorch_model.bin only; convert it with safetensors (save_file) first — lora does not read pickle files"
                : "a BERT model folder holds config.json, model.safetensors and vocab.txt (scripts/get-model minilm installs one)"
            throw NNError.checkpoint(path: file(needed), detail: "is missing; \(remedy)")
        }
        guard let configData = fm.contents(atPath: file("config.json")) else {
            throw NNError.checkpoint(path: file("config.json"), detail: "cannot be read; check its permissions")
        }
        var config = try BertConfig.huggingFace(configData, path: file("config.json"))
        config.classes = classes
        config.maxTokens = min(maxTokens, config.maxPositions)
        if let pooling = fm.contents(atPath: file("1_Pooling/config.json")),
           let o = (try? JSONSerialization.jsonObject(with: pooling)) as? [String: Any],
           o["pooling_mode_cls_token"] as? Bool == true {
            config.pooling = .cls
        }
        do { try config.validate() } catch let e as NNError { throw NNError.invalidConfiguration("\(e)") }
        let tokenizerConfig = fm.fileExists(atPath: file("tokenizer_config.json")) ? file("tokenizer_config.json") : nil
        let tokenizer: WordPieceTokenizer
        do {
            tokenizer = try WordPieceTokenizer(vocabularyFile: file("vocab.txt"), configFile: tokenizerConfig)
        } catch let e as TextError {
            throw NNError.checkpoint(path: file("vocab.txt"), detail: "\(e)")
        }
        guard tokenizer.vocabularySize == config.vocabularySize else {
            throw NNError.checkpoint(path: file("vocab.txt"), detail: "has \(tokenizer.vocabularySize) word pieces but config.json says vocab_size \(config.vocabularySize); the vocabulary and the model do not belong together")
        }
        let weightsPath = file("model.safetensors")
        let contents = try SafeTensors.contents(weightsPath)
        let bert = try Bert(config, tokenizer: tokenizer, seed: seed)
        var state: [String: Tensor] = [:]
        for (name, t) in contents.tensors where !isUnused(normalised(name)) {
            state[normalised(name)] = t
        }
        // The head is lora's own: keep the fresh one.
        for (n, t) in bert.namedParameters() where bert.isHead(n) { state[n] = t.detached() }
        try bert.loadStateDict(state, source: "'\(weightsPath)'")
        bert.labelParameters()
        return bert
    }
}
