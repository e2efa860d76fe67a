#if canImport(Glibc)
import Core
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seeded random image augmentation: flips, small rotations and shifts.
/// Each image gets its own draw; pixels that come from outside the image are
/// filled with the background (0 in [0, 1] scale, mapped through the data
/// set's normalization when it has one).
public struct Augmentation: Equatable, Sendable {
    /// Probability of a left-right mirror.
    public var horizontalFlip: Double
    /// Probability of an upside-down mirror (off by default: digits and clothes have an up).
    public var verticalFlip: Double
    /// Rotations are drawn uniformly from -maxRotation...maxRotation degrees.
    public var maxRotation: Double
    /// Shifts are drawn uniformly from -maxShift...maxShift whole pixels, per axis.
    public var maxShift: Int

    public init(horizontalFlip: Double = 0.5, verticalFlip: Double = 0, maxRotation: Double = 10, maxShift: Int = 2) {
        self.horizontalFlip = horizontalFlip
        self.verticalFlip = verticalFlip
        self.maxRotation = maxRotation
        self.maxShift = maxShift
    }

    /// Checks the parameters.
    public func validate() throws {
        guard (0...1).contains(horizontalFlip), (0...1).contains(verticalFlip) else {
            throw DataError.invalidArgument(problem: "flip probabilities must be between 0 and 1", remedy: "e.g. horizontalFlip: 0.5")
        }
        guard maxRotation >= 0, maxRotation <= 180, maxRotation.isFinite else {
            throw DataError.invalidArgument(problem: "maxRotation \(maxRotation) is not within 0...180 degrees", remedy: "e.g. maxRotation: 10")
        }
        guard maxShift >= 0 else {
            throw DataError.invalidArgument(problem: "maxShift \(maxShift) is negative", remedy: "e.g. maxShift: 2")
        }
    }

    /// Augments `count` images of (C, H, W) stored back to back in `images`,
    /// drawing from `rng`. `fill` holds the background value per channel.
    public func apply(to images: inout [Float], count: Int, channels: Int, height: Int, width: Int,
                      fill: [Float], rng: inout RNG) {
        apply(to: &images, count: count, channels: channels, height: height, width: width, fill: fill, rng: &rng, after: { _ in })
    }

    /// `apply`, calling `after` with each image's index once it is done (throwing stops there).
    func apply(to images: inout [Float], count: Int, channels: Int, height: Int, width: Int,
               fill: [Float], rng: inout RNG, after: (Int) throws -> Void) rethrows {
        let size = channels * height * width
        var scratch = [Float](repeating: 0, count: size)
        for n in 0..<count {
            let fh = rng.uniformDouble() < horizontalFlip
            let fv = rng.uniformDouble() < verticalFlip
            let angle = (rng.uniformDouble() * 2 - 1) * maxRotation
            let dx = maxShift > 0 ? rng.int(below: 2 * maxShift + 1) - maxShift : 0
            let dy = maxShift > 0 ? rng.int(below: 2 * maxShift + 1) - maxShift : 0
            images.withUnsafeMutableBufferPointer { p in
                let img = UnsafeMutableBufferPointer(rebasing: p[(n * size)..<((n + 1) * size)])
                Self.transform(img, into: &scratch, channels: channels, height: height, width: width,
                               flipHorizontal: fh, flipVertical: fv, degrees: angle, shiftX: dx, shiftY: dy, fill: fill)
                for k in 0..<size { img[k] = scratch[k] }
            }
            try after(n)
        }
    }

    /// One geometric transform: mirror, then rotate by `degrees` (counter-clockwise
    /// on screen) about the centre, then shift by (shiftX right, shiftY down),
    /// sampling bilinearly.
    public static func transform(_ src: UnsafeMutableBufferPointer<Float>, into dst: inout [Float],
                                 channels: Int, height: Int, width: Int,
                                 flipHorizontal: Bool, flipVertical: Bool, degrees: Double,
                                 shiftX: Int, shiftY: Int, fill: [Float]) {
        let plane = height * width
        let cy = Double(height - 1) / 2, cx = Double(width - 1) / 2
        let t = degrees * .pi / 180
        let (c, s) = (cos(t), sin(t))
        for oy in 0..<height {
            for ox in 0..<width {
                // Undo the shift, then the rotation (screen y points down).
                let u = Double(ox - shiftX) - cx, v = Double(oy - shiftY) - cy
                var sx = c * u - s * v + cx
                var sy = s * u + c * v + cy
                if flipHorizontal { sx = Double(width - 1) - sx }
                if flipVertical { sy = Double(height - 1) - sy }
                let x0 = Int(floor(sx)), y0 = Int(floor(sy))
                let lx = Float(sx - Double(x0)), ly = Float(sy - Double(y0))
                for ch in 0..<channels {
                    let base = ch * plane
                    let bg = ch < fill.count ? fill[ch] : 0
                    @inline(__always) func at(_ y: Int, _ x: Int) -> Float {
                        (y >= 0 && y < height && x >= 0 && x < width) ? src[base + y * width + x] : bg
                    }
                    let top = at(y0, x0) * (1 - lx) + at(y0, x0 + 1) * lx
                    let bottom = at(y0 + 1, x0) * (1 - lx) + at(y0 + 1, x0 + 1) * lx
                    dst[base + oy * width + ox] = top * (1 - ly) + bottom * ly
                }
            }
        }
    }
}

extension Dataset {
    /// The background value per channel (0 in [0, 1] scale, normalized when needed).
    public var background: [Float] {
        guard let n = normalization else { return [Float](repeating: 0, count: channels) }
        return (0..<channels).map { (0 - n.mean[$0]) / n.std[$0] }
    }

    /// Every image randomly flipped, rotated and shifted, seeded; labels unchanged.
    public func augmented(_ augmentation: Augmentation = Augmentation(), seed: UInt64) throws -> Dataset {
        try requireImages("augmentation")
        try augmentation.validate()
        var d = self
        var rng = RNG(seed: seed, stream: .data)
        // Ctrl-C (the thread's WorkWatch) stops it between images; `self` is unchanged.
        let progress = SampleProgress("augmenting \(name)", samples: count, valuesPerSample: 4 * channels * height * width)
        try augmentation.apply(to: &d.images, count: count, channels: channels, height: height, width: width,
                               fill: background, rng: &rng, after: progress.done)
        return d
    }

    /// A gathered mini-batch with each image augmented (for training loops).
    public func augmentedBatch(_ indices: [Int], _ augmentation: Augmentation, rng: inout RNG) -> (images: [Float], labels: [Int]) {
        var b = batch(indices)
        augmentation.apply(to: &b.images, count: indices.count, channels: channels, height: height, width: width,
                           fill: background, rng: &rng)
        return b
    }
}
