import Core
import Data
import Foundation
@testable import NN
import Tensor
import XCTest

final class LoRAEnsembleTests: XCTestCase {
    func images(_ n: Int, seed: UInt64 = 3) -> [Float] {
        var rng = RNG(seed: seed)
        return (0..<(n * 64)).map { _ in rng.uniform() }
    }

    func testZeroBGivesBackboneFeaturesExactly() throws {
        let base = try ViT(tinyConfig, seed: 5)
        let net = try LoRAEnsembleNetwork(backbone: base, options: LoRAOptions(members: 4, rank: 2, seed: 9))
        let x = images(3)
        let f = try Tensor.noGrad { try net.memberFeatures(.images(x, count: 3), context: ForwardContext()) }   // [4*3, d]
        let ref = try Tensor.noGrad { try base.features(x, count: 3, context: ForwardContext()) }.data
        XCTAssertEqual(f.shape, [12, 16])
        for m in 0..<4 {
            XCTAssertEqual(Array(f.data[(m * 48)..<((m + 1) * 48)]), ref, "member \(m) differs from the backbone")
        }
        // A is random (not zero), so this equality comes from B = 0, not from a trivial adapter.
        XCTAssertGreaterThan(net.adapters[0][.q]!.a.data.map { abs($0) }.max()!, 0.1)
    }

    /// Runs member m on its own: a copy of the backbone with W0 + B_m A_m merged and the member's head.
    func mergedLogits(_ net: LoRAEnsembleNetwork, member m: Int, _ x: [Float], n: Int) throws -> [Float] {
        let v = try (net.backbone as! ViT).copy()
        for (i, block) in v.blocks.enumerated() {
            for p in Projection.allCases {
                guard let a = net.adapters[i][p] else { continue }
                let w = block.attn.linear(p).weight
                let d = try a.delta(member: m)
                for j in w.data.indices { w.data[j] += d[j] }
            }
        }
        let c = v.config.classes, dim = v.config.dim
        v.head.weight.data = Array(net.heads.weight.data[(m * c * dim)..<((m + 1) * c * dim)])
        v.head.bias!.data = Array(net.heads.bias.data[(m * c)..<((m + 1) * c)])
        return try Tensor.noGrad { try v.logits(x, count: n) }.data
    }

    func testMergedWeightsEqualAdapterPath() throws {
        let base = try ViT(tinyConfig, seed: 5)
        let net = try LoRAEnsembleNetwork(backbone: base, options: LoRAOptions(members: 3, rank: 2, initA: .gaussian(std: 0.3), seed: 2))
        randomizeB(net, seed: 11)
        let x = images(4)
        let z = try Tensor.noGrad { try net.memberLogits(x, count: 4, context: ForwardContext()) }
        XCTAssertEqual(z.shape, [3, 4, 3])
        for m in 0..<3 {
            let merged = try mergedLogits(net, member: m, x, n: 4)
            XCTAssertLessThan(maxAbsDiff(Array(z.data[(m * 12)..<((m + 1) * 12)]), merged), 1e-5, "member \(m)")
        }
    }

    func testBatchedForwardEqualsMembersOneByOne() throws {
        let base = try ViT(tinyConfig, seed: 6)
        var opts = LoRAOptions(members: 4, rank: 3, targets: [.q, .v, .o], alpha: 6, seed: 1)
        let net = try LoRAEnsembleNetwork(backbone: base, options: opts)
        randomizeB(net, seed: 12)
        let x = images(5)
        let z = try Tensor.noGrad { try net.memberLogits(x, count: 5, context: ForwardContext()) }.data
        opts.members = 1
        for m in 0..<4 {
            let one = try LoRAEnsembleNetwork(backbone: base, options: opts)
            for (i, layer) in net.adapters.enumerated() {
                for (p, a) in layer {
                    let o = one.adapters[i][p]!
                    o.a.data = Array(a.a.data[(m * o.a.count)..<((m + 1) * o.a.count)])
                    o.b.data = Array(a.b.data[(m * o.b.count)..<((m + 1) * o.b.count)])
                }
            }
            let hw = one.heads.weight.count, hb = one.heads.bias.count
            one.heads.weight.data = Array(net.heads.weight.data[(m * hw)..<((m + 1) * hw)])
            one.heads.bias.data = Array(net.heads.bias.data[(m * hb)..<((m + 1) * hb)])
            let zm = try Tensor.noGrad { try one.memberLogits(x, count: 5, context: ForwardContext()) }.data
            XCTAssertLessThan(maxAbsDiff(Array(z[(m * 15)..<((m + 1) * 15)]), zm), 1e-5, "member \(m)")
        }
    }

