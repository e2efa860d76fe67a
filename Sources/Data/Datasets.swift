#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib
import Dispatch
import Synchronization

/// The built-in data sets and the loaders for users' own files.
public enum Datasets {
    /// Names `load(_:)` accepts.
    public static let names = ["digits", "fashion-mnist", "fashion-mnist-train", "fashion-mnist-test",
                               "reuters-grain", "reuters-grain-train", "reuters-grain-test",
                               "reuters-corn", "reuters-corn-train", "reuters-corn-test", "fortunes"]

    /// Loads a built-in data set by name:
    /// - `digits`: the UCI handwritten digits, 1,797 8x8 images in 17 grey
    ///   levels (scaled to [0, 1]), 10 classes. Embedded; always available.
    /// - `fashion-mnist`: the 60,000 training then 10,000 test 28x28 images of
    ///   Zalando's Fashion-MNIST, 10 classes, in one data set; `officialSplit()`
    ///   returns the official (train, test) pair, `split(_:seed:)` a random one.
    /// - `fashion-mnist-train`, `fashion-mnist-test`: the official parts alone.
    /// Fashion-MNIST is read from `$LORA_DATA` (or `$LORA_DATA/fashion-mnist`)
    /// when set, else from Debian's /usr/share/datasets/fashion-mnist, and
    /// cached for the rest of the process.
    /// - `reuters-grain`, `reuters-corn`: texts, the Reuters-21578 ModApte
    ///   articles about grain (or corn) against the rest, training then test
    ///   articles with the official split (see `reuters(_:)`); `-train` and
    ///   `-test` give the official parts alone.
    /// - `fortunes`: the quotations of Debian's fortunes-min, one class; an
    ///   out-of-distribution set for text models (see `fortunes(file:)`).
    public static func load(_ name: String) throws -> Dataset {
        let key = name.lowercased().replacingAll("_", with: "-")
        switch key {
        case "digits": return try digits()
        case "fashion-mnist", "fashionmnist": return try fashionMNIST()
        case "fashion-mnist-train", "fashion-mnist-test":
            if let d = cache.get(key) { return d }
            let (train, test) = try fashionMNIST().officialSplit()
            cache.put("fashion-mnist-train", train)
            cache.put("fashion-mnist-test", test)
            return key.hasSuffix("train") ? train : test
        case "reuters-grain", "reuters-corn": return try reuters(String(key.dropFirst("reuters-".count)))
        case "reuters-grain-train", "reuters-grain-test", "reuters-corn-train", "reuters-corn-test":
            let parts = key.split(separator: "-")
            var (train, test) = try reuters(String(parts[1])).officialSplit()
            train.name = "reuters-\(parts[1])-train"
            test.name = "reuters-\(parts[1])-test"
            return parts[2] == "train" ? train : test
        case "fortunes": return try fortunes()
        default: throw DataError.unknownDataset(name: name, known: names)
        }
    }

    // MARK: digits

    /// The embedded UCI digits: 1797 images 1x8x8, pixels (0...16)/16, classes "0"..."9".
    public static func digits() throws -> Dataset {
        if let d = cache.get("digits") { return d }
        let file = "<embedded digits>"
        let remedy = "the embedded digits are damaged; rebuild lora (scripts/gen_digits.py regenerates them)"
        guard let packed = decodeBase64(DigitsEmbedded.base64) else {
            throw DataError.malformed(file: file, problem: "base64 text is damaged", at: nil, remedy: remedy)
        }
        let raw = try FileBytes.inflateStream(packed, file: file, sizeHint: DigitsEmbedded.rawSize)
        let n = DigitsEmbedded.count, side = DigitsEmbedded.side
        let crc = raw.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        guard raw.count == DigitsEmbedded.rawSize, crc == DigitsEmbedded.crc32 else {
            throw DataError.malformed(file: file, problem: "size or checksum mismatch", at: nil, remedy: remedy)
        }
        let pixels = n * side * side
        let scale = 1 / Float(DigitsEmbedded.levels)
        let images = raw[0..<pixels].map { Float($0) * scale }
        let labels = raw[pixels...].map { Int($0) }
        let d = try Dataset(name: "digits", images: images, labels: labels, channels: 1, height: side, width: side,
                            classNames: (0..<10).map(String.init))
        cache.put("digits", d)
        return d
    }

    // MARK: Fashion-MNIST

