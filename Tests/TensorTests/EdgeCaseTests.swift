import Core
import XCTest
@testable import Tensor

/// Empty tensors and degenerate shapes must give results or Swift errors, never traps.
final class EdgeCaseTests: XCTestCase {
    func testEmptyTensorsThroughEveryOp() throws {
        let e = randomTensor([0, 4], seed: 1)
        let w = randomTensor([3, 4], seed: 2)
        var outs: [Tensor] = []
        outs.append(try e + w.slice(axis: 0, range: 0..<1))
        outs.append(try e * e)
        outs.append(e.gelu()); outs.append(e.exp()); outs.append(e.relu()); outs.append(e * 2); outs.append(2 / e)
        outs.append(try e.softmax()); outs.append(try e.logSoftmax())
        outs.append(try Tensor.layerNorm(e, gamma: Tensor.ones([4]), beta: Tensor.zeros([4])))
        outs.append(try Tensor.linear(e, weight: w, bias: Tensor.zeros([3])))
        outs.append(try Tensor.matmul(e, w, transposeB: true))
        outs.append(try e.permute([1, 0]))
        outs.append(try e.sum(axis: 1))
        outs.append(try e.sum(axis: 0))
        var rng = RNG(seed: 1)
        outs.append(try e.dropout(p: 0.5, rng: &rng, training: true))
        outs.append(try Tensor.embedding([], table: w))
        outs.append(try w.gather(rows: []))
        outs.append(try Tensor.concat([e, e], axis: 0))
        outs.append(try e.expand(to: [2, 0, 4]))
        let qkv = randomTensor([0, 5, 12], seed: 3)
        outs.append(try Tensor.attention(qkv: qkv, heads: 2).output)
        for o in outs {
            let total = try o.sum() + w.sum()
            try total.backward()
        }
        XCTAssertEqual(try e.sum().item(), 0)
        XCTAssertThrowsError(try e.mean(axis: 0))
        XCTAssertThrowsError(try e.max(axis: 0))
        XCTAssertThrowsError(try Tensor.crossEntropy(logits: e, labels: []))
        // Contracting over an empty axis gives zeros.
        let z = try Tensor.matmul(randomTensor([2, 0], seed: 4), randomTensor([0, 3], seed: 5))
        XCTAssertEqual(z.data, [0, 0, 0, 0, 0, 0])
    }

    func testScalarTensors() throws {
        let s = Tensor(scalar: 3)
        s.requiresGrad = true
        let y = try (s * s).sum()
        try y.backward()
        XCTAssertEqual(s.grad?.data, [6])
        XCTAssertEqual(try s.reshape([1, 1]).shape, [1, 1])
        XCTAssertThrowsError(try s.sum(axis: 0))
        XCTAssertThrowsError(try s.softmax())
    }

    func testErrorMessagesAreDescriptive() {
        let cases: [(TensorError, [String])] = [
            (.shapeMismatch(op: "add", shapes: [[2, 3], [4]], detail: "x"), ["add", "[2, 3]", "[4]"]),
            (.invalidArgument(op: "slice", detail: "range"), ["slice", "range"]),
            (.tooLarge(op: "zeros", elements: 1 << 40), ["zeros", "\(1 << 40)"]),
            (.notScalar(op: "item", shape: [2]), ["item", "[2]"]),
        ]
        for (e, words) in cases {
            for w in words { XCTAssertTrue(e.description.contains(w), "\(e.description) lacks \(w)") }
        }
    }
}