    func testLogitsMatchPyTorchReference() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "lora_ensemble", withExtension: "json", subdirectory: "Fixtures"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let c = json["config"] as! [String: Any]
        func int(_ k: String) -> Int { (c[k] as! NSNumber).intValue }
        func floats(_ a: Any?) -> [Float] { (a as! [NSNumber]).map { $0.floatValue } }
        let config = ViTConfig(channels: int("channels"), height: int("height"), width: int("width"), patch: int("patch"),
                               dim: int("dim"), depth: int("depth"), heads: int("heads"), mlp: int("mlp"),
                               classes: int("classes"), eps: (c["eps"] as! NSNumber).floatValue)
        let m = (json["members"] as! NSNumber).intValue, r = (json["rank"] as! NSNumber).intValue
        let n = (json["count"] as! NSNumber).intValue
        let net = try LoRAEnsembleNetwork(backbone: ViT(config, seed: 0), options: LoRAOptions(members: m, rank: r))
        var state: [String: Tensor] = [:]
        for (k, v) in json["params"] as! [String: [String: Any]] {
            state[k] = try Tensor(shape: (v["shape"] as! [NSNumber]).map { $0.intValue }, data: floats(v["data"]))
        }
        try net.loadStateDict(state, source: "the PyTorch fixture")
        let x = floats(json["images"])
        let z = try Tensor.noGrad { try net.memberLogits(x, count: n, context: ForwardContext()) }
        XCTAssertEqual(z.shape, [m, n, config.classes])
        XCTAssertLessThan(maxAbsDiff(z.data, floats(json["logits"])), 1e-4)
        let f = try Tensor.noGrad { try net.memberFeatures(.images(x, count: n), context: ForwardContext()) }
        XCTAssertLessThan(maxAbsDiff(f.data, floats(json["features"])), 1e-4)
    }

    func testTrainableParametersAreMembersTimesAdaptersPlusHead() throws {
        let cfg = ViTConfig(image: 8, channels: 1, patch: 4, dim: 16, depth: 3, heads: 2, mlp: 32, classes: 5)
        let base = try ViT(cfg, seed: 1)
        for (m, r, targets) in [(1, 2, Set(Projection.allCases)), (4, 3, Set([Projection.q, .v]))] {
            let ens = try LoRAEnsemble(backbone: base, options: LoRAOptions(members: m, rank: r, targets: targets))
            let perMember = cfg.depth * targets.count * (r * cfg.dim + cfg.dim * r) + (cfg.dim * cfg.classes + cfg.classes)
            let s = ens.summary()
            XCTAssertEqual(s.trainable, m * perMember)
            XCTAssertEqual(ens.network.trainableParameterCount, m * perMember)
            XCTAssertEqual(s.frozen, base.parameterCount)
            XCTAssertEqual(ens.network.trainableParametersPerMember, perMember)
        }
    }

    /// The paper's setting at a size where it applies (r << d): LoRA-Ensemble with
    /// 16 members needs at most 1.3x the parameter + optimizer memory of one
    /// fully fine-tuned network; an explicit ensemble about 16x.
    func testMemoryOfSixteenMembers() throws {
        let cfg = ViTConfig(image: 8, channels: 1, patch: 4, dim: 64, depth: 2, heads: 4, mlp: 256, classes: 10)
        let base = try ViT(cfg, seed: 1)
        let single = try SingleNetwork(backbone: base).summary()
        let lora = try LoRAEnsemble(backbone: base, options: LoRAOptions(members: 16, rank: 4)).summary()
        let explicit = try ExplicitEnsemble(backbone: base, members: 16).summary()
        let rl = Double(lora.trainingBytes) / Double(single.trainingBytes)
        let re = Double(explicit.trainingBytes) / Double(single.trainingBytes)
        XCTAssertLessThanOrEqual(rl, 1.3, "LoRA-Ensemble memory ratio \(rl)\n\(lora)")
        XCTAssertEqual(re, 16, accuracy: 0.01)
        XCTAssertEqual(single.optimizerStateBytes, 8 * single.total)
        XCTAssertTrue(lora.description.contains("trainable"))
    }
}
