import Core
import Data
import Foundation
@testable import NN
import Tensor
import Uncertainty
import XCTest

final class TrainingTests: XCTestCase {
    func testFitReducesLossAndKeepsBackboneFrozenAndMembersDiverge() throws {
        let data = try syntheticData(count: 48)
        let base = try ViT(tinyConfig, seed: 3)
        let ens = try LoRAEnsemble(backbone: base, options: LoRAOptions(members: 3, rank: 2, seed: 4))
        let frozenBefore = ens.network.backbone.parameters().map { $0.data }
        var losses: [Float] = []
        try ens.fit(data, config: TrainConfig(epochs: 6, batchSize: 16, learningRate: 3e-3, seed: 1),
                    progress: { p in if p.endsEpoch { losses.append(Float(p.epochLoss!)) } }, cancel: nil)
        XCTAssertEqual(losses.count, 6)
        XCTAssertEqual(ens.history.map { $0.loss }, losses)
        XCTAssertLessThan(losses.last!, losses.first! * 0.8, "loss did not go down: \(losses)")
        for (b, a) in zip(frozenBefore, ens.network.backbone.parameters()) { XCTAssertEqual(b, a.data) }
        XCTAssertTrue(ens.network.backbone.parameters().allSatisfy { !$0.requiresGrad && $0.grad == nil })
        // members differ after training
        let p = try ens.predict(data)
        XCTAssertEqual([p.members, p.samples, p.classes], [3, 48, 3])
        let m0 = Array(p.values[0..<(48 * 3)]), m1 = Array(p.values[(48 * 3)..<(2 * 48 * 3)])
        XCTAssertGreaterThan(maxAbsDiff(m0, m1), 1e-3)
        let bq = ens.network.adapters[0][.q]!.b.data
        let per = bq.count / 3
        XCTAssertNotEqual(Array(bq[0..<per]), Array(bq[per..<(2 * per)]))
        XCTAssertGreaterThan(bq.map { abs($0) }.max()!, 0, "B never moved from 0")
    }

    func testSingleNetworkLearnsSyntheticTask() throws {
        let data = try syntheticData(count: 60)
        let model = SingleNetwork(training: try ViT(tinyConfig, seed: 2))
        let before = try model.predict(data).memberProbabilities().ensembleMean().accuracy(labels: data.labels)
        try model.fit(data, config: TrainConfig(epochs: 8, batchSize: 12, learningRate: 3e-3, warmupSteps: 2, seed: 3))
        let after = try model.predict(data).memberProbabilities().ensembleMean().accuracy(labels: data.labels)
        XCTAssertGreaterThan(after, 0.9, "accuracy \(before) -> \(after)")
        XCTAssertLessThan(model.history.last!.loss, model.history.first!.loss)
    }

    func testSameSeedSameNumbers() throws {
        let data = try syntheticData(count: 24)
        func run() throws -> ([Float], [[Float]]) {
            let ens = try LoRAEnsemble(backbone: ViT(tinyConfig, seed: 3), options: LoRAOptions(members: 2, rank: 2, seed: 4))
            try ens.fit(data, config: TrainConfig(epochs: 2, batchSize: 8, learningRate: 1e-3, seed: 9))
            return (ens.history.map { $0.loss }, ens.network.trainableParameters().map { $0.data })
        }
        let (h1, p1) = try run(), (h2, p2) = try run()
        XCTAssertEqual(h1, h2)
        XCTAssertEqual(p1, p2)
    }