    /// Fashion-MNIST's class names, in label order.
    public static let fashionClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    /// Debian's `dataset-fashion-mnist` location.
    public static let fashionSystemDirectory = "/usr/share/datasets/fashion-mnist"
    static let fashionFiles = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]

    /// The folders searched for Fashion-MNIST, in order.
    public static func fashionSearchPath() -> [String] {
        var dirs: [String] = []
        if let env = getenv("LORA_DATA"), case let d = String(cString: env), !d.isEmpty {
            dirs += [d, d + "/fashion-mnist"]
        }
        dirs.append(fashionSystemDirectory)
        return dirs
    }

    /// All 70,000 Fashion-MNIST images (60,000 train then 10,000 test),
    /// pixels / 255, with `officialTestStart` = 60000. From `directory` when
    /// given, else the first folder of `fashionSearchPath()` that holds the
    /// four files (each raw or .gz). Cached per folder for the process.
    public static func fashionMNIST(directory: String? = nil) throws -> Dataset {
        let dirs = directory.map { [$0] } ?? fashionSearchPath()
        var found: (String, [String])?
        for dir in dirs {
            let paths = fashionFiles.compactMap { f in [dir + "/" + f + ".gz", dir + "/" + f].first(where: isFile) }
            if paths.count == 4 { found = (dir, paths); break }
        }
        guard let (dir, paths) = found else {
            throw DataError.missingDataset(name: "fashion-mnist", searched: dirs,
                                           remedy: "install it with `sudo apt-get install dataset-fashion-mnist`, or set LORA_DATA to a folder holding "
                                               + fashionFiles.map { $0 + ".gz" }.joined(separator: ", "))
        }
        let key = "fashion-mnist:" + dir
        if let d = cache.get(key) { return d }
        // Inflate the training and test files on two threads.
        let parts = Mutex([Result<(IDXArray, IDXArray), Error>](repeating: .failure(DataError.notAFile(path: "")), count: 2))
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            let r = Result { (try IDXArray(path: paths[2 * k]), try IDXArray(path: paths[2 * k + 1])) }
            parts.withLock { $0[k] = r }
        }
        let (trainX, trainY) = try parts.withLock { try $0[0].get() }
        let (testX, testY) = try parts.withLock { try $0[1].get() }
        for (x, y, xf, yf) in [(trainX, trainY, paths[0], paths[1]), (testX, testY, paths[2], paths[3])] {
            guard x.type == .uint8, x.dims.count == 3, x.dims[1] == 28, x.dims[2] == 28 else {
                throw DataError.malformed(file: xf, problem: "images are \(x.type) \(x.dims.map(String.init).joined(separator: "x")), not uint8 Nx28x28",
                                          at: .byte(2), remedy: "reinstall dataset-fashion-mnist")
            }
            guard y.dims.count == 1, y.dims[0] == x.dims[0] else {
                throw DataError.mismatch(files: [xf, yf], problem: "\(x.dims[0]) images but labels of shape \(y.dims)",
                                         remedy: "reinstall dataset-fashion-mnist")
            }
        }
        let labels = try trainY.ints() + testY.ints()
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 > 9 }) {
            let (f, at) = bad < trainY.elementCount ? (paths[1], bad) : (paths[3], bad - trainY.elementCount)
            throw DataError.malformed(file: f, problem: "label \(labels[bad]) is not a Fashion-MNIST class (0...9)",
                                      at: .entry(at), remedy: "reinstall dataset-fashion-mnist")
        }
        let nTrain = trainX.elementCount
        guard nTrain > 0, testX.elementCount > 0 else {
            throw DataError.malformed(file: nTrain == 0 ? paths[0] : paths[2], problem: "holds no images", at: .byte(4),
                                      remedy: "reinstall dataset-fashion-mnist")
        }
        let images = [Float](unsafeUninitializedCapacity: nTrain + testX.elementCount) { out, initialized in
            // The two threads write disjoint halves of `out`, which outlives them.
            struct Halves: @unchecked Sendable { let train: UnsafeMutablePointer<Float>, test: UnsafeMutablePointer<Float> }
            let halves = Halves(train: out.baseAddress!, test: out.baseAddress! + nTrain)
            DispatchQueue.concurrentPerform(iterations: 2) { k in
                if k == 0 { trainX.write(into: halves.train, scale: 1 / 255) }
                else { testX.write(into: halves.test, scale: 1 / 255) }
            }
            initialized = nTrain + testX.elementCount
        }
        let d = Dataset(unchecked: "fashion-mnist", images: images, labels: labels,
                        channels: 1, height: 28, width: 28, classNames: fashionClassNames,
                        normalization: nil, officialTestStart: trainY.elementCount)
        cache.put(key, d)
        return d
    }

    // MARK: users' files

    /// Loads an IDX image file and an IDX label file (each raw or gzip).
    /// Images are (N, H, W), (N, C, H, W) or (N, D); `shape` ([H, W] or
    /// [C, H, W]) reshapes each sample. Class names default to "0", "1", ...
    public static func loadIDX(images: String, labels: String, name: String? = nil, classNames: [String]? = nil,
                               shape: [Int]? = nil, scale: PixelScale = .auto) throws -> Dataset {
        try checkScale(scale)
        // Headers first (a gzip file is inflated only that far): counts and
        // sizes are checked before any data is inflated.
        let xf = try IDXFile(path: images)
        let yf = try IDXFile(path: labels)
        guard yf.dims.count == 1 || (yf.dims.count == 2 && yf.dims[1] == 1) else {
            throw DataError.malformed(file: labels, problem: "labels have shape \(yf.dims), expected one label per sample",
                                      at: .byte(3), remedy: "give a 1-dimensional IDX label file")
        }
        guard xf.dims[0] == yf.dims[0] else {
            throw DataError.mismatch(files: [images, labels], problem: "\(xf.dims[0]) images but \(yf.dims[0]) labels",
                                     remedy: "give image and label files of the same data set (same number of samples)")
        }
        try checkSampleSize(Array(xf.dims.dropFirst()), file: images)
        let x = try xf.load()
        let y = try yf.load()
        let values = try pixels(x.floats(), dims: x.dims, file: images, uint8: x.type == .uint8, scale: scale,
                                describe: x.describeElement, byte: { x.offset + $0 * x.type.size })
        return try assemble(name: name ?? baseName(images), values: values, dims: x.dims, labels: y.ints(),
                            imageFile: images, labelFile: labels, classNames: classNames, shape: shape)
    }

    /// Loads NumPy arrays: images (N, H, W), (N, C, H, W) or (N, D), labels (N).
    /// uint8, float32, float64 and int64 in C order.
    public static func loadNPY(images: String, labels: String, name: String? = nil, classNames: [String]? = nil,
                               shape: [Int]? = nil, scale: PixelScale = .auto) throws -> Dataset {
        try checkScale(scale)
        let x = try NPYArray(path: images)
        let y = try NPYArray(path: labels)
        try checkSampleSize(Array(x.shape.dropFirst()), file: images)
        guard y.shape.count == 1 || (y.shape.count == 2 && y.shape[1] == 1) else {
            throw DataError.malformed(file: labels, problem: "labels have shape \(y.shape), expected one label per sample",
                                      at: nil, remedy: "save a 1-dimensional label array")
        }
        let values = try pixels(x.floats(), dims: x.shape, file: images, uint8: x.type == .uint8, scale: scale,
                                describe: x.describeElement, byte: { x.offset + $0 * x.type.size })
        return try assemble(name: name ?? baseName(images), values: values, dims: x.shape, labels: y.ints(),
                            imageFile: images, labelFile: labels, classNames: classNames, shape: shape)
    }

    /// Loads a CSV file with one sample per line: a label column and the
    /// pixels. `label` picks the column; `shape` ([H, W] or [C, H, W]) the
    /// image shape (default: square when the feature count is a square, else
    /// 1 x 1 x D); `header` forces or forbids a header row (nil detects it).
    /// Labels that are all whole numbers >= 0 are class indices; otherwise
    /// the distinct label texts, sorted, become the class names.
    public static func loadCSV(_ path: String, label: LabelColumn = .auto, shape: [Int]? = nil, header: Bool? = nil,
                               scale: PixelScale = .auto, name: String? = nil) throws -> Dataset {
        try checkScale(scale)
        let table = try CSVTable(bytes: FileBytes.read(path), file: path, label: label, header: header)
        let n = table.rowCount
        var classNames: [String]
        var labels: [Int]
        let numeric = table.labelFields.map { parseNumber(Substring($0)) }
        if numeric.allSatisfy({ v in v.map { $0 >= 0 && $0.rounded() == $0 && $0 < 1e9 } ?? false }) {
            labels = numeric.map { Int($0!) }
            classNames = []
        } else {
            classNames = Array(Set(table.labelFields)).sorted()
            var index: [String: Int] = [:]
            for (i, c) in classNames.enumerated() { index[c] = i }
            labels = table.labelFields.map { index[$0]! }
        }
        let dims = [n, table.featureCount]
        return try assemble(name: name ?? baseName(path), values: applyScale(table.features, scale), dims: dims, labels: labels,
                            imageFile: path, labelFile: path, classNames: classNames.isEmpty ? nil : classNames, shape: shape,
                            labelRowOffset: table.header == nil ? 0 : 1)
    }

    // MARK: assembly

    static func assemble(name: String, values: [Float], dims: [Int], labels: [Int], imageFile: String, labelFile: String,
                         classNames: [String]?, shape: [Int]?, labelRowOffset: Int = 0) throws -> Dataset {
        guard let n = dims.first else {
            throw DataError.malformed(file: imageFile, problem: "images are a single number, not an array", at: nil,
                                      remedy: "give an array of shape (N, H, W), (N, C, H, W) or (N, D)")
        }
        guard labels.count == n else {
            throw DataError.mismatch(files: imageFile == labelFile ? [imageFile] : [imageFile, labelFile],
                                     problem: "\(n) images but \(labels.count) labels",
                                     remedy: "give image and label files of the same data set (same number of samples)")
        }
        // Every sample's size is checked before anything uses it: a header may
        // claim 0 samples of (2^32-1)^3 values, a product that overflows.
        let per = try checkSampleSize(Array(dims.dropFirst()), file: imageFile)
        var c = 1, h = 1, w = per
        if let s = shape {
            guard s.count == 2 || s.count == 3, s.allSatisfy({ $0 > 0 }), SizeLimits.product(s) == per else {
                throw DataError.invalidArgument(problem: "shape \(s) does not hold the \(per) values of each sample in \(imageFile)",
                                                remedy: "give [height, width] or [channels, height, width] whose product is \(per)")
            }
            if s.count == 2 { (h, w) = (s[0], s[1]) } else { (c, h, w) = (s[0], s[1], s[2]) }
        } else {
            switch dims.count {
            case 1:
                throw DataError.malformed(file: imageFile, problem: "images are 1-dimensional (\(n) values)", at: nil,
                                          remedy: "give an array of shape (N, H, W), (N, C, H, W) or (N, D)")
            case 2:
                let r = Int(Double(per).squareRoot().rounded())
                if r * r == per { (h, w) = (r, r) }
            case 3: (h, w) = (dims[1], dims[2])
            case 4: (c, h, w) = (dims[1], dims[2], dims[3])
            default:
                throw DataError.malformed(file: imageFile, problem: "images have \(dims.count) dimensions \(dims)", at: nil,
                                          remedy: "give an array of shape (N, H, W), (N, C, H, W) or (N, D), or pass shape:")
            }
        }
        guard per > 0 else {
            throw DataError.malformed(file: imageFile, problem: "images have no pixels (shape \(dims))", at: nil, remedy: "give non-empty images")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 }) {
            throw DataError.malformed(file: labelFile, problem: "label \(labels[bad]) is negative",
                                      at: labelFile == imageFile ? .line(bad + 1 + labelRowOffset, column: nil) : .entry(bad),
                                      remedy: "labels must be class indices 0, 1, 2, ...")
        }
        let maxLabel = labels.max() ?? -1
        let names: [String]
        if let given = classNames {
            guard maxLabel < given.count else {
                let bad = labels.firstIndex(of: maxLabel)!
                throw DataError.malformed(file: labelFile, problem: "label \(maxLabel) has no class name (\(given.count) given)",
                                          at: labelFile == imageFile ? .line(bad + 1 + labelRowOffset, column: nil) : .entry(bad),
                                          remedy: "give one class name per class")
            }
            names = given
        } else {
            guard maxLabel < 65536 else {
                let bad = labels.firstIndex(of: maxLabel)!
                throw DataError.malformed(file: labelFile, problem: "label \(maxLabel) is too large for a class index",
                                          at: labelFile == imageFile ? .line(bad + 1 + labelRowOffset, column: nil) : .entry(bad),
                                          remedy: "labels must be class indices 0, 1, 2, ... (at most 65535)")
            }
            names = (0...max(0, maxLabel)).map(String.init)
        }
        return Dataset(unchecked: name, images: values, labels: labels, channels: c, height: h, width: w,
                       classNames: names, normalization: nil)
    }

    /// The values in one sample of shape `sample`, refused when the product
    /// overflows or exceeds `SizeLimits.maxSampleValues`.
    @discardableResult
    static func checkSampleSize(_ sample: [Int], file: String) throws -> Int {
        guard let per = SizeLimits.product(sample), per <= SizeLimits.maxSampleValues else {
            throw DataError.malformed(file: file, problem: "each sample would hold \(SizeLimits.shapeText(sample)) values, more than the \(grouped(SizeLimits.maxSampleValues)) one image may hold",
                                      at: nil, remedy: "check the file's shape header (it may be damaged)")
        }
        return per
    }

    /// The pixels of a loaded image array (IDX, NPY), scaled: bytes to [0, 1]
    /// under `.auto`, otherwise as `scale` says. A NaN or infinite pixel is an
    /// error naming the pixel, its sample and its byte in `file`.
    static func pixels(_ raw: [Float], dims: [Int], file: String, uint8: Bool, scale: PixelScale,
                       describe: (Int) -> String, byte: (Int) -> Int) throws -> [Float] {
        if let i = firstNonFinite(raw) {
            throw DataError.malformed(file: file, problem: "pixel \(pixelPlace(i, dims: dims)) is \(describe(i)), not a finite number",
                                      at: .byte(byte(i)), remedy: "pixels must be finite numbers; fix or drop that sample")
        }
        return scale == .auto && uint8 ? raw.map { $0 * (1 / 255) } : applyScale(raw, scale)
    }

    /// The index of the first NaN or infinite value.
    static func firstNonFinite(_ v: [Float]) -> Int? {
        v.withUnsafeBufferPointer { p in
            for i in 0..<p.count where !p[i].isFinite { return i }
            return nil
        }
    }

    /// "3 of sample 12" for element `i` of an array whose first dimension counts samples.
    static func pixelPlace(_ i: Int, dims: [Int]) -> String {
        let per = max(1, SizeLimits.product(dims.dropFirst()) ?? 1)
        return "\(i % per) of sample \(i / per)"
    }

    static func grouped(_ n: Int) -> String {
        var s = String(n), out = ""
        while s.count > 3 { out = "," + s.suffix(3) + out; s = String(s.dropLast(3)) }
        return s + out
    }

    static func checkScale(_ scale: PixelScale) throws {
        if case .divide(let d) = scale, !(d > 0 && d.isFinite) {
            throw DataError.invalidArgument(problem: "pixel scale divide(\(d)) is not a positive number", remedy: "e.g. scale: .divide(255)")
        }
    }

    static func applyScale(_ v: [Float], _ scale: PixelScale) -> [Float] {
        switch scale {
        case .none: return v
        case .divide(let d): let inv = 1 / d; return v.map { $0 * inv }
        case .auto:
            var lo = Float.infinity, hi = -Float.infinity, whole = true
            for x in v {
                lo = min(lo, x); hi = max(hi, x)
                if whole && x.rounded() != x { whole = false }
            }
            if lo >= 0 && hi <= 1 { return v }
            if lo >= 0 && hi <= 255 && whole { return v.map { $0 * (1 / 255) } }
            return v
        }
    }

    static func baseName(_ path: String) -> String {
        var s = Substring(path.split(separator: "/").last ?? Substring(path))
        for ext in [".gz", ".npy", ".csv", ".idx"] where s.hasSuffix(ext) { s = s.dropLast(ext.count) }
        return String(s)
    }

    static func isFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    static let cache = DatasetCache()

    /// Forgets cached data sets (Fashion-MNIST holds ~220 MB).
    public static func clearCache() { cache.clear() }
}

/// A process-wide cache of loaded data sets, safe across threads.
final class DatasetCache: Sendable {
    private let store = Mutex<[String: Dataset]>([:])

    func get(_ key: String) -> Dataset? { store.withLock { $0[key] } }
    func put(_ key: String, _ d: Dataset) { store.withLock { $0[key] = d } }
    func clear() { store.withLock { $0 = [:] } }
}

extension String {
    func replacingAll(_ a: Character, with b: Character) -> String { String(map { $0 == a ? b : $0 }) }
}
