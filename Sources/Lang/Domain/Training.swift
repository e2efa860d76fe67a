import Core
import Data
import NN
import Render
import Tensor

/// `model.fit(...)`: argument checking, progress through the context, Ctrl-C.
enum Training {
    static func fit(_ value: ModelValue, _ args: Arguments, _ context: Context) throws -> Value {
        let data = try args.object("data", as: DatasetValue.self, typeName: "Dataset").dataset
        let epochs = try Domain.positive(args, "epochs", max: 1_000_000)
        let batch = try Domain.positive(args, "batch", max: 1_000_000)
        let lr = try args.double("lr")
        guard lr.isFinite, lr > 0, lr < 10 else {
            throw args.error("lr", "the learning rate must be a positive number below 10, got \(Value.format(lr))", remedy: "try lr: 1e-3")
        }
        let decay = try args.double("weight_decay")
        guard decay >= 0, decay.isFinite else { throw args.error("weight_decay", "weight_decay must be >= 0, got \(Value.format(decay))") }
        let clip = try args.double("clip")
        guard clip >= 0, clip.isFinite else { throw args.error("clip", "clip must be >= 0 (0 turns clipping off), got \(Value.format(clip))") }
        var warmup: Int? = nil
        if args.has("warmup") {
            let w = try args.int("warmup")
            guard w >= 0 else { throw args.error("warmup", "warmup must be >= 0 steps, got \(w)") }
            warmup = w
        }
        var config = TrainConfig(epochs: epochs, batchSize: batch, learningRate: Float(lr), warmupSteps: warmup,
                                 weightDecay: Float(decay), seed: try Domain.seed(args, context), clipNorm: clip > 0 ? Float(clip) : nil)
        if let v = args.optional("validation") {
            guard case .object(let o) = v, let d = o as? DatasetValue else {
                throw args.error("validation", "validation must be a labelled Dataset, but got \(v.typeWithArticle)", remedy: "split one off: let (train, val) = data.split(0.9)")
            }
            config.validation = d.dataset
        }
        if args.has("members_at_once") {
            let members = value.model.memberCount
            let k = try Domain.positive(args, "members_at_once", max: 1_000_000)
            guard value.model is LoRAEnsemble || k >= members else {
                throw args.error("members_at_once", "members_at_once applies to LoRA-Ensembles, whose members train apart; \(value.label) trains its members together",
                                 remedy: "leave members_at_once out")
            }
            guard k <= members else {
                throw args.error("members_at_once", "members_at_once is \(k) but the model has \(members) member\(members == 1 ? "" : "s")",
                                 remedy: "give a number from 1 to \(members)")
            }
            config.membersAtOnce = k
        }
        if let p = try args.optionalString("parallel") {
            guard let mode = Parallelism(rawValue: p) else {
                throw args.error("parallel", "parallel must be \"members\", \"data\" or \"automatic\", got \"\(p)\"",
                                 remedy: "members: each rank trains M/N members; data: each rank a share of every batch")
            }
            config.parallel = mode
        }
        if try args.bool("augment") {
            config.augmentation = Augmentation(horizontalFlip: 0, verticalFlip: 0, maxRotation: 10, maxShift: max(1, min(data.height, data.width) / 8))
        }

        context.cancellation.clear()
        let reporter = context.quiet ? nil : context.progress
        let label = value.label
        let outcome: FitOutcome
        do {
            // Ctrl-C's flag is the trainer's: it stops between steps, between member
            // groups and at the next forward batch of the validation.
            outcome = try value.model.fit(data, config: config, progress: { event in
                guard let reporter else { return }
                var event = event
                event.label = label
                reporter.update(event)
            }, cancel: context.cancellation)
        } catch {
            reporter?.finish()
            throw error
        }
        reporter?.finish()
        value.trainSeconds += outcome.seconds
        value.classNames = data.classNames
        if outcome.cancelled {
            let stop = outcome.stop ?? FitStop(epoch: 0, epochs: epochs, stepInEpoch: 0, stepsPerEpoch: 0)
            value.interruptions.append((stop: stop, epochRecords: value.model.history.count))
            let trained = outcome.history.count
            // Two lines, each fitted to the terminal (an 80-column one shows them whole).
            let width = context.terminalWidth
            context.print(TextWrap.wrapped("\(label): \(stop)", columns: width))
            context.print(TextWrap.wrapped("  the model is as after step \(NumberFormatting.grouped(outcome.stepsDone)) of \(NumberFormatting.grouped(outcome.totalSteps)) (\(trained) epoch\(trained == 1 ? "" : "s") finished)",
                                           columns: width))
            // In a script (or notebook) Ctrl-C stops the whole run; at the REPL
            // the prompt comes back with every variable intact.
            if !context.isInteractive {
                throw LangError(.interrupted, "interrupted", at: args.location,
                                remedy: "Ctrl-C stopped the training; the model is as after step \(outcome.stepsDone)")
            }
            context.cancellation.clear()
        } else if !context.quiet, let last = outcome.history.last {
            var line = "trained \(label) for \(epochs) epoch\(epochs == 1 ? "" : "s") (\(NumberFormatting.grouped(outcome.stepsDone)) steps) in \(formatSeconds(outcome.seconds)): loss \(Domain.fixed(Double(last.loss))), accuracy \(Domain.fixed(Double(last.accuracy), 3))"
            if let v = last.validation {
                line += "; validation loss \(Domain.fixed(v.loss)), accuracy \(Domain.fixed(v.accuracy, 3)), ECE \(Domain.fixed(v.expectedCalibrationError))"
            }
            context.print(line)
            // The grouping when members waited for each other (all at once, the default when memory allows, goes unsaid).
            if let g = outcome.memberGroups, g.size < g.members || !g.automatic { context.print("each step ran \(g)") }
        }
        return .null
    }

    static func formatSeconds(_ s: Double) -> String {
        s < 10 ? Domain.fixed(s, 2) + " s" : Domain.fixed(s, 1) + " s"
    }
}
