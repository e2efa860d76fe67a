import Core
import Data
import Foundation
import Dispatch
import Tensor
import Uncertainty

/// The training loop shared by every model kind: shuffled mini-batches, the
/// mean of the members' cross-entropies, global-norm clipping, AdamW with a
/// learning-rate schedule, progress after every step, cancellation between
/// steps, and a stop with restored parameters on a NaN or infinite loss.
enum Trainer {
    /// lr for (step, totalSteps) when the default warm-up + cosine does not apply.
    typealias Schedule = (Int, Int) -> Float

    static func checkData(_ data: Dataset, _ a: Architecture) throws {
        guard data.count > 0 else { throw NNError.dataMismatch("the data set '\(data.name)' is empty") }
        let c = a
        switch a.input {
        case .images(let ch, let h, let w, _):
            guard !data.isText else { throw NNError.dataMismatch("'\(data.name)': " + a.input.mismatch) }
            guard data.channels == ch, data.height == h, data.width == w else {
                throw NNError.dataMismatch("data set '\(data.name)' has images \(data.channels)x\(data.height)x\(data.width) but the model expects \(ch)x\(h)x\(w); resize the data or build the model for this image size")
            }
        case .text:
            guard data.isText else { throw NNError.dataMismatch("'\(data.name)': " + a.input.mismatch) }
        }
        if let bad = data.labels.first(where: { $0 < 0 || $0 >= c.classes }) {
            throw NNError.dataMismatch("data set '\(data.name)' has label \(bad) but the model has \(c.classes) classes; build the model with classes: \(max(bad + 1, data.classNames.count))")
        }
    }

    /// Validation data must be data the model reads, with labels it knows.
    static func checkValidation(_ v: Dataset, training: Dataset, _ a: Architecture) throws {
        do {
            try checkData(v, a)
        } catch NNError.dataMismatch(let m) {
            throw NNError.dataMismatch("validation: " + m)
        }
    }

    /// Loss (NLL), accuracy and ECE of the mean prediction on `data`.
    static func validate(_ data: Dataset, predict: (Dataset) throws -> MemberPredictions) throws -> ValidationMetrics {
        let start = now()
        let p = try predict(data)
        let probs = try p.memberProbabilities()
        let mean = probs.ensembleMean()
        return ValidationMetrics(loss: try mean.negativeLogLikelihood(labels: data.labels),
                                 accuracy: try mean.accuracy(labels: data.labels),
                                 expectedCalibrationError: try mean.expectedCalibrationError(labels: data.labels),
                                 data: data.name, seconds: now() - start)
    }

    /// Ctrl-C (`cancel`) looked at after every forward batch of the validation pass.
    struct ValidationStopped: Error {}

    /// `validate`, watched after every forward batch: `progress` gets the part
    /// done (member-samples done of `work`), and the validation stops with
    /// `ValidationStopped` at the first batch after `cancel` is set (nil: runs
    /// to the end, as ranks of an MPI run must, whose stop is agreed between steps).
    static func validateWatched(_ data: Dataset, predict: (Dataset) throws -> MemberPredictions, work: Int,
                                cancel: CancellationFlag?, progress: ((Double) -> Void)?) throws -> ValidationMetrics {
        if cancel?.isSet == true { throw ValidationStopped() }
        guard cancel != nil || progress != nil else { return try validate(data, predict: predict) }
        var done = 0
        return try EvaluationWatch.adding({ n in
            if cancel?.isSet == true { throw ValidationStopped() }
            done += n
            progress?(min(1, Double(done) / Double(max(1, work))))
        }) {
            try validate(data, predict: predict)
        }
    }

