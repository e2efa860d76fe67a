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
        let probs = try MemberProbabilities(members: p.members, samples: p.samples, classes: p.classes, values: p.values)
        let mean = probs.ensembleMean()
        return ValidationMetrics(loss: try mean.negativeLogLikelihood(labels: data.labels),
                                 accuracy: try mean.accuracy(labels: data.labels),
                                 expectedCalibrationError: try mean.expectedCalibrationError(labels: data.labels),
                                 data: data.name, seconds: now() - start)
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
                    validationPredict: ((Dataset) throws -> MemberPredictions)? = nil,
                    onEpochEnd: ((Int) throws -> Void)? = nil,
                    onStepEnd: ((Int, Int) throws -> Void)? = nil) throws -> FitOutcome {
        try config.validate()
        MemoryTuning.keepFreedBuffers()
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
        var orderRNG = RNG(seed: config.seed)
        var augRNG = orderRNG.fork()
        var dataRNG = DataRNG(seed: config.seed &+ 0x5EED_A0A0)
        let ctx = ForwardContext(training: true, dropKey: dropKey, rng: orderRNG.fork())
        let groups = try MemberGroupPlan.make(for: network, batch: bs, requested: config.membersAtOnce)
        var history: [EpochRecord] = []
        var lastGood: [[Float]] = params.map { $0.data }
        var step = 0
        let start = now()
        var samplesSeen = 0
        for epoch in 0..<config.epochs {
            let order = config.shuffle ? orderRNG.permutation(n) : Array(0..<n)
            var lossSum: Double = 0, correct = 0, seen = 0
            let epochStart = now()
            for bi in 0..<stepsPerEpoch {
                if cancel?.isCancelled == true {
                    return FitOutcome(stepsDone: step, totalSteps: total, cancelled: true, seconds: now() - start, history: history,
                                      stop: FitStop(epoch: epoch, epochs: config.epochs, stepInEpoch: bi, stepsPerEpoch: stepsPerEpoch,
                                                    member: member, memberCount: memberCount), memberGroups: groups)
                }
                let idx = Array(order[(bi * bs)..<min(n, (bi + 1) * bs)])
                var input: ModelInput, labels: [Int]
                if let a = config.augmentation, !data.isText {
                    let (images, l) = data.augmentedBatch(idx, a, rng: &dataRNG)
                    (input, labels) = (.images(images, count: idx.count), l)
                } else {
                    (input, labels) = data.modelInputs(idx)
                }
                if let aug = config.augmentHook, case .images(var images, let count) = input {
                    let before = images.count
                    aug(&images, idx.count, &augRNG)
                    guard images.count == before else { throw NNError.dataMismatch("the augmentation changed the batch from \(before) to \(images.count) pixel values; it must keep the image size") }
                    input = .images(images, count: count)
                }
                for p in params { p.zeroGrad() }
                // Forward + backward, all members at once or group by group.
                let pass = try MemberGroupStep.run(network, input: input, labels: labels, plan: groups, context: ctx)
                let (lv, logits) = (pass.loss, pass.logits)                  // logits [M, B, C]
                if !lv.isFinite {
                    for (p, d) in zip(params, lastGood) { p.data = d; p.grad = nil }
                    throw NNError.nonFiniteLoss(epoch: epoch, step: step, value: lv)
                }
                if let c = config.clipNorm {
                    let norm = clipGradNorm(params, maxNorm: c)
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
                let acc = ensembleAccuracy(logits, labels: labels)
                correct += acc.correct; seen += acc.total
                lossSum += Double(lv) * Double(idx.count)
                let elapsed = now() - start
                let sps = Double(samplesSeen) / max(elapsed, 1e-9)
                let last = bi == stepsPerEpoch - 1
                var validation: ValidationMetrics? = nil
                if last {
                    let trainSeconds = now() - epochStart
                    if let v = config.validation {
                        validation = try validate(v, predict: validationPredict ?? { try Evaluation.predict(network, data: $0, batchSize: 256) })
                    }
                    history.append(EpochRecord(epoch: epoch, member: member, loss: Float(lossSum / Double(seen)),
                                               accuracy: Float(correct) / Float(seen), seconds: trainSeconds, validation: validation))
                }
                progress?(TrainProgress(step: step, totalSteps: total, epoch: epoch, epochs: config.epochs,
                                        member: member, memberCount: memberCount, loss: lv,
                                        accuracy: Float(acc.correct) / Float(acc.total), learningRate: lr,
                                        samplesPerSecond: sps,
                                        eta: Double(total - step) * elapsed / Double(step),
                                        endOfEpoch: last, epochLoss: Float(lossSum / Double(seen)),
                                        epochAccuracy: Float(correct) / Float(seen), validation: validation))
            }
            try onEpochEnd?(epoch)
        }
        return FitOutcome(stepsDone: step, totalSteps: total, cancelled: false, seconds: now() - start, history: history,
                          memberGroups: groups)
    }
}
