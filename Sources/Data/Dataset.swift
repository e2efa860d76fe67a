/// Per-channel statistics applied by `normalize()`: x' = (x - mean[c]) / std[c].
public struct Normalization: Equatable, Sendable {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }
}

/// One sample: its pixels (C, H, W) and its label.
public struct DatasetSample: Sendable {
    public var image: [Float]
    public var label: Int
    public var channels: Int, height: Int, width: Int
    /// The label's class name.
    public var className: String
}

/// A labelled image data set held in memory.
///
/// Images are stored row-major as (N, C, H, W); pixels are scaled to [0, 1] on
/// load (until `normalize()`). Labels are class indices into `classNames`.
/// A value type: transforms return new data sets and share storage until written.
public struct Dataset: Sendable {
    public var name: String
    /// count * channels * height * width floats, (N, C, H, W) row-major.
    public var images: [Float]
    /// One class index per sample, in 0..<classNames.count.
    public var labels: [Int]
    public var channels: Int, height: Int, width: Int
    public var classNames: [String]
    /// The statistics of the last `normalize()`, nil while pixels are in [0, 1].
    public var normalization: Normalization?
    /// For sets that ship with an official train/test split (Fashion-MNIST):
    /// the index of the first test sample. Samples before it are the official
    /// training set. Cleared by operations that reorder or drop samples.
    public var officialTestStart: Int?

    /// Builds a data set, checking that sizes and labels agree.
    public init(name: String, images: [Float], labels: [Int], channels: Int, height: Int, width: Int,
                classNames: [String], normalization: Normalization? = nil, officialTestStart: Int? = nil) throws {
        guard channels > 0, height > 0, width > 0 else {
            throw DataError.invalidArgument(problem: "image shape \(channels)x\(height)x\(width) has an empty side",
                                            remedy: "give positive channels, height and width")
        }
        let per = channels * height * width
        guard images.count == labels.count * per else {
            throw DataError.invalidArgument(problem: "\(images.count) pixel values do not make \(labels.count) images of \(channels)x\(height)x\(width)",
                                            remedy: "give count * channels * height * width values")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classNames.count }) {
            throw DataError.invalidArgument(problem: "label \(labels[bad]) of sample \(bad) is outside 0..<\(classNames.count)",
                                            remedy: "give one class name per class")
        }
        self.init(unchecked: name, images: images, labels: labels, channels: channels, height: height, width: width,
                  classNames: classNames, normalization: normalization, officialTestStart: officialTestStart)
    }

    /// Builds without checks (callers guarantee the invariants).
    init(unchecked name: String, images: [Float], labels: [Int], channels: Int, height: Int, width: Int,
         classNames: [String], normalization: Normalization?, officialTestStart: Int? = nil) {
        self.name = name
        self.images = images
        self.labels = labels
        self.channels = channels
        self.height = height
        self.width = width
        self.classNames = classNames
        self.normalization = normalization
        self.officialTestStart = officialTestStart
    }

    /// Number of samples.
    public var count: Int { labels.count }
    /// Number of classes.
    public var classCount: Int { classNames.count }
    /// Floats per sample, channels * height * width.
    public var sampleSize: Int { channels * height * width }
    /// [C, H, W].
    public var sampleShape: [Int] { [channels, height, width] }
    /// [N, C, H, W].
    public var shape: [Int] { [count, channels, height, width] }

    /// Samples per class, indexed by class.
    public var classCounts: [Int] {
        var c = [Int](repeating: 0, count: classNames.count)
        for l in labels { c[l] += 1 }
        return c
    }

    /// One sample's pixels. `i` must be in 0..<count (use `sample(_:)` for a checked read).
    public func image(_ i: Int) -> ArraySlice<Float> {
        let s = sampleSize
        return images[(i * s)..<((i + 1) * s)]
    }

    /// The sample at `i`, checked.
    public func sample(_ i: Int) throws -> DatasetSample {
        try checkIndex(i)
        return DatasetSample(image: Array(image(i)), label: labels[i], channels: channels, height: height, width: width,
                      className: classNames[labels[i]])
    }

    /// `data[i]`: the sample at `i`, checked.
    public subscript(i: Int) -> DatasetSample {
        get throws { try sample(i) }
    }

    /// `data[a..<b]`: the samples in the range, checked.
    public subscript(r: Range<Int>) -> Dataset {
        get throws { try slice(r) }
    }

    /// The samples in `r`, in order. Keeps the official split boundary when it still applies.
    public func slice(_ r: Range<Int>) throws -> Dataset {
        guard r.lowerBound >= 0, r.upperBound <= count else {
            throw DataError.invalidArgument(problem: "range \(r.lowerBound)..<\(r.upperBound) is outside the \(count) samples of \(name)",
                                            remedy: "use a range within 0..<\(count)")
        }
        let s = sampleSize
        var d = Dataset(unchecked: name, images: Array(images[(r.lowerBound * s)..<(r.upperBound * s)]),
                        labels: Array(labels[r]), channels: channels, height: height, width: width,
                        classNames: classNames, normalization: normalization)
        if let t = officialTestStart, t > r.lowerBound, t < r.upperBound { d.officialTestStart = t - r.lowerBound }
        return d
    }

    /// The samples at `indices`, in that order. Indices must be in 0..<count
    /// (use `checkedSubset(_:)` for user-given indices).
    public func subset(_ indices: [Int]) -> Dataset {
        let (x, y) = batch(indices)
        return Dataset(unchecked: name, images: x, labels: y, channels: channels, height: height, width: width,
                       classNames: classNames, normalization: normalization)
    }

    /// `subset` with every index checked.
    public func checkedSubset(_ indices: [Int]) throws -> Dataset {
        for i in indices { try checkIndex(i) }
        return subset(indices)
    }

    /// The images and labels at `indices`, gathered as (B, C, H, W) and (B).
    public func batch(_ indices: [Int]) -> (images: [Float], labels: [Int]) {
        let s = sampleSize
        let x = [Float](unsafeUninitializedCapacity: indices.count * s) { out, initialized in
            images.withUnsafeBufferPointer { src in
                for (k, i) in indices.enumerated() {
                    (out.baseAddress! + k * s).initialize(from: src.baseAddress! + i * s, count: s)
                }
            }
            initialized = indices.count * s
        }
        return (x, indices.map { labels[$0] })
    }

    /// The data set with its official train/test split, when it has one
    /// (Fashion-MNIST: the 60,000 training and 10,000 test images).
    public func officialSplit() throws -> (train: Dataset, test: Dataset) {
        guard let t = officialTestStart else {
            throw DataError.invalidArgument(problem: "\(name) has no official train/test split",
                                            remedy: "use .split(fraction, seed:) for a stratified random split")
        }
        var train = try slice(0..<t)
        var test = try slice(t..<count)
        train.name = name + " (train)"
        test.name = name + " (test)"
        return (train, test)
    }

    func checkIndex(_ i: Int) throws {
        guard i >= 0, i < count else {
            throw DataError.invalidArgument(problem: "index \(i) is outside the \(count) samples of \(name)",
                                            remedy: "use an index in 0..<\(count)")
        }
    }
}
