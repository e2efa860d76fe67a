import Core
import XCTest
@testable import Data

final class AugmentationTests: XCTestCase {
    /// 3x3 single-channel image 1...9, row-major.
    func transform(_ img: [Float], side: Int = 3, flipH: Bool = false, flipV: Bool = false, degrees: Double = 0,
                   dx: Int = 0, dy: Int = 0, fill: Float = 0) -> [Float] {
        var src = img
        var dst = [Float](repeating: -1, count: img.count)
        src.withUnsafeMutableBufferPointer { s in
            Augmentation.transform(s, into: &dst, channels: 1, height: side, width: side, flipHorizontal: flipH, flipVertical: flipV,
                                   degrees: degrees, shiftX: dx, shiftY: dy, fill: [fill])
        }
        return dst
    }

    let img: [Float] = [1, 2, 3,
                        4, 5, 6,
                        7, 8, 9]

    func testIdentityFlipsShifts() {
        XCTAssertEqual(transform(img), img)
        XCTAssertEqual(transform(img, flipH: true), [3, 2, 1, 6, 5, 4, 9, 8, 7])
        XCTAssertEqual(transform(img, flipV: true), [7, 8, 9, 4, 5, 6, 1, 2, 3])
        XCTAssertEqual(transform(img, dx: 1), [0, 1, 2, 0, 4, 5, 0, 7, 8])
        XCTAssertEqual(transform(img, dy: -1, fill: -5), [4, 5, 6, 7, 8, 9, -5, -5, -5])
    }

    func testRotations() {
        // 90 degrees counter-clockwise on screen: the right column becomes the top row.
        assertClose(transform(img, degrees: 90), [3, 6, 9, 2, 5, 8, 1, 4, 7], tol: 1e-5)
        assertClose(transform(img, degrees: 180), img.reversed(), tol: 1e-5)
        // Half-way between neighbours: bilinear of a linear ramp stays linear at the centre.
        let r = transform(img, degrees: 17)
        XCTAssertEqual(r[4], 5, accuracy: 1e-5)
    }

    func testSeededAugmentationOfADataset() throws {
        let d = try Datasets.load("digits").slice(0..<50)
        let aug = Augmentation(horizontalFlip: 0.5, maxRotation: 15, maxShift: 1)
        let a = try d.augmented(aug, seed: 5)
        let b = try d.augmented(aug, seed: 5)
        let c = try d.augmented(aug, seed: 6)
        XCTAssertEqual(a.images, b.images)
        XCTAssertNotEqual(a.images, c.images)
        XCTAssertEqual(a.labels, d.labels)
        XCTAssertEqual(a.shape, d.shape)
        XCTAssertTrue(a.images.allSatisfy { $0 >= -1e-6 && $0 <= 1 + 1e-6 })
        // No-op augmentation is the identity.
        let none = try d.augmented(Augmentation(horizontalFlip: 0, maxRotation: 0, maxShift: 0), seed: 1)
        assertClose(none.images, d.images, tol: 1e-6)
        // Always-flip gives exact mirrors.
        let m = try d.augmented(Augmentation(horizontalFlip: 1, maxRotation: 0, maxShift: 0), seed: 1)
        XCTAssertEqual(Array(m.image(0)[0..<8]), Array(d.image(0)[0..<8]).reversed())
        // On normalized data the background is the normalized zero.
        let n = try d.normalized()
        let shifted = try n.augmented(Augmentation(horizontalFlip: 0, maxRotation: 0, maxShift: 3), seed: 2)
        let bg = n.background[0]
        XCTAssertEqual(bg, -n.normalization!.mean[0] / n.normalization!.std[0], accuracy: 1e-6)
        XCTAssertTrue(shifted.images.min()! >= n.images.min()! - 1e-5)
        // Batches.
        var rng = RNG(seed: 3, stream: .data)
        let batch = d.augmentedBatch([0, 1], aug, rng: &rng)
        XCTAssertEqual(batch.labels, [0, 1])
        XCTAssertEqual(batch.images.count, 128)
    }

    func testBadParameters() {
        let d = toyDataset()
        assertDataError(try d.augmented(Augmentation(horizontalFlip: 2), seed: 1), ["flip probabilities"])
        assertDataError(try d.augmented(Augmentation(maxRotation: 400), seed: 1), ["maxRotation 400"])
        assertDataError(try d.augmented(Augmentation(maxShift: -1), seed: 1), ["maxShift -1"])
    }
}