    func testNonFiniteLossStopsAndRestoresLastGoodParameters() throws {
        var data = try syntheticData(count: 24)
        for i in (20 * 64)..<(21 * 64) { data.images[i] = .nan }     // sample 20 sits in the third batch of 8
        let model = SingleNetwork(training: try ViT(tinyConfig, seed: 2))
        var snapshots: [[[Float]]] = []
        do {
            try model.fit(data, config: TrainConfig(epochs: 1, batchSize: 8, learningRate: 1e-3, seed: 1, shuffle: false),
                          progress: { _ in snapshots.append(model.network.parameters().map { $0.data }) }, cancel: nil)
            XCTFail("expected a non-finite loss error")
        } catch let e as NNError {
            guard case .nonFiniteLoss(let epoch, let step, _) = e else { return XCTFail("wrong error \(e)") }
            XCTAssertEqual(epoch, 0); XCTAssertEqual(step, 2)
            XCTAssertTrue(e.description.contains("restored"))
        }
        XCTAssertEqual(snapshots.count, 2)
        // The parameters that last gave a finite loss: those after the first step.
        XCTAssertEqual(model.network.parameters().map { $0.data }, snapshots[0])
        XCTAssertTrue(model.network.parameters().allSatisfy { $0.data.allSatisfy { $0.isFinite } })
    }

    func testCancellationStopsBetweenSteps() throws {
        let data = try syntheticData(count: 40)
        let ens = try LoRAEnsemble(backbone: ViT(tinyConfig, seed: 3), options: LoRAOptions(members: 2, rank: 2))
        let flag = CancellationFlag()
        var seen: [Int] = []
        let out = try ens.fit(data, config: TrainConfig(epochs: 3, batchSize: 8),
                              progress: { p in seen.append(p.stepsDone); if p.stepsDone == 3 { flag.set() } }, cancel: flag)
        XCTAssertTrue(out.cancelled)
        XCTAssertEqual(out.stepsDone, 3)
        XCTAssertEqual(seen, [1, 2, 3])
        XCTAssertEqual(out.totalSteps, 15)
        XCTAssertTrue(ens.network.trainableParameters().allSatisfy { $0.data.allSatisfy { $0.isFinite } })
        _ = try ens.predict(data)
    }

    /// Ctrl-C during the per-epoch validation stops at the next forward batch
    /// (not when the validation ends, nor before the next step): the fit is
    /// recorded as stopped in that epoch, after its last step, during
    /// validation; the model is as after that step and the history as before
    /// the validation (the epoch has no record).
    func testCancellationStopsTheValidationAtTheNextForwardBatch() throws {
        let data = try syntheticData(count: 16), val = try syntheticData(count: 40, seed: 5)
        func model() throws -> LoRAEnsemble {
            try LoRAEnsemble(backbone: ViT(tinyConfig, seed: 3), options: LoRAOptions(members: 2, rank: 2))
        }
        var config = TrainConfig(epochs: 3, batchSize: 8, learningRate: 1e-3, seed: 4)
        // The reference: the same training without validation, stopped after step 4 (the end of epoch 2).
        let reference = try model(), stopReference = CancellationFlag()
        try reference.fit(data, config: config, progress: { if $0.stepsDone == 4 { stopReference.set() } }, cancel: stopReference)
        config.validation = val
        // Batches of 256 over 40 samples: one forward batch per validation, 2 members x 40 samples.
        let ens = try model(), flag = CancellationFlag()
        var batches: [Int] = [], steps: [Int] = [], validating: [Double] = []
        // Ctrl-C pressed in the second epoch's validation, at its first forward batch.
        let out = try EvaluationWatch.run(EvaluationWatch { n in
            batches.append(n)
            if batches.count == 2 { flag.set() }
        }) {
            try ens.fit(data, config: config, progress: { p in
                if let v = p.validation { validating.append(v) } else { steps.append(p.stepsDone) }
            }, cancel: flag)
        }
        XCTAssertTrue(out.cancelled)
        XCTAssertEqual(batches, [80, 80], "stopped at the forward batch Ctrl-C came in")
        XCTAssertEqual(steps, [1, 2, 3], "the step before the validation reports no progress")
        // The first validation's one forward batch (2 members x 40 samples) is all of it; the second stopped before reporting.
        XCTAssertEqual(validating, [1])
        XCTAssertEqual(out.stepsDone, 4)
        XCTAssertEqual(out.stop, FitStop(epoch: 1, epochs: 3, stepInEpoch: 2, stepsPerEpoch: 2, duringValidation: true))
        XCTAssertEqual(out.stop?.description, "interrupted in epoch 2 of 3 at step 2 of 2, during validation")
        XCTAssertEqual(out.history.count, 1)
        XCTAssertEqual(ens.history.count, 1)
        XCTAssertNotNil(ens.history[0].validation)
        XCTAssertEqual(ens.network.trainableParameters().map { $0.data }, reference.network.trainableParameters().map { $0.data },
                       "the model is as after the epoch's last step")
        // Without Ctrl-C every epoch is validated; a watcher installed outside still sees every batch.
        let early = try model(), flag2 = CancellationFlag()
        var seen = 0
        let out2 = try EvaluationWatch.run(EvaluationWatch { _ in seen += 1 }) {
            try early.fit(data, config: config, progress: nil, cancel: flag2)
        }
        XCTAssertFalse(out2.cancelled)
        XCTAssertEqual(seen, 3)
        XCTAssertEqual(early.history.count, 3)
    }

