import Data
import Foundation
import NN
import Tensor
import XCTest

/// Member groups: a LoRA-Ensemble step run a few members at a time must give
/// the gradients and the updated parameters of the step that runs them all at
/// once. Per member the operations are the same (the frozen products over
/// fewer rows, the rank-r terms, attention, the heads), and the loss of each
/// group is its sum divided by the whole batch's members x samples, so every
/// row's gradient is the all-at-once one. Tolerance: every gradient tensor
/// within 1e-5 of its largest magnitude, the loss within 1e-6 relative (it is
/// summed group by group). Where the products are order-identical for any row
/// count (the tiny BERT here: OpenBLAS picks the same kernels) the results
/// are bit for bit the same for every grouping, and the tests say so; on the
/// tiny ViT OpenBLAS's kernels for different row counts round differently
/// (differences of a few 1e-8 were seen).
final class MemberGroupTests: XCTestCase {
    var tinyBertFolder: String { Bundle.module.bundleURL.appendingPathComponent("Fixtures/tiny-bert").path }

    static let texts = ["wheat exports rose", "corn", "the grain board said prices fell sharply this week", "",
                        "maize and sorghum", "rain"]

    /// A 5-member ensemble (members do not divide evenly into 2 or 3) on the
    /// tiny BERT with adapters on layer 1 only, so layer 0 is the shared prefix.
    func bertEnsemble(members: Int = 5) throws -> LoRAEnsembleNetwork {
        let bert = try BertFiles.load(tinyBertFolder, classes: 3, maxTokens: 16)
        let net = try LoRAEnsembleNetwork(backbone: bert, options: LoRAOptions(members: members, rank: 2, seed: 4,
                                                                               layers: 1..<bert.blocks.count))
        randomizeB(net, seed: 9)
        return net
    }

    func vitEnsemble(members: Int = 5) throws -> LoRAEnsembleNetwork {
        let net = try LoRAEnsembleNetwork(backbone: try ViT(tinyConfig, seed: 1), options: LoRAOptions(members: members, rank: 2, seed: 4))
        randomizeB(net, seed: 9)
        return net
    }

    /// Gradients (by parameter) and loss of one step with `plan`.
    func step(_ net: LoRAEnsembleNetwork, _ input: ModelInput, labels: [Int], plan: MemberGroupPlan?) throws -> (grads: [[Float]], loss: Float, logits: [Float]) {
        let params = net.trainableParameters()
        for p in params { p.zeroGrad() }
        let out = try MemberGroupStep.run(net, input: input, labels: labels, plan: plan, context: ForwardContext(training: true))
        return (params.map { $0.grad?.data ?? [] }, out.loss, out.logits.data)
    }

    func checkGroupsMatchAllAtOnce(_ net: LoRAEnsembleNetwork, _ input: ModelInput, labels: [Int], exact: Bool) throws {
        let m = net.members
        // The reference: every member in one pass through the network's own memberLogits.
        let all = try step(net, input, labels: labels, plan: nil)
        XCTAssertTrue(all.grads.allSatisfy { !$0.isEmpty && $0.contains { $0 != 0 } }, "every trainable tensor gets a gradient")
        for k in [1, 2, 3, m] {
            let plan = MemberGroupPlan(members: m, size: k, automatic: false)
            let g = try step(net, input, labels: labels, plan: plan)
            for (i, (a, b)) in zip(all.grads, g.grads).enumerated() {
                let scale = a.map(abs).max() ?? 0
                XCTAssertLessThanOrEqual(maxAbsDiff(a, b), 1e-5 * scale, "groups of \(k): gradient of parameter \(i)")
                if exact { XCTAssertEqual(a, b, "groups of \(k): gradient of parameter \(i) is not bit for bit the same") }
            }
            XCTAssertLessThanOrEqual(maxAbsDiff(g.logits, all.logits), 1e-5 * (all.logits.map(abs).max() ?? 0), "groups of \(k): logits")
            if exact { XCTAssertEqual(g.logits, all.logits, "groups of \(k): logits") }
            XCTAssertEqual(g.loss, all.loss, accuracy: 1e-6 * abs(all.loss), "groups of \(k): loss")
            // The same grouping twice: the same bits.
            let again = try step(net, input, labels: labels, plan: plan)
            XCTAssertEqual(again.grads, g.grads, "groups of \(k) twice")
            XCTAssertEqual(again.loss, g.loss)
        }
    }

