import Foundation
import NN

/// `export_peft(ens, dir)` and `import_peft(dirs, base:)`: LoRA-Ensembles on
/// BERT-family models as Hugging Face PEFT LoRA adapter folders, one per member.
enum PeftBuiltins {
    static func install(_ t: BuiltinTable) {
        t.register(Help("export_peft", [.positional("ens", "a LoRA-Ensemble on a BERT-family model (load_model(\"minilm\") ...)"),
                                        .positional("dir", "the folder to write (created when missing; files in it are replaced)")],
                        summary: "Writes one Hugging Face PEFT LoRA adapter folder per member, DIR/member{m} (adapter_config.json with r, lora_alpha = lora's scale x r, target_modules; adapter_model.safetensors with PEFT's names, base_model.model.encoder.layer.{i}.attention.self.query.lora_A.weight ...; head.safetensors, the member's head on the pooled sentence vector), and the frozen backbone as a Hugging Face BERT folder, DIR/base_model. In Python: PeftModel.from_pretrained(BertModel.from_pretrained(\"DIR/base_model\"), \"DIR/member0\"), then the head on the mean of the real tokens. ViT ensembles: save them with save (timm names).",
                        example: "export_peft(ens, \"ens-peft\")\nlet again = import_peft(export_peft(ens, \"ens-peft\"), base: bert)",
                        returns: "the member folders, a list of paths")) { args, ctx in
            let m = try args.object("ens", as: ModelValue.self, typeName: "Ensemble")
            guard let ens = m.model as? LoRAEnsemble else {
                let calibrated = m.model is CalibratedModel
                throw args.error("ens", "export_peft needs a LoRA-Ensemble, but got \(m.typeWithArticleName)",
                                 remedy: calibrated ? "export the ensemble before calibrate (PEFT adapters carry no temperature); calibrate again after importing"
                                                    : "build one with lora_ensemble(bert, members: 4) on a BERT-family model")
            }
            let given = try Domain.path(args, "dir")          // shown and returned as the user wrote it
            let dir = absolutePath(given)
            let out: PeftAdapters.Exported
            do {
                out = try PeftAdapters.export(ens, to: dir, classNames: m.classNames)
            } catch NNError.invalidConfiguration(let why) {
                throw args.error("ens", why)
            } catch var e as LangError where e.kind == .interrupted {
                // Each file is written atomically: those written are whole, the one being written is not there.
                e.message = "interrupted; \(given) may lack some files (each one there is whole)"
                e.remedy = "Ctrl-C stopped the export; export again to write every file"
                throw e
            }
            if !ctx.quiet {
                ctx.print("wrote \(out.members.count) PEFT adapter folder\(out.members.count == 1 ? "" : "s") (\(given)/member0 ...) and the base model (\(given)/\(PeftAdapters.baseFolder))")
            }
            return .list(out.members.map { .string($0.hasPrefix(dir) ? given + $0.dropFirst(dir.count) : $0) })
        }
        t.register(Help("import_peft", [.positional("dirs", "PEFT LoRA adapter folders, one per member (a list of paths), or a folder export_peft wrote"),
                                        .named("base", "the BERT-family model the adapters were trained on (load_model(\"minilm\") or a model folder)", .required),
                                        .named("name", "the name compare and reports show (default: the variable it is first bound to)")],
                        summary: "Builds a LoRA-Ensemble from Hugging Face PEFT LoRA adapters trained elsewhere: member m gets the adapters of folder m (adapter_config.json: r, lora_alpha; adapter_model.safetensors: lora_A / lora_B of attention.self.query, key, value and attention.output.dense). Every folder must adapt the same modules of one contiguous range of layers with the same r and scale. Heads come from each folder's head.safetensors (weight [classes, hidden], bias [classes], on the pooled sentence vector); without them every member starts with the base's head.",
                        example: "let bert = load_model(\"minilm\", classes: 2)\nlet ens = import_peft([\"a/member0\", \"a/member1\"], base: bert)",
                        returns: "an Ensemble")) { args, _ in
            let base = try ModelBuiltins.backbone(args)
            let folders = try adapterFolders(args)
            do {
                let ens = try PeftAdapters.load(folders, base: base)
                let value = ModelValue(ens)
                value.classNames = PeftAdapters.classNames(folders, classes: ens.architecture.classes)
                return try ModelBuiltins.named(args, value)
            } catch NNError.invalidConfiguration(let why) {
                throw args.error("dirs", why)
            }
        }
    }

    /// The `dirs:` argument: a list of folders, one folder with an adapter, or an export folder (its member0, member1, ...).
    static func adapterFolders(_ args: Arguments) throws -> [String] {
        let v = try args.value("dirs")
        if case .string = v {
            let given = try Domain.path(args, "dirs")
            let dir = absolutePath(given)
            let fm = FileManager.default
            if fm.fileExists(atPath: dir + "/adapter_config.json") { return [dir] }
            guard fm.fileExists(atPath: dir + "/member0") else {
                throw args.error("dirs", "\(given) holds neither a PEFT adapter (adapter_config.json) nor an export_peft folder (member0, member1, ...)",
                                 remedy: "give the adapter folders as a list, one per member: import_peft([\"a/member0\", \"a/member1\"], base: bert)")
            }
            var out: [String] = []
            while out.count < 4097, fm.fileExists(atPath: dir + "/member\(out.count)") { out.append(dir + "/member\(out.count)") }
            return out
        }
        guard case .list(let items) = v else {
            throw args.error("dirs", "import_peft needs adapter folders (a list of paths), but got \(v.typeWithArticle)")
        }
        guard !items.isEmpty else { throw args.error("dirs", "the list of adapter folders is empty", remedy: "give one PEFT adapter folder per member") }
        return try items.map { item in
            guard case .string(let s) = item, !s.isEmpty else {
                throw args.error("dirs", "the adapter folders must be paths (strings), but the list holds \(item.typeWithArticle)")
            }
            return absolutePath((s as NSString).expandingTildeInPath)
        }
    }
}

/// PEFT folders name their base model by an absolute path
/// (`base_model_name_or_path`), so export and import resolve folders against
/// the working directory.
private func absolutePath(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}
