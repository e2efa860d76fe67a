import Data
import NN
import Uncertainty

/// `calibrate(model, on: data)`: post-hoc temperature scaling.
enum CalibrationBuiltins {
    static func install(_ t: BuiltinTable) {
        t.register(Help("calibrate", [.positional("model", "a trained Model or Ensemble"),
                                      .named("on", "labelled validation data, held out from training (not the test set)", .required)],
                        summary: "Temperature scaling (Guo et al. 2017): one temperature T > 0 for every member, fitted to minimise the NLL of the members' mean probabilities, each member's softmax(logits / T), on the validation data (grid then golden-section search over log T in [0.05, 20]). Returns a new model sharing the parameters whose predictions, evaluate, uncertainty, ood, reliability and compare use T; .temperature shows it. Calibrating again replaces T.",
                        example: "let (train, val) = data.split(0.9, seed: 1)\nens.fit(train, epochs: 5)\nlet cal = calibrate(ens, on: val)\ncal.temperature\ncompare([ens, cal], on: test)",
                        returns: "a Model or an Ensemble")) { args, ctx in
            let m = try args.object("model", as: ModelValue.self, typeName: "Model")
            let data = try args.object("on", as: DatasetValue.self, typeName: "Dataset").dataset
            let arch = m.model.architecture
            switch arch.input {
            case .images(let c, let h, let w, _):
                guard !data.isText, data.channels == c, data.height == h, data.width == w else {
                    throw args.error("on", "the validation data '\(data.name)' does not fit the model: " +
                                     (data.isText ? "it holds texts, the model reads images" : "its images are \(data.channels)x\(data.height)x\(data.width), the model reads \(c)x\(h)x\(w)"),
                                     remedy: "calibrate on held-out data of the kind the model was trained on")
                }
            case .text:
                guard data.isText else { throw args.error("on", "the validation data '\(data.name)' holds images but the model reads texts") }
            }
            guard data.count > 0 else { throw args.error("on", "the validation data '\(data.name)' is empty") }
            if let bad = data.labels.first(where: { $0 < 0 || $0 >= arch.classes }) {
                throw args.error("on", "the validation data '\(data.name)' has label \(bad) but the model has \(arch.classes) classes")
            }
            try ctx.checkCancelled()
            let base = (m.model as? CalibratedModel)?.base ?? m.model
            let z = try WatchedEvaluation.run(m, ctx, what: "calibrating", memberSamples: base.memberCount * data.count) {
                try base.predictLogits(data, batchSize: 256)
            }
            let logits = try MemberLogits(members: z.members, samples: z.samples, classes: z.classes, values: z.values)
            // The search passes over every logit some 90 times: Ctrl-C is looked at before each pass.
            let fit = try TemperatureScaling.fit(logits: logits, labels: data.labels, beforeEvaluation: { try ctx.checkCancelled() })
            let calibrated = try CalibratedModel(base: base, temperature: Float(fit.temperature), fittedOn: data.name)
            // The label carries T, so compare tells the two apart: "cal (LoRA-Ensemble, T = 1.84)".
            let plain = m.label.components(separatedBy: ", T = ")[0]
            let out = ModelValue(calibrated, label: "\(plain), T = \(Domain.fixed(fit.temperature, 2))")
            out.trainSeconds = m.trainSeconds
            if !ctx.quiet {
                var line = "calibrated \(m.displayName) on \(data.name): T = \(Domain.fixed(fit.temperature, 4)), validation NLL \(Domain.fixed(fit.nllBefore)) -> \(Domain.fixed(fit.nllAfter))"
                if fit.atBracketEnd { line += " (T is at the end of the search range [0.05, 20]: the validation data may be too small or separable)" }
                ctx.print(line)
            }
            return .object(out)
        }
    }
}