    func testGroupsGiveTheAllAtOnceGradientsOnText() throws {
        let net = try bertEnsemble()
        try checkGroupsMatchAllAtOnce(net, .texts(Self.texts), labels: [0, 1, 2, 0, 1, 2], exact: true)
        XCTAssertGreaterThan(net.prefixCache.count, 0, "the shared layer's output came from the prefix cache")
    }

    func testGroupsGiveTheAllAtOnceGradientsOnImages() throws {
        let data = try syntheticData(count: 6)
        let (input, labels) = data.modelInputs(Array(0..<6))
        try checkGroupsMatchAllAtOnce(try vitEnsemble(), input, labels: labels, exact: false)
    }

    /// Whole fits: the same seed gives the same parameters and history whatever the grouping.
    func testFitsWithAnyGroupingEndWithTheSameParameters() throws {
        let texts = Self.texts.map { $0.isEmpty ? "ok" : $0 }
        let data = try Dataset(name: "texts", texts: texts + texts.reversed(), labels: [0, 1, 2, 0, 1, 2, 2, 1, 0, 2, 1, 0],
                               classNames: ["a", "b", "c"])
        var reference: (params: [[Float]], history: [EpochRecord])?
        for k in [5, 1, 2, 3] {
            let ens = try LoRAEnsemble(backbone: try BertFiles.load(tinyBertFolder, classes: 3, maxTokens: 16),
                                       options: LoRAOptions(members: 5, rank: 2, seed: 4, layers: 1..<2))
            var config = TrainConfig(epochs: 2, batchSize: 4, learningRate: 1e-2, seed: 3)
            config.membersAtOnce = k
            let out = try ens.fit(data, config: config)
            XCTAssertEqual(out.memberGroups, MemberGroupPlan(members: 5, size: k, automatic: false))
            let params = ens.network.trainableParameters().map { $0.data }
            guard let ref = reference else { reference = (params, ens.history); continue }
            XCTAssertEqual(params, ref.params, "groups of \(k): parameters after the fit")
            for (a, b) in zip(ens.history, ref.history) {
                XCTAssertEqual(a.loss, b.loss, accuracy: 1e-6 * abs(b.loss), "groups of \(k): epoch loss")
                XCTAssertEqual(a.accuracy, b.accuracy)
            }
        }
    }

    /// On the ViT the fits agree within tolerance: AdamW divides by the root of
    /// the second moment, so a gradient difference of 1e-6 relative moves a
    /// parameter by at most about 1e-6 x lr per step; 1e-4 x lr x steps is allowed.
    func testViTFitsWithAnyGroupingAgreeWithinTolerance() throws {
        let data = try syntheticData(count: 24)
        let lr: Float = 1e-2
        var reference: [[Float]]?
        for k in [5, 2, 3] {
            let ens = try LoRAEnsemble(backbone: try ViT(tinyConfig, seed: 1), options: LoRAOptions(members: 5, rank: 2, seed: 4))
            var config = TrainConfig(epochs: 1, batchSize: 8, learningRate: lr, seed: 3)
            config.membersAtOnce = k
            let out = try ens.fit(data, config: config)
            let params = ens.network.trainableParameters().map { $0.data }
            guard let ref = reference else { reference = params; continue }
            for (a, b) in zip(params, ref) {
                XCTAssertLessThanOrEqual(maxAbsDiff(a, b), 1e-4 * lr * Float(out.stepsDone), "groups of \(k)")
            }
        }
    }