    /// A step that runs its members group by group stops between two groups
    /// at Ctrl-C (such a step of a big model can take long): the parameters
    /// stay those of the last finished step, no gradient is left, and the
    /// fit is recorded as stopped before that step.
    func testCancellationStopsAStepBetweenMemberGroups() throws {
        let data = try syntheticData(count: 16)
        let ens = try LoRAEnsemble(backbone: ViT(tinyConfig, seed: 3), options: LoRAOptions(members: 3, rank: 2))
        var config = TrainConfig(epochs: 2, batchSize: 8, learningRate: 1e-3, seed: 4)
        config.membersAtOnce = 1
        let flag = CancellationFlag()
        var steps: [Int] = [], looks = 0
        var before: [[Float]] = []
        // Ctrl-C comes in during the second step's first group (a watcher sets the flag).
        let out = try EvaluationWatch.run(EvaluationWatch { n in
            XCTAssertEqual(n, 0)
            looks += 1
            if looks == 3 { flag.set() }
        }) {
            try ens.fit(data, config: config, progress: { p in
                steps.append(p.stepsDone)
                before = ens.network.trainableParameters().map { $0.data }
            }, cancel: flag)
        }
        XCTAssertTrue(out.cancelled)
        XCTAssertEqual(looks, 3, "asked before the second and third group of each step")
        XCTAssertEqual(steps, [1])
        XCTAssertEqual(out.stepsDone, 1)
        XCTAssertEqual(out.stop, FitStop(epoch: 0, epochs: 2, stepInEpoch: 1, stepsPerEpoch: 2))
        XCTAssertEqual(ens.network.trainableParameters().map { $0.data }, before, "the parameters are the first step's")
        XCTAssertTrue(ens.network.trainableParameters().allSatisfy { $0.grad == nil })
    }

    func testProgressReportsRatesAndETA() throws {
        let data = try syntheticData(count: 16)
        let model = try LoRAEnsemble(backbone: ViT(tinyConfig, seed: 3), options: LoRAOptions(members: 2, rank: 2))
        var last: ProgressEvent?
        try model.fit(data, config: TrainConfig(epochs: 2, batchSize: 8), progress: { last = $0 }, cancel: nil)
        let p = try XCTUnwrap(last)
        XCTAssertEqual(p.stepsDone, 4); XCTAssertEqual(p.steps * p.epochs, 4); XCTAssertEqual(p.eta, 0)
        XCTAssertEqual(p.fractionDone, 1)
        XCTAssertGreaterThan(try XCTUnwrap(p.samplesPerSecond), 0)
        XCTAssertTrue(p.endsEpoch)
        XCTAssertEqual(p.learningRate, Double(LRSchedule.warmupCosine(base: 1e-4, warmupSteps: 0, totalSteps: 4).learningRate(atStep: 3)))
    }

