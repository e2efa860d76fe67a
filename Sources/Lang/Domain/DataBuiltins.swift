import Data

/// `dataset`, `load_idx`, `load_npy`, `load_csv` (images or texts), `load_arff`.
enum DataBuiltins {
    static func install(_ t: BuiltinTable) {
        t.register(Help("dataset", [.positional("name", "images: \"digits\" (embedded, 1,797 8x8) or \"fashion-mnist\" (70,000 28x28; also \"fashion-mnist-train\", \"fashion-mnist-test\"); "
                                                + "texts: \"reuters-grain\" or \"reuters-corn\" (2,158 Reuters-21578 news articles, about the topic or not; also with -train, -test), "
                                                + "\"fortunes\" (431 quotations of Debian's fortunes-min, one class: out-of-distribution text)")],
                        summary: "Loads a built-in data set.",
                        example: "let digits = dataset(\"digits\")\nlet (train, test) = digits.split(0.8, seed: 7)\nlet news = dataset(\"reuters-grain-train\")",
                        returns: "a Dataset")) { args, _ in
            let name = try args.string("name")
            do {
                return .object(DatasetValue(try Datasets.load(name)))
            } catch DataError.unknownDataset(_, let known) {
                throw args.error("name", "unknown data set \(Value.quote(name))",
                                 remedy: Suggest.didYouMean(name, in: known) ?? "known data sets: " + known.joined(separator: ", "))
            }
        }
        t.register(Help("load_idx", [.named("images", "path of the IDX image file (raw or .gz)", .required),
                                     .named("labels", "path of the IDX label file (raw or .gz)", .required),
                                     .named("shape", "[H, W] or [C, H, W] of each sample (default: from the file)"),
                                     .named("classes", "class names, in label order (default \"0\", \"1\", ...)")],
                        summary: "Loads images and labels in the IDX format of MNIST; uint8 pixels are scaled to [0, 1].",
                        example: "let train = load_idx(images: \"train-images-idx3-ubyte.gz\", labels: \"train-labels-idx1-ubyte.gz\")",
                        returns: "a Dataset")) { args, _ in
            .object(DatasetValue(try Datasets.loadIDX(images: Domain.path(args, "images"), labels: Domain.path(args, "labels"),
                                                      classNames: try classNames(args), shape: try shape(args))))
        }
        t.register(Help("load_npy", [.named("images", "path of a .npy array (N, H, W), (N, C, H, W) or (N, D)", .required),
                                     .named("labels", "path of a .npy array of N labels", .required),
                                     .named("shape", "[H, W] or [C, H, W] of each sample (default: from the array)"),
                                     .named("classes", "class names, in label order")],
                        summary: "Loads NumPy arrays (uint8, float32, float64, int64; C order); uint8 pixels are scaled to [0, 1].",
                        example: "let d = load_npy(images: \"x.npy\", labels: \"y.npy\")", returns: "a Dataset")) { args, _ in
            .object(DatasetValue(try Datasets.loadNPY(images: Domain.path(args, "images"), labels: Domain.path(args, "labels"),
                                                      classNames: try classNames(args), shape: try shape(args))))
        }
        t.register(Help("load_csv", [.positional("path", "a CSV file: one sample per line, a label column and the pixels (or, with text:, a text column)"),
                                     .named("label", "the label column: a name from the header, or an index (-1 = last); default: a header column named label, class, target or y"),
                                     .named("shape", "[H, W] or [C, H, W] of each sample (default: square when possible)"),
                                     .named("text", "the text column (a header name or an index): loads texts instead of images, from CSV or TSV with quoted fields that may span lines"),
                                     .named("delimiter", "with text: the field separator (default: a tab for .tsv files, else a comma)")],
                        summary: "Loads a CSV data set; whole-number 0...255 pixels are scaled to [0, 1]. With text: the rows are labelled texts (the distinct labels, sorted, are the classes, or whole-number labels are class indices).",
                        example: "let d = load_csv(\"digits.csv\", label: \"label\")\nlet reviews = load_csv(\"reviews.tsv\", text: \"review\", label: \"stars\")",
                        returns: "a Dataset")) { args, _ in
            let label = try column(args, "label") ?? .auto
            if let text = try column(args, "text") {
                if args.has("shape") { throw args.error("shape", "shape: is for images; a text data set has no shape", remedy: "leave out shape: when giving text:") }
                var delimiter: Character?
                if args.has("delimiter") {
                    let d = try args.string("delimiter")
                    guard d.count == 1, let c = d.first, c.isASCII, c != "\"", c != "\n" else {
                        throw args.error("delimiter", "the delimiter must be one ASCII character other than a quote or a line break, got \(Value.quote(d))",
                                         remedy: "e.g. delimiter: \",\", delimiter: \"\\t\" or delimiter: \";\"")
                    }
                    delimiter = c
                }
                return .object(DatasetValue(try Datasets.loadTextCSV(Domain.path(args, "path"), text: text, label: label, delimiter: delimiter)))
            }
            if args.has("delimiter") { throw args.error("delimiter", "delimiter: is for text files", remedy: "give text: \"column\" to load texts, or leave out delimiter:") }
            return .object(DatasetValue(try Datasets.loadCSV(Domain.path(args, "path"), label: label, shape: try shape(args))))
        }
        t.register(Help("load_arff", [.positional("path", "an ARFF file (Weka's format) with a string attribute and a nominal one"),
                                      .named("text", "the string attribute holding the texts (default: the first string attribute)"),
                                      .named("label", "the nominal attribute holding the labels (default: the last nominal attribute); its declared values are the class names")],
                        summary: "Loads labelled texts from an ARFF file: @attribute lines, then @data with one instance per line.",
                        example: "let d = load_arff(\"ReutersGrain-train.arff\", text: \"Text\", label: \"class-att\")", returns: "a Dataset")) { args, _ in
            .object(DatasetValue(try Datasets.loadARFF(Domain.path(args, "path"), text: try args.optionalString("text"),
                                                       label: try args.optionalString("label"))))
        }
    }

    /// A column given by name or index, nil when not given.
    static func column(_ args: Arguments, _ name: String) throws -> LabelColumn? {
        guard let v = args.optional(name) else { return nil }
        switch v {
        case .string(let s): return .name(s)
        case .int(let i): return .index(i)
        default: throw args.error(name, "\(name) must be a column name or index, not \(v.typeWithArticle)")
        }
    }

    static func shape(_ args: Arguments) throws -> [Int]? {
        guard args.has("shape") else { return nil }
        let s = try Domain.ints(args, "shape")
        guard s.count == 2 || s.count == 3, s.allSatisfy({ $0 >= 1 }) else {
            throw args.error("shape", "shape must be [height, width] or [channels, height, width] with positive sizes, got \(s)")
        }
        return s
    }

    static func classNames(_ args: Arguments) throws -> [String]? {
        guard args.has("classes") else { return nil }
        return try args.list("classes").map { v -> String in
            if case .string(let s) = v { return s }
            throw args.error("classes", "classes must be a list of names (strings), but it holds \(v.typeWithArticle)")
        }
    }
}