    /// The automatic choice: as many members as fit in half the available memory.
    func testAutomaticGroupingFollowsTheMemoryBudget() throws {
        let net = try vitEnsemble(members: 8)
        let per = net.activationBytesPerMember(batch: 32)
        XCTAssertGreaterThan(per, 0)
        defer { unsetenv("LORA_MEMORY_LIMIT") }
        // A budget (half the limit) for 3.5 members: groups of 3.
        setenv("LORA_MEMORY_LIMIT", "\(Int(7 * per))", 1)
        var plan = try XCTUnwrap(try MemberGroupPlan.make(for: net, batch: 32, requested: nil))
        XCTAssertEqual(plan.size, 3)
        XCTAssertEqual(plan.groups, 3)
        XCTAssertTrue(plan.automatic)
        XCTAssertTrue(plan.description.hasPrefix("8 members in 3 groups of 3 (the last of 2); chosen for the memory: about "), plan.description)
        // Less than one member's worth: one at a time (never zero).
        setenv("LORA_MEMORY_LIMIT", "1K", 1)
        plan = try XCTUnwrap(try MemberGroupPlan.make(for: net, batch: 32, requested: nil))
        XCTAssertEqual(plan.size, 1)
        XCTAssertEqual(plan.groups, 8)
        // Plenty: all at once.
        setenv("LORA_MEMORY_LIMIT", "\(Int(100 * per))", 1)
        plan = try XCTUnwrap(try MemberGroupPlan.make(for: net, batch: 32, requested: nil))
        if let available = ProcessInfo.processInfo.environment["LORA_MEMORY_LIMIT"].flatMap(Int.init), Double(available) > 16 * per {
            XCTAssertEqual(plan.size, 8)
            XCTAssertTrue(plan.description.hasPrefix("all 8 members at once"), plan.description)
        }
        // Asked for: taken as given (capped at the members), whatever the memory.
        plan = try XCTUnwrap(try MemberGroupPlan.make(for: net, batch: 32, requested: 2))
        XCTAssertEqual(plan, MemberGroupPlan(members: 8, size: 2, automatic: false))
        XCTAssertEqual(plan.description, "8 members in 4 groups of 2 (members_at_once: 2)")
        XCTAssertEqual(try MemberGroupPlan.make(for: net, batch: 32, requested: 20)?.size, 8)
    }

    /// The estimate grows with the batch, the tokens and the adapted layers.
    func testActivationEstimateScalesWithTheWork() throws {
        let bert = try BertFiles.load(tinyBertFolder, classes: 3, maxTokens: 16)
        let all = try LoRAEnsembleNetwork(backbone: bert, options: LoRAOptions(members: 2, rank: 2))
        let top = try LoRAEnsembleNetwork(backbone: bert, options: LoRAOptions(members: 2, rank: 2, layers: 1..<2))
        XCTAssertEqual(all.activationBytesPerMember(batch: 8), 2 * all.activationBytesPerMember(batch: 4), accuracy: 1)
        XCTAssertGreaterThan(all.activationBytesPerMember(batch: 4), 1.5 * top.activationBytesPerMember(batch: 4))
        let longer = try LoRAEnsembleNetwork(backbone: BertFiles.load(tinyBertFolder, classes: 3, maxTokens: 32), options: LoRAOptions(members: 2, rank: 2))
        XCTAssertGreaterThan(longer.activationBytesPerMember(batch: 4), 2 * all.activationBytesPerMember(batch: 4))
    }

    /// Networks that train their members' shared weights together cannot be grouped.
    func testOtherKindsRunTheirMembersInOnePass() throws {
        let single = try SingleNetwork(backbone: try ViT(tinyConfig, seed: 1))
        XCTAssertNil(try MemberGroupPlan.make(for: single.network, batch: 8, requested: nil))
        let be = try BatchEnsemble(backbone: try ViT(tinyConfig, seed: 1), options: BatchEnsembleOptions(members: 4))
        XCTAssertNil(try MemberGroupPlan.make(for: be.network, batch: 8, requested: 4))
        XCTAssertThrowsError(try MemberGroupPlan.make(for: be.network, batch: 8, requested: 2)) { e in
            XCTAssertTrue("\(e)".contains("members_at_once 2 applies to LoRA-Ensembles"), "\(e)")
        }
        var config = TrainConfig()
        config.membersAtOnce = 0
        let ens = try LoRAEnsemble(backbone: try ViT(tinyConfig, seed: 1), options: LoRAOptions(members: 2, rank: 2))
        XCTAssertThrowsError(try ens.fit(try syntheticData(count: 4), config: config)) { e in
            XCTAssertTrue("\(e)".contains("members_at_once must be at least 1"), "\(e)")
        }
    }

