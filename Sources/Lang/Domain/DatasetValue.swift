import Data
import Render

/// A data set as the language sees it: `dataset("digits")`, `train[0..<100]`.
public final class DatasetValue: DomainObject {
    public let dataset: Dataset

    public init(_ dataset: Dataset) { self.dataset = dataset }

    public var typeName: String { "Dataset" }
    public var summary: String { dataset.summary }
    public var count: Int? { dataset.count }

    /// The summary, then the first few samples drawn in the terminal (texts: one line each).
    public func echo(_ context: Context) -> String {
        if dataset.isText {
            let p = dataset.textPreview(Array(0..<min(4, dataset.count)), width: context.terminalWidth)
            return p.isEmpty ? dataset.summary : dataset.summary + "\n" + p
        }
        let perRow = max(1, min(6, context.terminalWidth / max(18, dataset.width + 2)))
        return dataset.echo(samples: min(perRow, 4), ansi: Domain.colorMode(context) != .plain)
    }

    static let fieldList: [FieldHelp] = [
        FieldHelp("count", "number of samples"),
        FieldHelp("shape", "[samples, channels, height, width] ([samples] for texts)"),
        FieldHelp("kind", "\"images\" or \"texts\""),
        FieldHelp("texts", "every sample's text (a text data set; nil for images)"),
        FieldHelp("name", "the data set's name"),
        FieldHelp("class_names", "the class names, in label order"),
        FieldHelp("class_counts", "samples per class"),
        FieldHelp("labels", "every sample's label (class index)"),
        FieldHelp("channels", "channels per image (0 for texts)"),
        FieldHelp("height", "image height in pixels (0 for texts)"),
        FieldHelp("width", "image width in pixels (0 for texts)"),
        FieldHelp("normalized", "whether normalize() was applied"),
        FieldHelp("normalization", "the per-channel statistics normalize() applied, as (mean list, std list); nil when not normalized"),
    ]

    /// Computed: `Help` holds default `Value`s, which are not Sendable.
    static var methodList: [Help] { [
        Help("split", [.positional("fraction", "share of the samples in the first part, between 0 and 1"),
                       .named("seed", "random seed (default: the global seed)")],
             summary: "A stratified random split into two data sets (each class split in the same proportion).",
             example: "let (train, test) = digits.split(0.8, seed: 7)", returns: "a tuple (first, second)"),
        Help("classes", [.positional("keep", "class indices (or names) to keep, e.g. [0, 1, 2]")],
             summary: "Keeps only the given classes and relabels them 0, 1, ... in the order given.",
             example: "let small = digits.classes([0, 1, 2])", returns: "a Dataset"),
        Help("normalize", [.named("like", "a normalized Dataset whose statistics to apply (the training set's, for the validation and test sets); default: this set's own")],
             summary: "Standardises each channel to mean 0 and standard deviation 1, with this set's statistics or, with like:, another set's (compute them on the training data, apply them to the rest). Images only.",
             example: "let tr = train.normalize()\nlet te = test.normalize(like: tr)\ntr.normalization", returns: "a Dataset"),
        Help("resize", [.named("to", "new side length in pixels (square images)", .required)],
             summary: "Resizes every image to to x to pixels (bilinear, as torch's interpolate with antialias off). Images only.",
             example: "let big = digits.resize(to: 16)", returns: "a Dataset"),
        Help("shuffle", [.named("seed", "random seed (default: the global seed)")],
             summary: "The samples in a random order.", example: "let s = train.shuffle(seed: 3)", returns: "a Dataset"),
        Help("show", [.positional("count", "how many samples to draw", .defaulted(.int(8)))],
             summary: "Draws the first samples in the terminal with their class names (texts: one line each, cut to the terminal's width).",
             example: "test.show(6)", returns: "nil"),
    ] }

    public var fields: [FieldHelp] { DatasetValue.fieldList }
    public var methods: [Help] { DatasetValue.methodList }

