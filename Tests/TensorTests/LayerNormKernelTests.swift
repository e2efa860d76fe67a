import XCTest
@testable import Tensor

/// The AVX-512 layer normalisation (forward and backward) against the portable
/// loops: bit for bit at odd widths on 1 and 2 threads, and finite differences.
final class LayerNormKernelTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(Engine.vectorKernels, "this CPU has no AVX-512F: only the portable loops run here")
    }

    override func tearDown() { Engine.vectorKernels = true }

    func testLayerNormKernelMatchesPortablePathBitForBit() throws {
        // Widths below, at and between multiples of 16; enough rows (3200 x 64) to split over threads.
        for (rows, d) in [(1, 1), (7, 5), (13, 16), (9, 37), (5, 64), (3200, 64), (11, 100)] {
            let x = randomTensor([rows, d], seed: UInt64(d), scale: 2)
            let g = randomTensor([d], seed: 3), b = randomTensor([d], seed: 4)
            try assertSameBits("layerNorm \(rows)x\(d)", [x, g, b]) { (try Tensor.layerNorm($0[0], gamma: $0[1], beta: $0[2], eps: 1e-6), nil) }
            // Frozen scale and shift (no dgamma, dbeta) and a frozen input (no dx).
            let gf = randomTensor([d], seed: 5, requiresGrad: false), bf = randomTensor([d], seed: 6, requiresGrad: false)
            try assertSameBits("layerNorm, frozen gamma and beta", [x]) { (try Tensor.layerNorm($0[0], gamma: gf, beta: bf), nil) }
            let xf = randomTensor([rows, d], seed: 7, requiresGrad: false)
            try assertSameBits("layerNorm, frozen x", [g, b]) { (try Tensor.layerNorm(xf, gamma: $0[0], beta: $0[1]), nil) }
        }
    }

    func testLayerNormKernelGradientsMatchFiniteDifferences() throws {
        let x = randomTensor([3, 4, 19], seed: 8), g = randomTensor([19], seed: 9), b = randomTensor([19], seed: 10)
        try checkGradients("layerNorm (kernel)", [x, g, b]) { try Tensor.layerNorm($0[0], gamma: $0[1], beta: $0[2]) }
    }
}