    /// Prediction (and evaluation, validation: they predict through the same
    /// path) runs the members in groups when the memory budget holds fewer
    /// than all of them: the shared part once per batch, then group by group,
    /// each group's forward batch reported to the watcher. On the tiny BERT
    /// the probabilities and logits are bit for bit those of all members at
    /// once, for every grouping; on the tiny ViT within 1e-6.
    func testPredictionInGroupsEqualsAllAtOnce() throws {
        let texts = Self.texts.map { $0.isEmpty ? "ok" : $0 }
        let textData = try Dataset(name: "texts", texts: texts + texts.reversed(), labels: [0, 1, 2, 0, 1, 2, 2, 1, 0, 2, 1, 0],
                                   classNames: ["a", "b", "c"])
        let bert = try LoRAEnsemble(backbone: try BertFiles.load(tinyBertFolder, classes: 3, maxTokens: 16),
                                    options: LoRAOptions(members: 5, rank: 2, seed: 4, layers: 1..<2))
        randomizeB(bert.network, seed: 9)
        let vit = try LoRAEnsemble(backbone: try ViT(tinyConfig, seed: 1), options: LoRAOptions(members: 5, rank: 2, seed: 4))
        randomizeB(vit.network, seed: 9)
        let images = try syntheticData(count: 12)
        defer { unsetenv("LORA_MEMORY_LIMIT") }
        for (ens, data, exact) in [(bert, textData, true), (vit, images, false)] {
            unsetenv("LORA_MEMORY_LIMIT")
            let n = data.count
            XCTAssertEqual(MemberGroupPlan.forPrediction(ens.network, batch: n)?.size, 5, "plenty of memory: all at once")
            var reports: [Int] = []
            let watch = EvaluationWatch { reports.append($0) }
            let all = try EvaluationWatch.run(watch) { try ens.predict(data) }
            let allLogits = try ens.predictLogits(data, batchSize: 256)
            XCTAssertEqual(reports, [5 * n])
            let per = ens.network.predictionBytesPerMember(batch: n)
            XCTAssertGreaterThan(per, 0)
            for k in [1, 2, 3] {
                // A budget (half the limit) for k and a half members: groups of k.
                setenv("LORA_MEMORY_LIMIT", "\(Int(2 * per * (Double(k) + 0.5)))", 1)
                let plan = try XCTUnwrap(MemberGroupPlan.forPrediction(ens.network, batch: n))
                XCTAssertEqual(plan.size, k)
                XCTAssertTrue(plan.automatic)
                reports = []
                let grouped = try EvaluationWatch.run(watch) { try ens.predict(data) }
                var expected = [Int](repeating: k * n, count: 5 / k)
                if 5 % k != 0 { expected.append((5 % k) * n) }
                XCTAssertEqual(reports, expected, "groups of \(k): one report per group's forward batch")
                let logits = try ens.predictLogits(data, batchSize: 256)
                if exact {
                    XCTAssertEqual(grouped, all, "groups of \(k): probabilities are not bit for bit the same")
                    XCTAssertEqual(logits, allLogits, "groups of \(k): logits")
                } else {
                    XCTAssertEqual([grouped.members, grouped.samples, grouped.classes], [all.members, all.samples, all.classes])
                    XCTAssertLessThanOrEqual(maxAbsDiff(grouped.values, all.values), 1e-6, "groups of \(k): probabilities")
                    XCTAssertLessThanOrEqual(maxAbsDiff(logits.values, allLogits.values), 1e-6 * (allLogits.values.map(abs).max() ?? 1),
                                             "groups of \(k): logits")
                }
            }
        }
        // Several batches, groups of 2: the same numbers, batch by batch.
        setenv("LORA_MEMORY_LIMIT", "\(Int(2 * bert.network.predictionBytesPerMember(batch: 5) * 2.5))", 1)
        let inGroups = try bert.predict(textData, batchSize: 5)
        unsetenv("LORA_MEMORY_LIMIT")
        XCTAssertEqual(inGroups, try bert.predict(textData, batchSize: 5))
    }

    /// The prediction estimate: far below training's (no graph: one layer at a time), growing with the batch and tokens.
    func testPredictionEstimateScalesWithTheWork() throws {
        let bert = try BertFiles.load(tinyBertFolder, classes: 3, maxTokens: 16)
        let net = try LoRAEnsembleNetwork(backbone: bert, options: LoRAOptions(members: 2, rank: 2))
        XCTAssertEqual(net.predictionBytesPerMember(batch: 8), 2 * net.predictionBytesPerMember(batch: 4), accuracy: 1)
        XCTAssertLessThan(net.predictionBytesPerMember(batch: 4), net.activationBytesPerMember(batch: 4))
        let longer = try LoRAEnsembleNetwork(backbone: BertFiles.load(tinyBertFolder, classes: 3, maxTokens: 32), options: LoRAOptions(members: 2, rank: 2))
        XCTAssertGreaterThan(longer.predictionBytesPerMember(batch: 4), 2 * net.predictionBytesPerMember(batch: 4))
        XCTAssertNil(MemberGroupPlan.forPrediction(try SingleNetwork(backbone: try ViT(tinyConfig, seed: 1)).network, batch: 8))
    }

