import Core
import Data
import Foundation
@testable import NN
import Tensor
import XCTest

final class BaselineTests: XCTestCase {
    func checkModel(_ model: EnsembleModel, members: Int, data: Dataset, file: StaticString = #filePath, line: UInt = #line) throws {
        try model.fit(data, config: TrainConfig(epochs: 2, batchSize: 8, learningRate: 1e-3, seed: 1))
        let p = try model.predict(data)
        XCTAssertEqual([p.members, p.samples, p.classes], [members, data.count, 3], file: file, line: line)
        for m in 0..<members {
            for n in 0..<data.count {
                XCTAssertEqual(p.probabilities(member: m, sample: n).reduce(0, +), 1, accuracy: 1e-5, file: file, line: line)
            }
        }
        let a = try model.attention(.images(Array(data.image(0)), count: 1))
        XCTAssertEqual([a.members, a.layers, a.heads, a.tokens], [members, 2, 2, 5], file: file, line: line)
        for m in 0..<members {
            for l in 0..<2 {
                let w = a.weights[m][l]
                XCTAssertEqual(w.count, 2 * 5 * 5)
                XCTAssertEqual(w[0..<5].reduce(0, +), 1, accuracy: 1e-5, file: file, line: line)
            }
        }
        XCTAssertEqual(a.classTokenAttention(member: 0, layer: 1).count, 4)
        XCTAssertGreaterThan(model.summary().total, 0)
        XCTAssertEqual(model.history.count, model.kind == .explicit ? 2 * members : 2, file: file, line: line)
    }

    func testEveryKindTrainsPredictsAndShowsAttention() throws {
        let data = try syntheticData(count: 24)
        let base = try ViT(tinyConfig, seed: 8)
        try checkModel(SingleNetwork(backbone: base), members: 1, data: data)
        try checkModel(LoRAEnsemble(backbone: base, options: LoRAOptions(members: 1, rank: 2)), members: 1, data: data)
        try checkModel(LoRAEnsemble(backbone: base, options: LoRAOptions(members: 3, rank: 2, copyHead: true)), members: 3, data: data)
        try checkModel(ExplicitEnsemble(backbone: base, members: 2), members: 2, data: data)
        try checkModel(MCDropout(backbone: base, p: 0.2, samples: 3), members: 3, data: data)
        try checkModel(SnapshotEnsemble(backbone: base, cycles: 2), members: 2, data: data)
        try checkModel(BatchEnsemble(backbone: base, options: BatchEnsembleOptions(members: 3)), members: 3, data: data)
    }

    func testCopiedHeadsStartAsTheBackbone() throws {
        let base = try ViT(tinyConfig, seed: 8)
        let data = try syntheticData(count: 6)
        let ens = try LoRAEnsemble(backbone: base, options: LoRAOptions(members: 2, rank: 2, copyHead: true))
        let p = try ens.predict(data), q = try SingleNetwork(training: base).predict(data)
        XCTAssertLessThan(maxAbsDiff(Array(p.values[0..<18]), q.values), 1e-6)
        XCTAssertLessThan(maxAbsDiff(Array(p.values[18..<36]), q.values), 1e-6)
    }

    func testMCDropoutSamplesDifferAndAreReproducible() throws {
        let base = try ViT(tinyConfig, seed: 8)
        let data = try syntheticData(count: 6)
        let mc = try MCDropout(backbone: base, p: 0.5, samples: 2)
        let p = try mc.predict(data)
        XCTAssertGreaterThan(maxAbsDiff(Array(p.values[0..<18]), Array(p.values[18..<36])), 1e-4)
        XCTAssertEqual(try mc.predict(data), p)
    }

    func testSnapshotScheduleRestartsEachCycle() {
        let lr = (0..<12).map { SnapshotEnsemble.cyclicCosine(base: 1, step: $0, total: 12, cycles: 3) }
        XCTAssertEqual(lr[0], 1); XCTAssertEqual(lr[4], 1); XCTAssertEqual(lr[8], 1)
        XCTAssertEqual(lr[2], 0.5, accuracy: 1e-6)
        XCTAssertLessThan(lr[3], lr[2])
    }

    func testBatchEnsembleWithUnitFactorsEqualsBackbone() throws {
        let base = try ViT(tinyConfig, seed: 8)
        let be = try BatchEnsembleNetwork(backbone: base, options: BatchEnsembleOptions(members: 2, factorStd: 0))
        // give both members the backbone's head: then every member equals the backbone exactly (up to rounding)
        be.heads.weight.data = base.head.weight.data + base.head.weight.data
        be.heads.bias.data = base.head.bias!.data + base.head.bias!.data
        var rng = RNG(seed: 1)
        let x = (0..<(3 * 64)).map { _ in rng.uniform() }
        let z = try Tensor.noGrad { try be.memberLogits(x, count: 3, context: ForwardContext()) }.data
        let ref = try Tensor.noGrad { try base.logits(x, count: 3) }.data
        XCTAssertLessThan(maxAbsDiff(Array(z[0..<9]), ref), 1e-5)
        XCTAssertLessThan(maxAbsDiff(Array(z[9..<18]), ref), 1e-5)
    }
}