    /// Whether a step stops before its next member group: alone only (under
    /// MPI the ranks stop together between steps). The thread's watcher, if
    /// any, is told first (0 member-samples), so it may stop the work here too.
    static func stopsBetweenGroups(_ parallel: ParallelStep, _ cancel: CancellationFlag?) -> Bool {
        guard parallel.stopsAlone, let cancel else { return false }
        try? EvaluationWatch.batchDone(0)
        return cancel.isSet
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

    /// Accuracy of the members' mean probabilities on one batch: logits [M, B, C].
    static func ensembleAccuracy(_ logits: Tensor, labels: [Int]) -> (correct: Int, total: Int) {
        let m = logits.shape[0], b = logits.shape[1], c = logits.shape[2]
        var correct = 0
        let z = logits.data
        var mean = [Float](repeating: 0, count: c)
        for i in 0..<b {
            for j in 0..<c { mean[j] = 0 }
            for mi in 0..<m {
                let base = (mi * b + i) * c
                var mx = -Float.infinity
                for j in 0..<c { mx = max(mx, z[base + j]) }
                var s: Float = 0
                for j in 0..<c { s += expf(z[base + j] - mx) }
                for j in 0..<c { mean[j] += expf(z[base + j] - mx) / s }
            }
            var best = 0
            for j in 1..<c where mean[j] > mean[best] { best = j }
            if best == labels[i] { correct += 1 }
        }
        return (correct, b)
    }

    static func fit(network: MemberNetwork, data: Dataset, config: TrainConfig,
                    schedule: Schedule? = nil, dropKey: Float = 0,
                    member: Int = 0, memberCount: Int = 1,
                    progress: ProgressHandler?, cancel: CancellationFlag?,
                    validationPredict: ((Dataset) throws -> MemberPredictions)? = nil, validationPasses: Int? = nil,
                    onEpochEnd: ((Int) throws -> Void)? = nil,
                    onStepEnd: ((Int, Int) throws -> Void)? = nil,
                    parallel: ParallelStep? = nil) throws -> FitOutcome {
        try config.validate()
        Tensor.keepFreedMemory()
        let vc = network.architecture
        try checkData(data, vc)
        if let v = config.validation { try checkValidation(v, training: data, vc) }
        let params = network.trainableParameters()
        guard !params.isEmpty else { throw NNError.invalidConfiguration("the model has no trainable parameters; unfreeze something before fitting") }
        let n = data.count
        let bs = min(config.batchSize, n)
        let stepsPerEpoch = (n + bs - 1) / bs
        let total = stepsPerEpoch * config.epochs
        let warm = config.warmup(totalSteps: total)
        let lrAt: Schedule = schedule ?? { step, tot in
            LRSchedule.warmupCosine(base: config.learningRate, warmupSteps: warm, totalSteps: tot).learningRate(atStep: step)
        }
        let opt = AdamW(learningRate: config.learningRate, weightDecay: config.weightDecay)
        var orderRNG = RNG(seed: config.seed, stream: .trainingOrder)
        var augmentationRNG = RNG(seed: config.seed, stream: .trainingAugmentation)
        let ctx = ForwardContext(training: true, dropKey: dropKey, rng: RNG(seed: config.seed, stream: .trainingDropout))
        let m = network.members
        let parallel = try parallel ?? ParallelStep.whole(network, config: config, kind: "model of this kind")
        let groups = try MemberGroupPlan.make(for: network, batch: bs, requested: config.membersAtOnce)
        var history: [EpochRecord] = []
        var lastGood: [[Float]] = params.map { $0.data }
        var step = 0
        let start = now()
        var samplesSeen = 0
        for epoch in 0..<config.epochs {
            let order = config.shuffle ? orderRNG.permutation(n) : Array(0..<n)
            var lossSum: Double = 0, correctSum = 0, seen = 0
            let epochStart = now()
            for bi in 0..<stepsPerEpoch {
                if parallel.shouldStop(cancel) {
                    return FitOutcome(stepsDone: step, totalSteps: total, cancelled: true, seconds: now() - start, history: history,
                                      stop: FitStop(epoch: epoch, epochs: config.epochs, stepInEpoch: bi, stepsPerEpoch: stepsPerEpoch,
                                                    member: member, memberCount: memberCount), memberGroups: groups)
                }
                let idx = Array(order[(bi * bs)..<min(n, (bi + 1) * bs)])
                var input: ModelInput, labels: [Int]
                if let a = config.augmentation, !data.isText {
                    let (images, l) = data.augmentedBatch(idx, a, rng: &augmentationRNG)
                    (input, labels) = (.images(images, count: idx.count), l)
                } else {
                    (input, labels) = data.modelInputs(idx)
                }
                // Under MPI: this rank's rows (data-parallel) or members (member-parallel).
                let rows = parallel.localRows(idx.count)
                let local = rows.count == idx.count ? labels : Array(labels[rows])
                if rows.count < idx.count { input = input.samples(rows) }
                var lv: Float = 0, correct = 0
                for p in params { p.zeroGrad() }
                if !rows.isEmpty {
                    // Forward + backward, all members at once or group by group
                    // (a finite loss only: a non-finite one stops before backward).
                    // Alone, Ctrl-C may also stop between two member groups (the parameters are still the last step's).
                    let pass = try MemberGroupStep.run(network, input: input, labels: local, plan: groups, context: ctx,
                                                       meanOver: parallel.lossDivisor(localMembers: m, batch: idx.count),
                                                       stop: { stopsBetweenGroups(parallel, cancel) })
                    if pass.stopped {
                        for p in params { p.grad = nil }
                        return FitOutcome(stepsDone: step, totalSteps: total, cancelled: true, seconds: now() - start, history: history,
                                          stop: FitStop(epoch: epoch, epochs: config.epochs, stepInEpoch: bi, stepsPerEpoch: stepsPerEpoch,
                                                        member: member, memberCount: memberCount), memberGroups: groups)
                    }
                    lv = pass.loss                                           // logits [M, B, C]
                    correct = ensembleAccuracy(pass.logits, labels: local).correct
                    if parallel.gathersLogits {
                        (lv, correct) = try parallel.gatheredLoss(pass.logits, labels: labels, classes: vc.classes, stop: cancel?.isSet == true)
                    }
                }
                if !parallel.sumsGradients && !lv.isFinite {
                    for (p, d) in zip(params, lastGood) { p.data = d; p.grad = nil }
                    throw NNError.nonFiniteLoss(epoch: epoch, step: step, value: lv)
                }
                if parallel.sumsGradients {
                    (lv, correct) = try parallel.sumGradients(params, loss: lv, correct: correct, stop: cancel?.isSet == true)
                    if !lv.isFinite {
                        for (p, d) in zip(params, lastGood) { p.data = d; p.grad = nil }
                        throw NNError.nonFiniteLoss(epoch: epoch, step: step, value: lv)
                    }
                }
                if let c = config.clipNorm {
                    let norm = try parallel.clip(params, maxNorm: c)
                    if !norm.isFinite {
                        for p in params { p.grad = nil }
                        throw NNError.nonFiniteGradient(epoch: epoch, step: step)
                    }
                }
                for (i, p) in params.enumerated() { lastGood[i] = p.data }
                let lr = lrAt(step, total)
                opt.learningRate = lr
                try opt.step(params)
                for p in params { p.grad = nil }
                step += 1
                try onStepEnd?(step, total)
                samplesSeen += idx.count
                let acc = (correct: correct, total: idx.count)
                correctSum += acc.correct; seen += acc.total
                lossSum += Double(lv) * Double(idx.count)
                let elapsed = now() - start
                let sps = Double(samplesSeen) / max(elapsed, 1e-9)
                let last = bi == stepsPerEpoch - 1
                // Single precision, as the history records them.
                let event = ProgressEvent(epoch: epoch + 1, epochs: config.epochs, step: bi + 1, steps: stepsPerEpoch,
                                          member: member, members: memberCount,
                                          loss: Double(lv), accuracy: Double(Float(acc.correct) / Float(acc.total)),
                                          epochLoss: Double(Float(lossSum / Double(seen))),
                                          epochAccuracy: Double(Float(correctSum) / Float(seen)),
                                          learningRate: Double(lr), samplesPerSecond: sps,
                                          eta: Double(total - step) * elapsed / Double(step),
                                          overall: (Double(member) + Double(step) / Double(total)) / Double(max(1, memberCount)))
                var validation: ValidationMetrics? = nil
                if last {
                    let trainSeconds = now() - epochStart
                    if let v = config.validation {
                        let predict = validationPredict ?? { try Evaluation.predict(network, data: $0, batchSize: 256) }
                        // Progress through the validation: the epoch's last step's line, "validating 40%".
                        let shown: ((Double) -> Void)? = progress.map { handler in
                            { part in
                                var e = event
                                e.validation = part
                                handler(e)
                            }
                        }
                        do {
                            validation = try validateWatched(v, predict: predict, work: (validationPasses ?? m) * v.count,
                                                             cancel: parallel.stopsAlone ? cancel : nil, progress: shown)
                        } catch is ValidationStopped {
                            // The model is as after this step; the epoch gets no record.
                            return FitOutcome(stepsDone: step, totalSteps: total, cancelled: true, seconds: now() - start, history: history,
                                              stop: FitStop(epoch: epoch, epochs: config.epochs, stepInEpoch: stepsPerEpoch, stepsPerEpoch: stepsPerEpoch,
                                                            member: member, memberCount: memberCount, duringValidation: true), memberGroups: groups)
                        }
                    }
                    history.append(EpochRecord(epoch: epoch, member: member, loss: Float(lossSum / Double(seen)),
                                               accuracy: Float(correctSum) / Float(seen), seconds: trainSeconds, validation: validation))
                }
                progress?(event)
            }
            try onEpochEnd?(epoch)
        }
        return FitOutcome(stepsDone: step, totalSteps: total, cancelled: false, seconds: now() - start, history: history,
                          memberGroups: groups)
    }
}
