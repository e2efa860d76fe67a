import Files
import Foundation
import Tensor

/// Writes a BERT backbone as a Hugging Face model folder that transformers'
/// `BertModel.from_pretrained` / `AutoModel` and `AutoTokenizer` load, and that
/// lora's `load_model` reads back: `config.json` (architectures BertModel),
/// `model.safetensors` (the encoder's parameters under their Hugging Face
/// names, metadata format "pt"; no pooler and no head: lora's head is not
/// BERT's), `vocab.txt`, `tokenizer_config.json` and sentence-transformers'
/// `1_Pooling/config.json` (mean or [CLS] pooling). Every file atomically.
extension BertFiles {
    public static func save(_ bert: Bert, to dir: String) throws {
        try makeDirectory(dir)
        try makeDirectory(dir + "/1_Pooling")
        let c = bert.config, s = bert.tokenizer.settings
        let padID = bert.tokenizer.vocabulary.firstIndex(of: s.pad) ?? 0
        let config: [String: Any] = [
            "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
            "hidden_size": c.hidden, "num_hidden_layers": c.layers, "num_attention_heads": c.heads,
            "intermediate_size": c.intermediate, "max_position_embeddings": c.maxPositions,
            "type_vocab_size": c.typeVocabularySize, "vocab_size": c.vocabularySize,
            "layer_norm_eps": Double("\(c.eps)") ?? Double(c.eps), "position_embedding_type": "absolute",
            "pad_token_id": padID, "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
        ]
        try writeJSON(config, to: dir + "/config.json")
        var tokenizer: [String: Any] = [
            "tokenizer_class": "BertTokenizer", "do_lower_case": s.lowercase, "tokenize_chinese_chars": s.splitCJK,
            "strip_accents": s.stripAccents.map { $0 as Any } ?? NSNull(),
            "unk_token": s.unk, "cls_token": s.cls, "sep_token": s.sep, "pad_token": s.pad, "mask_token": s.mask,
            "model_max_length": s.maxLength,
        ]
        if !s.additionalSpecials.isEmpty { tokenizer["additional_special_tokens"] = s.additionalSpecials }
        try writeJSON(tokenizer, to: dir + "/tokenizer_config.json")
        try writeJSON(["word_embedding_dimension": c.hidden, "pooling_mode_cls_token": c.pooling == .cls,
                       "pooling_mode_mean_tokens": c.pooling == .mean, "pooling_mode_max_tokens": false],
                      to: dir + "/1_Pooling/config.json")
        try writeFile(Data((bert.tokenizer.vocabulary.joined(separator: "\n") + "\n").utf8), to: dir + "/vocab.txt")
        let encoder = bert.namedParameters().filter { !bert.isHead($0.name) }
        try SafeTensors.write(encoder, metadata: ["format": "pt"], to: dir + "/model.safetensors")
    }

    /// Creates `dir` (its parent must exist); an existing folder is kept.
    static func makeDirectory(_ dir: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) {
            guard isDir.boolValue else {
                throw NNError.checkpoint(path: dir, detail: "exists and is not a folder; choose another folder name, or remove the file")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        } catch {
            throw NNError.checkpoint(path: dir, detail: "cannot be created (\(error.localizedDescription)); check that its parent folder exists and is writable")
        }
    }

    static func writeJSON(_ object: Any, to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        try writeFile(data + Data("\n".utf8), to: path)
    }

    static func writeFile(_ data: Data, to path: String) throws {
        do {
            try AtomicFile.write(data, to: path)
        } catch let e as AtomicFile.WriteError {
            throw NNError.checkpoint(path: path, detail: "cannot be written: \(e.problem)")
        }
    }
}