    static var typeHelp: TypeHelp {
        TypeHelp(name: "Dataset", summary: "Images or texts with labels: dataset(\"digits\"), dataset(\"reuters-grain\"), load_idx, load_npy, load_csv, load_arff. Index with d[i] (a Sample) or d[a..<b] (a Dataset).",
                 fields: fieldList, methods: methodList)
    }

    public func field(_ name: String) throws -> Value? {
        let d = dataset
        switch name {
        case "count": return .int(d.count)
        case "shape": return .list(d.shape.map { .int($0) })
        case "kind": return .string(d.isText ? "texts" : "images")
        case "texts": return d.texts.map { .list($0.map { .string($0) }) } ?? .null
        case "name": return .string(d.name)
        case "class_names": return .list(d.classNames.map { .string($0) })
        case "class_counts": return .list(d.classCounts.map { .int($0) })
        case "labels": return .list(d.labels.map { .int($0) })
        case "channels": return .int(d.channels)
        case "height": return .int(d.height)
        case "width": return .int(d.width)
        case "normalized": return .bool(d.normalization != nil)
        case "normalization":
            guard let n = d.normalization else { return .null }
            return .tuple([.list(n.mean.map { .double(Double($0)) }), .list(n.std.map { .double(Double($0)) })])
        default: return nil
        }
    }

    public func call(_ name: String, _ args: Arguments, _ context: Context) throws -> Value {
        switch name {
        case "split":
            let fraction = try args.double("fraction")
            guard fraction > 0, fraction < 1 else {
                throw args.error("fraction", "split fraction must be between 0 and 1 (exclusive), got \(Value.format(fraction))",
                                 remedy: "give the share of the first part, e.g. split(0.8, seed: 1)")
            }
            let (a, b) = try dataset.split(fraction, seed: try Domain.seed(args, context))
            return .tuple([.object(DatasetValue(a)), .object(DatasetValue(b))])
        case "classes":
            let keep = try args.list("keep")
            if keep.allSatisfy({ if case .string = $0 { return true }; return false }) && !keep.isEmpty {
                let names = keep.map { v -> String in if case .string(let s) = v { return s }; return "" }
                return .object(DatasetValue(try dataset.classes(named: names)))
            }
            return .object(DatasetValue(try dataset.classes(try Domain.ints(args, "keep"))))
        case "normalize":
            guard args.has("like") else { return .object(DatasetValue(try dataset.normalized())) }
            let other = try args.object("like", as: DatasetValue.self, typeName: "Dataset").dataset
            guard let stats = other.normalization else {
                throw args.error("like", "'\(other.name)' is not normalized, so it has no statistics to apply",
                                 remedy: "normalize the training set first: let tr = train.normalize(), then normalize(like: tr)")
            }
            if let mine = dataset.normalization {
                if mine == stats { return .object(self) }
                throw args.error("like", "'\(dataset.name)' is already normalized with other statistics",
                                 remedy: "normalize the data set as loaded, not a normalized one")
            }
            guard other.channels == dataset.channels else {
                throw args.error("like", "'\(other.name)' has \(other.channels) channel\(other.channels == 1 ? "" : "s") but '\(dataset.name)' has \(dataset.channels)",
                                 remedy: "use statistics of a data set with the same channels")
            }
            return .object(DatasetValue(try dataset.normalized(using: stats)))
        case "resize":
            let side = try args.int("to")
            guard side >= 1, side <= 1024 else {
                throw args.error("to", "resize(to: \(side)) needs a side between 1 and 1024 pixels")
            }
            return .object(DatasetValue(try dataset.resized(to: side)))
        case "shuffle":
            return .object(DatasetValue(dataset.shuffled(seed: try Domain.seed(args, context))))
        case "show":
            let n = try args.int("count")
            guard n >= 1 else { throw args.error("count", "show() needs a count of at least 1, got \(n)") }
            let picks = Array(0..<min(n, dataset.count))
            context.print(dataset.isText ? dataset.textPreview(picks, width: context.terminalWidth)
                                         : dataset.preview(picks, ansi: Domain.colorMode(context) != .plain))
            return .null
        default:
            throw LangError(.name, "Dataset has no method '\(name)'")
        }
    }

