import XCTest
@testable import Tensor

/// The AVX-512 GELU (forward keeping Phi(x), backward from it) against the
/// portable loops: bit for bit at odd lengths on 1 and 2 threads, and finite differences.
final class GeluKernelTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(Engine.vectorKernels, "this CPU has no AVX-512F: only the portable loops run here")
    }

    override func tearDown() { Engine.vectorKernels = true }

    func testGeluKernelMatchesPortablePathBitForBit() throws {
        // Odd lengths (masked tails), values spanning erf's clamp at +-4 sqrt 2.
        for n in [1, 15, 17, 1003, 70_001] {
            let x = randomTensor([n], seed: UInt64(n), scale: 3)
            try assertSameBits("gelu n \(n)", [x]) { ($0[0].gelu(), nil) }
            // Used twice: the second backward adds onto the first.
            try assertSameBits("gelu twice n \(n)", [x]) { (try $0[0].gelu() + $0[0].gelu() * 0.5, nil) }
            // Without a graph (evaluation).
            let yPlain: [Float] = { Engine.vectorKernels = false; defer { Engine.vectorKernels = true }; return Tensor.noGrad { x.gelu() }.data }()
            let yFast = Tensor.noGrad { x.gelu() }.data
            XCTAssertEqual(zip(yPlain, yFast).filter { $0.0.bitPattern != $0.1.bitPattern }.count, 0, "gelu noGrad n \(n)")
        }
    }

    func testGeluKernelGradientsMatchFiniteDifferences() throws {
        let x = randomTensor([4, 9], seed: 16, scale: 2)
        try checkGradients("gelu (kernel)", [x]) { $0[0].gelu() }
    }
}
