// Shared test helpers: finite-difference gradient checks, fixtures, naive references.
import Core
import Foundation
import XCTest
@testable import Tensor

/// Deterministic test data.
func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1, requiresGrad: Bool = true) -> Tensor {
    var rng = RNG(seed: seed)
    let t = Tensor.randn(shape, std: scale, rng: &rng)
    t.requiresGrad = requiresGrad
    return t
}

/// Checks the analytic gradients of `f` at `inputs` against central finite
/// differences of L = sum(f(inputs) * W) with a fixed random W, accumulated in Double.
func checkGradients(_ name: String, _ inputs: [Tensor], eps: Float = 1e-2, atol: Float = 2e-3, rtol: Float = 2e-2,
                    file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) throws -> Tensor) throws {
    if let problem = try gradientMismatch(inputs, eps: eps, atol: atol, rtol: rtol, f) {
        XCTFail("\(name): \(problem)", file: file, line: line)
    }
}

/// The first disagreement between analytic and numeric gradients, or nil.
func gradientMismatch(_ inputs: [Tensor], eps: Float = 1e-2, atol: Float = 2e-3, rtol: Float = 2e-2,
                      _ f: ([Tensor]) throws -> Tensor) throws -> String? {
    for x in inputs { x.requiresGrad = true; x.zeroGrad() }
    let out = try f(inputs)
    var rng = RNG(seed: 99)
    let w = Tensor.randn(out.shape, rng: &rng)
    let loss = try (out * w).sum()
    try loss.backward()
    func lossValue() throws -> Double {
        let o = try Tensor.noGrad { try f(inputs) }
        var s = 0.0
        for i in 0..<o.count { s += Double(o.data[i]) * Double(w.data[i]) }
        return s
    }
    for (k, x) in inputs.enumerated() {
        guard let g = x.grad else { return "input \(k) got no gradient" }
        guard g.shape == x.shape else { return "gradient shape \(g.shape) of input \(k) is not \(x.shape)" }
        for i in 0..<x.count {
            let saved = x.data[i]
            x.data[i] = saved + eps
            let lp = try lossValue()
            x.data[i] = saved - eps
            let lm = try lossValue()
            x.data[i] = saved
            let num = Float((lp - lm) / (2 * Double(eps)))
            if !(abs(g.data[i] - num) <= atol + rtol * abs(num)) {
                return "input \(k)[\(i)] analytic \(g.data[i]) vs numeric \(num)"
            }
        }
    }
    return nil
}

/// Element-wise closeness.
func assertClose(_ a: [Float], _ b: [Float], atol: Float = 1e-5, rtol: Float = 1e-4, _ msg: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(msg): counts", file: file, line: line)
    for i in 0..<min(a.count, b.count) where !(abs(a[i] - b[i]) <= atol + rtol * abs(b[i])) {
        XCTFail("\(msg): element \(i): \(a[i]) vs \(b[i])", file: file, line: line)
        return
    }
}

/// One named array of a fixture file.
struct FixtureEntry: Decodable {
    let shape: [Int]
    let data: [Double]
    var tensor: Tensor { try! Tensor(shape: shape, data: data.map(Float.init)) }
    var floats: [Float] { data.map(Float.init) }
}

/// Loads Tests/TensorTests/Fixtures/<name> (written by scripts/gen_tensor_fixtures.py).
func fixture(_ name: String) throws -> [String: FixtureEntry] {
    guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
        throw TensorError.invalidArgument(op: "fixture", detail: "missing fixture \(name); run scripts/gen_tensor_fixtures.py")
    }
    return try JSONDecoder().decode([String: FixtureEntry].self, from: Data(contentsOf: url))
}

/// Naive row-major op(A) op(B) in Double.
func naiveMatmul(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, ta: Bool, tb: Bool) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let av = ta ? a[p * m + i] : a[i * k + p]
                let bv = tb ? b[j * k + p] : b[p * n + j]
                s += Double(av) * Double(bv)
            }
            c[i * n + j] = Float(s)
        }
    }
    return c
}
