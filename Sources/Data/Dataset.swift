/// Per-channel statistics applied by `normalize()`: x' = (x - mean[c]) / std[c].
public struct Normalization: Equatable, Sendable {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }
}

/// One sample: its pixels (C, H, W) or its text, and its label.
public struct DatasetSample: Sendable {
    /// The pixels; empty for a text sample.
    public var image: [Float]
    public var label: Int
    /// The image's shape; 0 x 0 x 0 for a text sample.
    public var channels: Int, height: Int, width: Int
    /// The label's class name.
    public var className: String
    /// The text of a text sample; nil for an image.
    public var text: String? = nil
}

/// A labelled data set held in memory: images or texts.
///
/// Images are stored row-major as (N, C, H, W); pixels are scaled to [0, 1] on
/// load (until `normalize()`). A text data set holds one string per sample in
/// `texts` instead; its `images` are empty and its image shape is 0 x 0 x 0.
/// Labels are class indices into `classNames`.
/// A value type: transforms return new data sets and share storage until written.
public struct Dataset: Sendable {
    public var name: String
    /// count * channels * height * width floats, (N, C, H, W) row-major. Empty for a text set.
    public var images: [Float]
    /// One text per sample for a text data set (aligned with `labels`); nil for images.
    public var texts: [String]?
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

    /// Builds a text data set, checking that counts, labels and text sizes agree.
    /// An empty text is allowed; one over `maxTextBytes` bytes of UTF-8 is not.
    public init(name: String, texts: [String], labels: [Int], classNames: [String], officialTestStart: Int? = nil) throws {
        guard texts.count == labels.count else {
            throw DataError.invalidArgument(problem: "\(texts.count) texts but \(labels.count) labels",
                                            remedy: "give one label per text")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classNames.count }) {
            throw DataError.invalidArgument(problem: "label \(labels[bad]) of sample \(bad) is outside 0..<\(classNames.count)",
                                            remedy: "give one class name per class")
        }
        if let bad = texts.firstIndex(where: { $0.utf8.count > Dataset.maxTextBytes }) {
            throw DataError.invalidArgument(problem: "text \(bad) is \(texts[bad].utf8.count) bytes long, over the limit of \(Dataset.maxTextBytes)",
                                            remedy: "shorten or split the text")
        }
        if let t = officialTestStart, t <= 0 || t >= texts.count {
            throw DataError.invalidArgument(problem: "official test start \(t) is not inside the \(texts.count) samples",
                                            remedy: "give the index of the first test sample, between 1 and \(texts.count - 1)")
        }
        self.init(unchecked: name, texts: texts, labels: labels, classNames: classNames, officialTestStart: officialTestStart)
    }

    /// A text data set without checks (callers guarantee the invariants).
    init(unchecked name: String, texts: [String], labels: [Int], classNames: [String], officialTestStart: Int? = nil) {
        self.init(unchecked: name, images: [], labels: labels, channels: 0, height: 0, width: 0,
                  classNames: classNames, normalization: nil, officialTestStart: officialTestStart)
        self.texts = texts
    }

    /// The longest text a text data set accepts, in bytes of UTF-8.
    public static let maxTextBytes = 1_000_000

    /// Builds without checks (callers guarantee the invariants).
    init(unchecked name: String, images: [Float], labels: [Int], channels: Int, height: Int, width: Int,
         classNames: [String], normalization: Normalization?, officialTestStart: Int? = nil) {
        self.name = name
        self.images = images
        self.texts = nil
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
    /// True for a data set of texts (then `texts` is set and there are no images).
    public var isText: Bool { texts != nil }
    /// Number of classes.
    public var classCount: Int { classNames.count }
    /// Floats per sample, channels * height * width.
    public var sampleSize: Int { channels * height * width }
    /// [C, H, W].
    public var sampleShape: [Int] { [channels, height, width] }
    /// [N, C, H, W]; [N] for a text data set.
    public var shape: [Int] { isText ? [count] : [count, channels, height, width] }

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
                             className: classNames[labels[i]], text: texts?[i])
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
        d.texts = texts.map { Array($0[r]) }
        if let t = officialTestStart, t > r.lowerBound, t < r.upperBound { d.officialTestStart = t - r.lowerBound }
        return d
    }

    /// The samples at `indices`, in that order. Indices must be in 0..<count
    /// (use `checkedSubset(_:)` for user-given indices).
    public func subset(_ indices: [Int]) -> Dataset {
        let (x, y) = batch(indices)
        var d = Dataset(unchecked: name, images: x, labels: y, channels: channels, height: height, width: width,
                        classNames: classNames, normalization: normalization)
        if let t = texts { d.texts = indices.map { t[$0] } }
        return d
    }

    /// `subset` with every index checked.
    public func checkedSubset(_ indices: [Int]) throws -> Dataset {
        for i in indices { try checkIndex(i) }
        return subset(indices)
    }

    /// The images and labels at `indices`, gathered as (B, C, H, W) and (B).
    public func batch(_ indices: [Int]) -> (images: [Float], labels: [Int]) {
        let s = sampleSize
        if s == 0 { return ([], indices.map { labels[$0] }) }   // a text data set has no pixels
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

    /// The texts and labels at `indices`, in that order (a text data set's
    /// mini-batch). Indices must be in 0..<count; an image set gives empty texts.
    public func textBatch(_ indices: [Int]) -> (texts: [String], labels: [Int]) {
        guard let t = texts else { return (indices.map { _ in "" }, indices.map { labels[$0] }) }
        return (indices.map { t[$0] }, indices.map { labels[$0] })
    }

    /// Throws a clear error when this is a text data set and `operation` needs images.
    public func requireImages(_ operation: String) throws {
        guard isText else { return }
        throw DataError.invalidArgument(problem: "'\(name)' holds texts, not images, so \(operation) does not apply",
                                        remedy: "use it with a text model; image operations (normalize, resize, augment) need an image data set")
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