    /// BatchEnsemble prediction runs in member groups too when the budget
    /// holds fewer than all members (before, it always ran every member at
    /// once, whatever the memory): the embedding once per batch, then each
    /// group with its slices of the rank-1 factors and heads. On the tiny
    /// BERT the numbers are bit for bit those of all members at once, for
    /// every grouping; on the tiny ViT within 1e-6, as LoRA-Ensemble's (the
    /// engine's products of fewer rows round differently there). Every
    /// group's forward batch is reported to the watcher.
    func testBatchEnsemblePredictionInGroupsEqualsAllAtOnce() throws {
        let texts = Self.texts.map { $0.isEmpty ? "ok" : $0 }
        let textData = try Dataset(name: "texts", texts: texts + texts.reversed(), labels: [0, 1, 2, 0, 1, 2, 2, 1, 0, 2, 1, 0],
                                   classNames: ["a", "b", "c"])
        let bert = try BatchEnsemble(backbone: try BertFiles.load(tinyBertFolder, classes: 3, maxTokens: 16),
                                     options: BatchEnsembleOptions(members: 5, factorStd: 0.3, seed: 4))
        let vit = try BatchEnsemble(backbone: try ViT(tinyConfig, seed: 1), options: BatchEnsembleOptions(members: 5, factorStd: 0.3, seed: 4))
        let images = try syntheticData(count: 12)
        defer { unsetenv("LORA_MEMORY_LIMIT") }
        for (ens, data, exact) in [(bert, textData, true), (vit, images, false)] {
            unsetenv("LORA_MEMORY_LIMIT")
            let n = data.count
            let network = ens.network
            XCTAssertEqual(MemberGroupPlan.forPrediction(network, batch: n)?.size, 5, "plenty of memory: all at once")
            var reports: [Int] = []
            let watch = EvaluationWatch { reports.append($0) }
            let all = try EvaluationWatch.run(watch) { try ens.predict(data) }
            let allLogits = try ens.predictLogits(data, batchSize: 256)
            XCTAssertEqual(reports, [5 * n])
            let per = network.predictionBytesPerMember(batch: n)
            XCTAssertGreaterThan(per, 0)
            for k in [1, 2, 3] {
                setenv("LORA_MEMORY_LIMIT", "\(Int(2 * per * (Double(k) + 0.5)))", 1)
                XCTAssertEqual(MemberGroupPlan.forPrediction(network, batch: n)?.size, k)
                reports = []
                let grouped = try EvaluationWatch.run(watch) { try ens.predict(data) }
                var expected = [Int](repeating: k * n, count: 5 / k)
                if 5 % k != 0 { expected.append((5 % k) * n) }
                XCTAssertEqual(reports, expected, "\(ens.kind) groups of \(k): one report per group's forward batch")
                let logits = try ens.predictLogits(data, batchSize: 256)
                if exact {
                    XCTAssertEqual(grouped, all, "\(data.name), groups of \(k): probabilities are not bit for bit the same")
                    XCTAssertEqual(logits, allLogits, "\(data.name), groups of \(k): logits")
                } else {
                    XCTAssertEqual([grouped.members, grouped.samples, grouped.classes], [all.members, all.samples, all.classes])
                    XCTAssertLessThanOrEqual(maxAbsDiff(grouped.values, all.values), 1e-6, "groups of \(k): probabilities")
                    XCTAssertLessThanOrEqual(maxAbsDiff(logits.values, allLogits.values), 1e-6 * (allLogits.values.map(abs).max() ?? 1),
                                             "groups of \(k): logits")
                }
            }
        }
        // Training is not grouped: its shared weights learn from every member's rows.
        XCTAssertNil(try MemberGroupPlan.make(for: vit.network, batch: 4, requested: nil))
    }
}