    func testUserErrorsAreClear() throws {
        let data = try syntheticData(count: 8, size: 12)
        let model = SingleNetwork(training: try ViT(tinyConfig, seed: 2))
        XCTAssertThrowsError(try model.fit(data)) { e in
            XCTAssertTrue("\(e)".contains("12x12"), "\(e)")
        }
        XCTAssertThrowsError(try ViT(ViTConfig(image: 10, patch: 4, dim: 16, depth: 1, heads: 2, classes: 3), seed: 0)) { e in
            XCTAssertTrue("\(e)".contains("patch"), "\(e)")
        }
        XCTAssertThrowsError(try LoRAEnsemble(backbone: ViT(tinyConfig, seed: 0), options: LoRAOptions(rank: 0)))
        XCTAssertThrowsError(try model.fit(try syntheticData(count: 8), config: TrainConfig(learningRate: -1)))
    }
}

final class OptionTests: XCTestCase {
    func testAugmentationIsSeededAndChangesTraining() throws {
        let data = try syntheticData(count: 16)
        func run(_ aug: Augmentation?) throws -> [Float] {
            let m = try LoRAEnsemble(backbone: ViT(tinyConfig, seed: 3), options: LoRAOptions(members: 2, rank: 2))
            try m.fit(data, config: TrainConfig(epochs: 1, batchSize: 8, learningRate: 1e-3, seed: 2, augmentation: aug))
            return m.history.map { $0.loss }
        }
        let a = try run(Augmentation(horizontalFlip: 1, maxRotation: 0, maxShift: 0))
        XCTAssertEqual(a, try run(Augmentation(horizontalFlip: 1, maxRotation: 0, maxShift: 0)))
        XCTAssertNotEqual(a, try run(nil))
        XCTAssertThrowsError(try run(Augmentation(horizontalFlip: 2)))
    }

    func testLoRAInitNamesAndDistributions() throws {
        XCTAssertEqual(try LoRAInit.named("xavier"), .xavierUniform(gain: 10))
        XCTAssertEqual(try LoRAInit.named("gaussian"), .gaussian(std: 0.02))
        XCTAssertEqual(try LoRAInit.named("kaiming"), .kaimingUniform)
        XCTAssertThrowsError(try LoRAInit.named("zeros")) { e in XCTAssertTrue("\(e)".contains("xavier")) }
        var rng = RNG(seed: 1)
        let x = LoRAInit.xavierUniform(gain: 10).sample(rank: 4, inFeatures: 60, rng: &rng)
        let bound: Float = 10 * (6 / Float(64)).squareRoot()
        XCTAssertLessThanOrEqual(x.map { abs($0) }.max()!, bound)
        XCTAssertGreaterThan(x.map { abs($0) }.max()!, 0.9 * bound)
        let g = LoRAInit.gaussian(std: 0.02).sample(rank: 50, inFeatures: 100, rng: &rng)
        let mean = g.reduce(0, +) / Float(g.count)
        let sd = (g.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(g.count)).squareRoot()
        XCTAssertEqual(sd, 0.02, accuracy: 0.001)
        let k = LoRAInit.kaimingUniform.sample(rank: 4, inFeatures: 100, rng: &rng)
        XCTAssertLessThanOrEqual(k.map { abs($0) }.max()!, 0.1)
    }

    func testAlphaScalesTheUpdate() throws {
        let base = try ViT(tinyConfig, seed: 4)
        var rng = RNG(seed: 1)
        let x = (0..<(2 * 64)).map { _ in rng.uniform() }
        func logits(_ alpha: Float?, bScale: Float) throws -> [Float] {
            let net = try LoRAEnsembleNetwork(backbone: base, options: LoRAOptions(members: 1, rank: 2, alpha: alpha, copyHead: true, seed: 3))
            randomizeB(net, seed: 5, std: 0.3 * bScale)
            return try Tensor.noGrad { try net.memberLogits(x, count: 2, context: ForwardContext()) }.data
        }
        // alpha / r = 3 with B equals scale 1 with 3 B
        XCTAssertLessThan(maxAbsDiff(try logits(6, bScale: 1), try logits(nil, bScale: 3)), 1e-5)
    }
}
