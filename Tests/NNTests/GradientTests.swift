import Core
import Data
import Foundation
@testable import NN
import Tensor
import XCTest

/// The gradients training uses (adapters, heads; and BatchEnsemble's factors)
/// against central finite differences of the ensemble loss.
final class GradientTests: XCTestCase {
    func checkGradients(_ net: MemberNetwork, _ tensors: [Tensor], file: StaticString = #filePath, line: UInt = #line) throws {
        let data = try syntheticData(count: 4)
        let (x, y) = data.batch([0, 1, 2, 3])
        let m = net.members
        let labels = [[Int]](repeating: y, count: m).flatMap { $0 }
        func loss() throws -> Tensor {
            try Tensor.crossEntropy(logits: net.memberLogits(x, count: 4, context: ForwardContext()).reshape([m * 4, 3]), labels: labels)
        }
        for p in net.trainableParameters() { p.zeroGrad() }
        try loss().backward()
        var rng = RNG(seed: 3)
        for t in tensors {
            let g = try XCTUnwrap(t.grad, "no gradient for \(t.label ?? "?")", file: file, line: line)
            var largest: Float = 0
            let top = g.data.indices.sorted { abs(g.data[$0]) > abs(g.data[$1]) }.prefix(3)
            for i in Array(top) + (0..<3).map({ _ in rng.int(below: t.count) }) {
                let old = t.data[i], eps: Float = 1e-2
                t.data[i] = old + eps
                let lp = try Tensor.noGrad { try loss().item() }
                t.data[i] = old - eps
                let lm = try Tensor.noGrad { try loss().item() }
                t.data[i] = old
                let fd = (lp - lm) / (2 * eps)
                largest = max(largest, abs(fd))
                XCTAssertEqual(g.data[i], fd, accuracy: 2e-4 + 3e-2 * abs(fd), "\(t.label ?? "?")[\(i)]", file: file, line: line)
            }
            // The check means something only if the gradients are well above the tolerance.
            XCTAssertGreaterThan(largest, 2e-3, "\(t.label ?? "?"): gradients too small to test", file: file, line: line)
        }
    }

    func testLoRAGradientsMatchFiniteDifferences() throws {
        let net = try LoRAEnsembleNetwork(backbone: ViT(tinyConfig, seed: 2),
                                          options: LoRAOptions(members: 2, rank: 2, initA: .gaussian(std: 0.3), alpha: 3, seed: 1))
        randomizeB(net, seed: 4, std: 0.2)
        try checkGradients(net, [net.adapters[0][.q]!.a, net.adapters[0][.q]!.b, net.adapters[1][.v]!.b,
                                 net.adapters[1][.o]!.a, net.heads.weight, net.heads.bias])
        XCTAssertNil(net.backbone.blocks[0].attn.q.weight.grad, "the frozen backbone got a gradient")
    }

    func testBatchEnsembleGradientsMatchFiniteDifferences() throws {
        let net = try BatchEnsembleNetwork(backbone: ViT(tinyConfig, seed: 2), options: BatchEnsembleOptions(members: 2, factorStd: 0.3))
        try checkGradients(net, [net.adapters[0][.k]!.r, net.adapters[1][.q]!.s, net.backbone.blocks[0].attn.v.weight, net.heads.weight])
    }
}
