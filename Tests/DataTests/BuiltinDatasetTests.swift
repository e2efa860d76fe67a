import XCTest
import Foundation
@testable import Data

final class BuiltinDatasetTests: XCTestCase {
    func testDigitsMatchSklearn() throws {
        let d = try Datasets.load("digits")
        XCTAssertEqual(d.count, DigitsFixture.count)
        XCTAssertEqual(d.shape, [1797, 1, 8, 8])
        XCTAssertEqual(d.classNames, (0..<10).map(String.init))
        XCTAssertEqual(d.classCounts, DigitsFixture.classCounts)
        for s in DigitsFixture.samples {
            XCTAssertEqual(d.labels[s.index], s.label, "label of sample \(s.index)")
            XCTAssertEqual(Array(d.image(s.index)), s.pixels.map { Float($0) / 16 }, "pixels of sample \(s.index)")
        }
        let sum = d.images.reduce(0.0) { $0 + Double($1) } * 16
        XCTAssertEqual(sum, Double(DigitsFixture.pixelSum), accuracy: 1e-6)
        XCTAssertEqual(d.images.min(), 0)
        XCTAssertEqual(d.images.max(), 1)
    }

    func testLoadNamesAndUnknown() throws {
        XCTAssertEqual(try Datasets.load("Digits").count, 1797)
        assertDataError(try Datasets.load("cifar"), ["unknown data set 'cifar'", "digits", "fashion-mnist"])
    }

    func fashionOrSkip() throws -> Dataset {
        let t0 = Date()
        let d: Dataset
        do {
            d = try Datasets.load("fashion-mnist")
        } catch let e as DataError {
            if case .missingDataset = e {
                print("NOTICE: Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist); skipping its tests: \(e)")
                throw XCTSkip("Fashion-MNIST not installed")
            }
            throw e
        }
        print("NOTICE: Fashion-MNIST (70,000 images) loaded in \(String(format: "%.3f", Date().timeIntervalSince(t0))) s (cached afterwards)")
        guard DataFixtures.fashionAvailable else {
            print("NOTICE: fixtures were generated without Fashion-MNIST; rerun scripts/gen_data_fixtures.py")
            throw XCTSkip("no Fashion-MNIST fixture")
        }
        return d
    }

    func testFashionMNISTMatchesNumpy() throws {
        let d = try fashionOrSkip()
        XCTAssertEqual(d.shape, [70000, 1, 28, 28])
        XCTAssertEqual(d.classNames, Datasets.fashionClassNames)
        XCTAssertEqual(d.officialTestStart, 60000)
        let (train, test) = try d.officialSplit()
        XCTAssertEqual(train.count, 60000)
        XCTAssertEqual(test.count, 10000)
        XCTAssertEqual(Array(train.labels.prefix(20)), DataFixtures.fashionTrainLabels)
        XCTAssertEqual(Array(test.labels.prefix(20)), DataFixtures.fashionTestLabels)
        XCTAssertEqual(train.classCounts, DataFixtures.fashionTrainCounts)
        XCTAssertEqual(test.classCounts, DataFixtures.fashionTestCounts)
        for s in DataFixtures.fashionSamples {
            let part = s.split == 0 ? train : test
            XCTAssertEqual(part.labels[s.index], s.label)
            let img = Array(part.image(s.index))
            assertClose(Array(img[(14 * 28)..<(15 * 28)]), s.row14.map { Float($0) / 255 })
            XCTAssertEqual(Double(img.reduce(0, +)) * 255, Double(s.sum), accuracy: 0.5)
        }
        let total = train.images.reduce(0) { $0 + Int(($1 * 255).rounded()) }
        XCTAssertEqual(total, DataFixtures.fashionTrainPixelSum)
        // Named parts and the cache.
        XCTAssertEqual(try Datasets.load("fashion-mnist-test").labels, test.labels)
        XCTAssertEqual(try Datasets.load("fashion_mnist_train").count, 60000)
        XCTAssertTrue(d.summary.contains("official split 60000 train + 10000 test"), d.summary)
    }

    func testFashionMissingSaysHowToInstall() {
        let empty = TempDir()
        assertDataError(try Datasets.fashionMNIST(directory: empty.path),
                        ["fashion-mnist", empty.path, "apt-get install dataset-fashion-mnist", "LORA_DATA"])
    }

    func testFashionFromAFolderWithRawAndGzipFiles() throws {
        // A miniature Fashion-MNIST in a user folder: 2 train + 1 test images.
        let dir = TempDir()
        let tr = [UInt8](repeating: 255, count: 2 * 784), te = [UInt8](repeating: 0, count: 784)
        dir.write("train-images-idx3-ubyte", idxBytes(dims: [2, 28, 28], data: tr))
        dir.write("train-labels-idx1-ubyte", idxBytes(dims: [2], data: [9, 0]))
        dir.write("t10k-images-idx3-ubyte", idxBytes(dims: [1, 28, 28], data: te))
        dir.write("t10k-labels-idx1-ubyte", idxBytes(dims: [1], data: [3]))
        let d = try Datasets.fashionMNIST(directory: dir.path)
        XCTAssertEqual(d.labels, [9, 0, 3])
        XCTAssertEqual(d.officialTestStart, 2)
        XCTAssertEqual(try d.officialSplit().test.labels, [3])
        XCTAssertEqual(d.images[0], 1)
        XCTAssertEqual(d.images[2 * 784], 0)
        XCTAssertEqual(try d.sample(0).className, "Ankle boot")
        // A wrong-size set is refused.
        let bad = TempDir()
        bad.write("train-images-idx3-ubyte", idxBytes(dims: [1, 2, 2], data: [0, 0, 0, 0]))
        bad.write("train-labels-idx1-ubyte", idxBytes(dims: [1], data: [0]))
        bad.write("t10k-images-idx3-ubyte", idxBytes(dims: [1, 2, 2], data: [0, 0, 0, 0]))
        bad.write("t10k-labels-idx1-ubyte", idxBytes(dims: [1], data: [0]))
        assertDataError(try Datasets.fashionMNIST(directory: bad.path), [bad.path + "/train-images-idx3-ubyte", "uint8 1x2x2, not uint8 Nx28x28", "reinstall"])
        // Image and label counts that disagree, and a label outside 0...9.
        let odd = TempDir()
        odd.write("train-images-idx3-ubyte", idxBytes(dims: [2, 28, 28], data: tr))
        odd.write("train-labels-idx1-ubyte", idxBytes(dims: [1], data: [0]))
        odd.write("t10k-images-idx3-ubyte", idxBytes(dims: [1, 28, 28], data: te))
        odd.write("t10k-labels-idx1-ubyte", idxBytes(dims: [1], data: [12]))
        assertDataError(try Datasets.fashionMNIST(directory: odd.path), ["train-labels-idx1-ubyte", "2 images but labels of shape [1]"])
        odd.write("train-labels-idx1-ubyte", idxBytes(dims: [2], data: [0, 1]))
        assertDataError(try Datasets.fashionMNIST(directory: odd.path), ["t10k-labels-idx1-ubyte at entry 0", "label 12 is not a Fashion-MNIST class"])
    }
}
