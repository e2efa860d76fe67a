/// The names Hugging Face PEFT gives LoRA adapters of a BERT-family model
/// (transformers' `BertModel`): the module paths of the four attention
/// projections and the tensor names PEFT's `save_pretrained` writes,
/// `base_model.model.<module path>.lora_A.weight` [r, in] and
/// `base_model.model.<module path>.lora_B.weight` [out, r].
enum PeftNames {
    /// What PEFT puts in front of the base model's module paths.
    static let prefix = "base_model.model."

    /// Module path below "encoder.layer.{i}." of each projection.
    static var bertParts: [(projection: Projection, part: String)] {
        [(.q, "attention.self.query"), (.k, "attention.self.key"), (.v, "attention.self.value"), (.o, "attention.output.dense")]
    }

    /// `encoder.layer.{i}.attention.self.query` and friends: the module PEFT adapts.
    static func modulePath(layer: Int, _ p: Projection) -> String {
        "encoder.layer.\(layer)." + bertParts.first { $0.projection == p }!.part
    }

    /// The tensor name of A or B ("A" / "B") of one adapted module.
    static func tensorName(layer: Int, _ p: Projection, _ ab: String) -> String {
        prefix + modulePath(layer: layer, p) + ".lora_\(ab).weight"
    }

    /// One tensor of a PEFT adapter file, understood.
    enum Parsed: Equatable {
        /// A LoRA factor ("A" or "B") of projection `projection` of encoder layer `layer`.
        case factor(layer: Int, projection: Projection, ab: String)
        /// Anything else: what it is, in words, for the error message.
        case unsupported(String)
    }

    /// Reads a tensor name as PEFT writes it. Accepted: with or without
    /// `base_model.model.`, with or without a `bert.` in front (adapters of
    /// `BertFor...` models), `.lora_A.weight` or `.lora_A.<adapter name>.weight`.
    static func parse(_ name: String) -> Parsed {
        var n = Substring(name)
        if n.hasPrefix(prefix) { n = n.dropFirst(prefix.count) }
        if n.hasPrefix("bert.") { n = n.dropFirst(5) }
        guard let r = n.range(of: ".lora_") else {
            if n.contains("modules_to_save") || n.hasPrefix("classifier.") || n.hasPrefix("score.") {
                return .unsupported("a saved module (modules_to_save), not a LoRA adapter")
            }
            return .unsupported("not a LoRA adapter tensor (no .lora_A / .lora_B in its name)")
        }
        let module = n[..<r.lowerBound]
        let tail = n[r.upperBound...].split(separator: ".", omittingEmptySubsequences: false)
        guard tail.count == 2 || tail.count == 3, tail[0] == "A" || tail[0] == "B", tail.last == "weight" else {
            return .unsupported("a LoRA tensor lora does not use (\(n[r.lowerBound...].prefix(40)); lora imports lora_A and lora_B weights only, no DoRA magnitudes, embeddings or biases)")
        }
        let parts = module.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0] == "encoder", parts[1] == "layer", let layer = Int(parts[2]), layer >= 0,
              let p = bertParts.first(where: { $0.part == parts.dropFirst(3).joined(separator: ".") }) else {
            return .unsupported("an adapter of module '\(module.prefix(80))', which is not one of the attention projections lora adapts (encoder.layer.{i}.attention.self.query / key / value, encoder.layer.{i}.attention.output.dense)")
        }
        return .factor(layer: layer, projection: p.projection, ab: String(tail[0]))
    }
}
