import XCTest
@testable import Tensor

/// The AVX-512 attention slice kernel (forward and backward) against the
/// portable path: bit for bit at odd sizes, with masks and packed q, k, v, on 1
/// and 2 threads, and gradients against finite differences.
final class AttentionKernelTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(Engine.vectorKernels, "this CPU has no AVX-512F: only the portable loops run here")
    }

    override func tearDown() { Engine.vectorKernels = true }

    func testAttentionKernelMatchesPortablePathBitForBit() throws {
        // 4-D q, k, v with odd sizes (widths above 16 and 32+ keys with a width
        // other than 16 take the portable path: Engine.attentionKernel), a value width unlike the key width, tq != tk.
        for (b, h, tq, tk, dh, dv) in [(3, 2, 7, 19, 5, 3), (2, 3, 50, 50, 16, 16), (1, 1, 1, 1, 1, 1), (2, 2, 37, 45, 16, 16), (2, 1, 33, 65, 17, 20)] {
            let q = randomTensor([b, h, tq, dh], seed: 1), k = randomTensor([b, h, tk, dh], seed: 2)
            let v = randomTensor([b, h, tk, dv], seed: 3)
            try assertSameBits("attention \(b)x\(h) tq \(tq) tk \(tk) dh \(dh) dv \(dv)", [q, k, v]) {
                try Tensor.attention(q: $0[0], k: $0[1], v: $0[2], keepWeights: true)
            }
        }
        // Packed q, k, v (the ViT's path) with a key-padding mask, and merged heads.
        let qkv = randomTensor([3, 11, 3 * 12], seed: 4)
        try assertSameBits("attention(qkv:) with validKeys", [qkv]) {
            try Tensor.attention(qkv: $0[0], heads: 3, validKeys: [11, 4, 1], keepWeights: true)
        }
        let q3 = randomTensor([2, 9, 10], seed: 5), k3 = randomTensor([2, 13, 10], seed: 6), v3 = randomTensor([2, 13, 10], seed: 7)
        try assertSameBits("attention(heads:)", [q3, k3, v3]) {
            try Tensor.attention(q: $0[0], k: $0[1], v: $0[2], heads: 2, keepWeights: true)
        }
        // Only some inputs need a gradient.
        let kFrozen = randomTensor([2, 2, 9, 5], seed: 8, requiresGrad: false)
        let q4 = randomTensor([2, 2, 6, 5], seed: 9), v4 = randomTensor([2, 2, 9, 7], seed: 10)
        try assertSameBits("attention, k frozen", [q4, v4]) { try Tensor.attention(q: $0[0], k: kFrozen, v: $0[1]) }
        // Large enough to run on both threads (many slices).
        let big = randomTensor([16, 50, 3 * 64], seed: 11)
        try assertSameBits("attention(qkv:) ViT-sized", [big]) { try Tensor.attention(qkv: $0[0], heads: 4) }
    }

    func testAttentionKernelGradientsMatchFiniteDifferences() throws {
        let q = randomTensor([2, 2, 5, 3], seed: 12), k = randomTensor([2, 2, 7, 3], seed: 13), v = randomTensor([2, 2, 7, 4], seed: 14)
        try checkGradients("attention (kernel)", [q, k, v]) { try Tensor.attention(q: $0[0], k: $0[1], v: $0[2]).output }
        let qkv = randomTensor([2, 6, 3 * 4], seed: 15)
        try checkGradients("attention(qkv:) (kernel)", [qkv]) { try Tensor.attention(qkv: $0[0], heads: 2, validKeys: [6, 3]).output }
    }

    func testKernelTakesOnlyTheShapesWhereItReproducesBLAS() {
        XCTAssertTrue(Engine.attentionKernel(tk: 50, dh: 16, dv: 16))
        XCTAssertTrue(Engine.attentionKernel(tk: 31, dh: 5, dv: 3))
        XCTAssertFalse(Engine.attentionKernel(tk: 32, dh: 8, dv: 8))
        XCTAssertFalse(Engine.attentionKernel(tk: 10, dh: 32, dv: 32))
        XCTAssertFalse(Engine.attentionKernel(tk: 2000, dh: 16, dv: 16))
        Engine.vectorKernels = false
        XCTAssertFalse(Engine.attentionKernel(tk: 50, dh: 16, dv: 16))
    }
}