    public func index(_ index: Value) throws -> Value? {
        let n = dataset.count
        switch index {
        case .int(let i):
            let j = i < 0 ? n + i : i
            guard j >= 0, j < n else {
                throw LangError(.index, "index \(i) is out of range for a data set of \(n) samples",
                                remedy: n == 0 ? "the data set is empty" : "use an index in 0..<\(n) (or -1 for the last)")
            }
            return .object(SampleValue(dataset: dataset, index: j))
        case .range(let a, let b):
            guard a >= 0, b <= n, a <= b else {
                throw LangError(.index, "slice \(a)..<\(b) is out of range for a data set of \(n) samples",
                                remedy: "use bounds within 0...\(n)")
            }
            return .object(DatasetValue(try dataset.slice(a..<b)))
        default:
            return nil
        }
    }
}

/// One image or text of a data set with its label: `test[3]`. Pass it to
/// `.attention(x)` or `.predict(x)`.
public final class SampleValue: DomainObject {
    /// The data set holding the sample (a one-sample data set when made from one).
    public let dataset: Dataset
    public let index: Int

    public init(dataset: Dataset, index: Int) {
        self.dataset = dataset
        self.index = index
    }

    /// The image [C, H, W], as the model sees it.
    public var image: [Float] { Array(dataset.image(index)) }
    public var label: Int { dataset.labels[index] }
    /// The text of a text sample; nil for an image.
    public var text: String? { dataset.texts?[index] }
    public var className: String { dataset.classNames[label] }
    /// Grey levels in [0, 1] (H x W) for drawing under heatmaps.
    public var grey: [Float] { dataset.grayscale(index) }

    /// This sample alone, as a one-sample data set (for predictions).
    public var single: Dataset { dataset.subset([index]) }

    public var typeName: String { "Sample" }
    public var summary: String {
        if let t = text {
            let n = t.unicodeScalars.count
            return "sample #\(index) of \(dataset.name): label \(label) (\(className)), text of \(n) character\(n == 1 ? "" : "s")"
        }
        return "sample #\(index) of \(dataset.name): label \(label) (\(className)), \(dataset.channels)x\(dataset.height)x\(dataset.width)"
    }

    /// The summary, then the image drawn, or the text wrapped to the
    /// terminal's width (at most 12 lines; `.text` gives all of it).
    public func echo(_ context: Context) -> String {
        if dataset.isText {
            let lines = dataset.wrappedText(index, width: context.terminalWidth, maxLines: 12)
            return lines.isEmpty ? summary + "\n(empty text)" : summary + "\n" + lines.joined(separator: "\n")
        }
        return summary + "\n" + dataset.preview([index], ansi: Domain.colorMode(context) != .plain)
    }

    static let fieldList: [FieldHelp] = [
        FieldHelp("label", "the class index"),
        FieldHelp("class_name", "the class name"),
        FieldHelp("index", "position in the data set it came from"),
        FieldHelp("shape", "[channels, height, width] (an image)"),
        FieldHelp("pixels", "the pixel values as a list (channel-major; an image)"),
        FieldHelp("text", "the text (a text sample; nil for an image)"),
    ]
    public var fields: [FieldHelp] { SampleValue.fieldList }

    static var typeHelp: TypeHelp {
        TypeHelp(name: "Sample", summary: "One image or text and its label, from data[i]; pass it to model.attention(x) or model.predict(x).",
                 fields: fieldList)
    }

    public func field(_ name: String) throws -> Value? {
        switch name {
        case "label": return .int(label)
        case "class_name": return .string(className)
        case "index": return .int(index)
        case "shape", "pixels":
            if dataset.isText {
                throw LangError(.type, "sample #\(index) of \(dataset.name) is a text, so it has no \(name)", remedy: "use .text")
            }
            return name == "shape" ? .list(dataset.sampleShape.map { .int($0) }) : .list(image.map { .double(Double($0)) })
        case "text": return text.map { .string($0) } ?? .null
        default: return nil
        }
    }
}
