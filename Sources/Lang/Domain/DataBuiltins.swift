import Data

/// `dataset`, `load_idx`, `load_npy`, `load_csv`.
enum DataBuiltins {
    static func install(_ t: BuiltinTable) {
        t.register(Help("dataset", [.positional("name", "\"digits\" (embedded, 1,797 8x8 images) or \"fashion-mnist\" (70,000 28x28; also \"fashion-mnist-train\", \"fashion-mnist-test\")")],
                        summary: "Loads a built-in data set.",
                        example: "let digits = dataset(\"digits\")\nlet (train, test) = digits.split(0.8, seed: 7)",
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
        t.register(Help("load_csv", [.positional("path", "a CSV file: one sample per line, a label column and the pixels"),
                                     .named("label", "the label column: a name from the header, or an index (-1 = last); default: a header column named label, class, target or y"),
                                     .named("shape", "[H, W] or [C, H, W] of each sample (default: square when possible)")],
                        summary: "Loads a CSV data set; whole-number 0...255 pixels are scaled to [0, 1].",
                        example: "let d = load_csv(\"digits.csv\", label: \"label\")", returns: "a Dataset")) { args, _ in
            var column = LabelColumn.auto
            if let v = args.optional("label") {
                switch v {
                case .string(let s): column = .name(s)
                case .int(let i): column = .index(i)
                default: throw args.error("label", "label must be a column name or index, not \(v.typeWithArticle)")
                }
            }
            return .object(DatasetValue(try Datasets.loadCSV(Domain.path(args, "path"), label: column, shape: try shape(args))))
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
