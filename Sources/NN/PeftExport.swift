import Foundation
import Tensor

/// Hugging Face PEFT LoRA adapters in and out of lora's LoRA-Ensembles
/// (BERT family). An export folder holds
///
///     base_model/            the ensemble's frozen backbone as a Hugging Face BERT folder
///     member0/ member1/ ...  one PEFT LoRA adapter folder per member:
///         adapter_config.json        peft_type LORA, r, lora_alpha (lora's scale x r),
///                                    target_modules (full module paths), base_model_name_or_path
///         adapter_model.safetensors  base_model.model.encoder.layer.{i}.attention.self.query.lora_A.weight [r, in], ...lora_B.weight [out, r]
///         head.safetensors           the member's head: weight [classes, hidden], bias [classes]
///
/// The head is a file of its own, not PEFT's `modules_to_save`: lora's text
/// head reads the mean of the real tokens' last hidden states (or the [CLS]
/// vector, as `1_Pooling/config.json` says), while the `classifier` of
/// transformers' `BertForSequenceClassification` reads BERT's tanh pooler
/// over [CLS]. PEFT would load a saved classifier into a model that computes
/// other features and silently give other logits; a separate head applied to
/// `BertModel`'s pooled output gives lora's.
public enum PeftAdapters {
    /// What `export` wrote.
    public struct Exported: Sendable {
        public var baseModel: String
        public var members: [String]
    }

    /// The sub-folder of an export that holds the backbone.
    public static let baseFolder = "base_model"
    /// The head file in each member's folder.
    public static let headFile = "head.safetensors"

    /// Writes one PEFT adapter folder per member (and the backbone) into `dir`,
    /// created when missing; files already there are replaced atomically.
    @discardableResult
    /// `classNames` (when given) travel in each head's metadata (`class_names`, JSON).
    public static func export(_ ens: LoRAEnsemble, to dir: String, classNames: [String] = []) throws -> Exported {
        guard let bert = ens.baseBackbone as? Bert else {
            throw NNError.invalidConfiguration("export_peft writes Hugging Face PEFT adapters of LoRA-Ensembles on BERT-family models (PEFT loads them on transformers' BertModel). This ensemble is on a \(ens.architecture.family): lora's ViT keeps q, k and v as separate projections, which neither transformers nor timm (one fused qkv layer) has, so PEFT has no model to load its adapters onto. Save it with save or save_adapters (timm names, PEFT-style adapter names), and rebuild it in PyTorch with scripts/torch_lora_ensemble.py")
        }
        let o = ens.options, net = ens.network
        // A folder of an earlier export with more members would mix into this one.
        if FileManager.default.fileExists(atPath: dir + "/member\(o.members)") {
            throw NNError.checkpoint(path: dir, detail: "holds member\(o.members) from an earlier export with more members than this ensemble's \(o.members); export into a new folder, or remove the old one")
        }
        try BertFiles.makeDirectory(dir)
        let base = dir + "/" + baseFolder
        try BertFiles.save(bert, to: base)
        let absoluteBase = base.hasPrefix("/") ? base : FileManager.default.currentDirectoryPath + "/" + base
        let adapted = (o.layers ?? 0..<bert.config.layers)
        let projections = Projection.allCases.filter { o.targets.contains($0) }
        var modules: [String] = []
        for layer in adapted { for p in projections { modules.append(PeftNames.modulePath(layer: layer, p)) } }
        let config: [String: Any] = [
            "peft_type": "LORA", "task_type": NSNull(), "r": o.rank, "lora_alpha": Double(o.scale) * Double(o.rank),
            "target_modules": modules, "base_model_name_or_path": absoluteBase, "bias": "none", "fan_in_fan_out": false,
            "lora_dropout": 0.0, "inference_mode": true, "init_lora_weights": true, "modules_to_save": NSNull(),
            "use_rslora": false, "use_dora": false, "rank_pattern": [String: Any](), "alpha_pattern": [String: Any](),
            "layers_to_transform": NSNull(), "layers_pattern": NSNull(), "revision": NSNull(),
        ]
        let c = bert.config.classes, d = bert.config.hidden, r = o.rank
        var members: [String] = []
        for m in 0..<o.members {
            let folder = dir + "/member\(m)"
            try BertFiles.makeDirectory(folder)
            var tensors: [(name: String, tensor: Tensor)] = []
            for layer in adapted {
                for p in projections {
                    guard let a = net.adapters[layer][p] else { continue }
                    let inF = a.a.shape[2], outF = a.b.shape[1]
                    tensors.append((PeftNames.tensorName(layer: layer, p, "A"),
                                    try Tensor(shape: [r, inF], data: Array(a.a.data[(m * r * inF)..<((m + 1) * r * inF)]))))
                    tensors.append((PeftNames.tensorName(layer: layer, p, "B"),
                                    try Tensor(shape: [outF, r], data: Array(a.b.data[(m * outF * r)..<((m + 1) * outF * r)]))))
                }
            }
            try SafeTensors.write(tensors, metadata: ["format": "pt"], to: folder + "/adapter_model.safetensors")
            try BertFiles.writeJSON(config, to: folder + "/adapter_config.json")
            let w = try Tensor(shape: [c, d], data: Array(net.heads.weight.data[(m * c * d)..<((m + 1) * c * d)]))
            let b = try Tensor(shape: [c], data: Array(net.heads.bias.data[(m * c)..<((m + 1) * c)]))
            var headMetadata = ["format": "pt", "pooling": bert.config.pooling.rawValue, "member": "\(m)",
                                "members": "\(o.members)", "max_tokens": "\(bert.config.maxTokens)",
                                "applies_to": bert.config.pooling == .mean
                                    ? "mean of BertModel's last_hidden_state over the attention mask"
                                    : "BertModel's last_hidden_state[:, 0] (the [CLS] token)"]
            if classNames.count == c, let names = try? JSONEncoder().encode(classNames) {
                headMetadata["class_names"] = String(decoding: names, as: UTF8.self)
            }
            try SafeTensors.write([("weight", w), ("bias", b)], metadata: headMetadata, to: folder + "/" + headFile)
            members.append(folder)
        }
        return Exported(baseModel: base, members: members)
    }
}
