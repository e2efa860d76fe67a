import Core
import Data
import Foundation
import NN
import Tensor
import XCTest

/// A small synthetic task: class c lights up band c of the image, plus noise.
func syntheticData(count: Int, classes: Int = 3, size: Int = 8, seed: UInt64 = 1) throws -> Dataset {
    var rng = RNG(seed: seed)
    var images: [Float] = [], labels: [Int] = []
    for i in 0..<count {
        let c = i % classes
        for y in 0..<size {
            for _ in 0..<size {
                let band = y * classes / size == c
                images.append((band ? 0.8 : 0.1) + 0.2 * rng.uniform())
            }
        }
        labels.append(c)
    }
    return try Dataset(name: "synthetic", images: images, labels: labels, channels: 1, height: size, width: size,
                       classNames: (0..<classes).map { "c\($0)" })
}

let tinyConfig = ViTConfig(image: 8, channels: 1, patch: 4, dim: 16, depth: 2, heads: 2, mlp: 32, classes: 3)

func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "sizes \(a.count) vs \(b.count)")
    var m: Float = 0
    for i in a.indices { m = max(m, abs(a[i] - b[i])) }
    return m
}

/// Fills every adapter's B with random values so the adapters do something.
func randomizeB(_ net: LoRAEnsembleNetwork, seed: UInt64, std: Float = 0.3) {
    var rng = RNG(seed: seed)
    for layer in net.adapters { for p in Projection.allCases { if let a = layer[p] {
        for i in a.b.data.indices { a.b.data[i] = rng.normal() * std }
    } } }
}
