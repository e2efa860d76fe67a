import Foundation
import XCTest
@testable import Lang

/// Data sets in the language: builtins, fields, methods, indexing, errors.
final class DomainDataTests: XCTestCase {
    func testDigitsFieldsSplitAndIndexing() throws {
        let out = try runScript("""
        let d = dataset("digits")
        print(d.count, d.shape, d.class_names[3], len(d))
        let (a, b) = d.split(0.8, seed: 7)
        print(a.count, b.count, a.count + b.count)
        let s = d[5]
        print(type(s), s.label, s.class_name, s.shape, s.index)
        print(d[-1].index, d[10..<25].count, d[0..<0].count)
        print(d.classes([0, 1]).count, d.classes([3, 1]).class_names)
        print(d.normalize().normalized, d.resize(to: 4).shape)
        """)
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "1797 [1797, 1, 8, 8] 3 1797")
        XCTAssertEqual(lines[1], "1438 359 1797")
        XCTAssertTrue(lines[2].hasPrefix("Sample 5 5 [1, 8, 8] 5"), lines[2])
        XCTAssertEqual(lines[3], "1796 15 0")
        XCTAssertEqual(lines[4], "360 [\"3\", \"1\"]")
        XCTAssertEqual(lines[5], "true [1797, 1, 4, 4]")
    }

    func testSplitIsStratifiedAndSeeded() throws {
        let out = try runScript("""
        let d = dataset("digits")
        let (a, b) = d.split(0.5, seed: 3)
        let (c, e) = d.split(0.5, seed: 3)
        let (f, g) = d.split(0.5, seed: 4)
        print(a.labels == c.labels, a.labels == f.labels, a.class_counts)
        """)
        XCTAssertTrue(out.hasPrefix("true false ["), out)
        let counts = out.split(separator: "[")[1].dropLast(2).split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces))! }
        let full = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
        for (c, f) in zip(counts, full) { XCTAssertLessThanOrEqual(abs(2 * c - f), 1) }
    }

    func testEchoShowsSummaryAndSamples() throws {
        let out = try runREPL(["dataset(\"digits\")[0..<3]", "dataset(\"digits\")[7]"])
        XCTAssertTrue(out.contains("digits: 3 images 1x8x8"), out)
        XCTAssertTrue(out.contains("#0 0"), out)
        XCTAssertTrue(out.contains("#2 2"), out)
        XCTAssertTrue(out.contains("sample #7 of digits: label 7"), out)
        XCTAssertFalse(out.contains("\u{1B}["), "plain output when not a terminal")
        XCTAssertTrue(out.contains("@") || out.contains("#"), "pixels are drawn")
    }

    func testPrintDrawsDomainValues() throws {
        let out = try runScript("print(dataset(\"digits\")[0..<2])")
        XCTAssertTrue(out.contains("#1 1"), out)
    }

    func testErrorsNamePlaceAndRemedy() throws {
        var e = scriptError("let d = dataset(\"digts\")")
        XCTAssertEqual(e?.location?.column, 17)
        XCTAssertTrue(e?.message.contains("unknown data set \"digts\"") ?? false, e?.message ?? "")
        XCTAssertEqual(e?.remedy, "did you mean 'digits'?")
        e = scriptError("dataset(3)")
        XCTAssertEqual(e?.kind, .type)
        XCTAssertTrue(e?.message.contains("must be a string") ?? false)
        e = scriptError("dataset(\"digits\")[1797]")
        XCTAssertEqual(e?.kind, .index)
        XCTAssertTrue(e?.message.contains("out of range for a data set of 1797 samples") ?? false)
        e = scriptError("dataset(\"digits\")[5..<2000]")
        XCTAssertEqual(e?.kind, .index)
        e = scriptError("dataset(\"digits\").split(1.5)")
        XCTAssertTrue(e?.message.contains("between 0 and 1") ?? false, e?.message ?? "")
        XCTAssertNotNil(e?.remedy)
        e = scriptError("dataset(\"digits\").classes([12])")
        XCTAssertTrue(e?.message.contains("class 12 is not one of the 10 classes") ?? false, e?.message ?? "")
        e = scriptError("dataset(\"digits\").resize(to: 0)")
        XCTAssertTrue(e?.message.contains("between 1 and 1024") ?? false)
        e = scriptError("dataset(\"digits\").split(0.5, sed: 1)")
        XCTAssertEqual(e?.remedy, "did you mean 'seed'?")
        e = scriptError("dataset(\"digits\").fit()")
        XCTAssertEqual(e?.kind, .name)
    }

    func testMissingFilesAreReported() throws {
        for code in ["load_idx(images: \"/nonexistent/x.idx\", labels: \"/nonexistent/y.idx\")",
                     "load_npy(images: \"/nonexistent/x.npy\", labels: \"/nonexistent/y.npy\")",
                     "load_csv(\"/nonexistent/d.csv\")"] {
            let e = scriptError(code)
            XCTAssertTrue(e?.message.contains("/nonexistent/") ?? false, e?.message ?? "")
            XCTAssertTrue(e?.message.contains("no such file") ?? false, e?.message ?? "")
            XCTAssertEqual(e?.location?.line, 1)
        }
    }

    func testLoadersReadSmallFiles() throws {
        let dir = NSTemporaryDirectory() + "lora-domain-data-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // CSV: header, label column, four pixels (2x2) per line, 0...255.
        try "label,p0,p1,p2,p3\n1,0,255,0,255\n0,255,255,0,0\n1,0,0,255,255\n".write(toFile: dir + "/d.csv", atomically: true, encoding: .utf8)
        // IDX: 3 images of 2x2 uint8 and 3 labels.
        var idxImages: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2]
        idxImages += [0, 255, 0, 255, 255, 255, 0, 0, 0, 0, 255, 255]
        try Data(idxImages).write(to: URL(fileURLWithPath: dir + "/x.idx"))
        try Data([0, 0, 8, 1, 0, 0, 0, 3, 1, 0, 1]).write(to: URL(fileURLWithPath: dir + "/y.idx"))
        // NPY: float32 (3, 2, 2) images and int64 (3,) labels.
        func npy(_ descr: String, _ shape: String, _ payload: [UInt8]) -> Data {
            var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
            while (10 + header.count + 1) % 64 != 0 { header += " " }
            header += "\n"
            var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xff), UInt8(header.count >> 8)]
            bytes += Array(header.utf8) + payload
            return Data(bytes)
        }
        var floats: [Float] = [0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1]
        let fbytes = floats.withUnsafeMutableBytes { Array($0) }
        var labels: [Int64] = [1, 0, 1]
        let lbytes = labels.withUnsafeMutableBytes { Array($0) }
        try npy("<f4", "(3, 2, 2)", fbytes).write(to: URL(fileURLWithPath: dir + "/x.npy"))
        try npy("<i8", "(3,)", lbytes).write(to: URL(fileURLWithPath: dir + "/y.npy"))
        let out = try runScript("""
        let c = load_csv("\(dir)/d.csv", label: "label")
        let i = load_idx(images: "\(dir)/x.idx", labels: "\(dir)/y.idx")
        let n = load_npy(images: "\(dir)/x.npy", labels: "\(dir)/y.npy", classes: ["even", "odd"])
        print(c.shape, c.labels, c[0].pixels)
        print(i.shape, i.labels, i[1].pixels)
        print(n.shape, n.labels, n.class_names, n[2].pixels)
        """)
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "[3, 1, 2, 2] [1, 0, 1] [0.0, 1.0, 0.0, 1.0]")
        XCTAssertEqual(lines[1], "[3, 1, 2, 2] [1, 0, 1] [1.0, 1.0, 0.0, 0.0]")
        XCTAssertEqual(lines[2], "[3, 1, 2, 2] [1, 0, 1] [\"even\", \"odd\"] [0.0, 0.0, 1.0, 1.0]")
        // A damaged file names the file and the problem.
        try Data([0, 0, 8, 3, 0, 0]).write(to: URL(fileURLWithPath: dir + "/bad.idx"))
        let e = scriptError("load_idx(images: \"\(dir)/bad.idx\", labels: \"\(dir)/y.idx\")")
        XCTAssertTrue(e?.message.contains("bad.idx") ?? false, e?.message ?? "")
    }

    func testEveryDomainBuiltinHasHelp() throws {
        let table = BuiltinTable.standard()
        let names = ["dataset", "load_idx", "load_npy", "load_csv", "vit", "load_model", "lora_ensemble", "explicit_ensemble",
                     "mc_dropout", "batch_ensemble", "snapshot_ensemble", "single", "reliability", "ood", "selective", "compare", "curves"]
        for n in names {
            guard let b = table.lookup(n) else { XCTFail("missing builtin \(n)"); continue }
            XCTAssertFalse(b.help.summary.isEmpty, n)
            XCTAssertNotNil(b.help.example, n)
            XCTAssertNotNil(b.help.returns, n)
            let text = b.help.render()
            XCTAssertTrue(text.hasPrefix(n + "("), text)
        }
        let fit = ModelValue.methodList.first { $0.name == "fit" }!.render(owner: "Ensemble")
        XCTAssertTrue(fit.contains("epochs: 1"), fit)
        XCTAssertTrue(fit.contains("lr: 0.001"), fit)
        XCTAssertTrue(fit.contains("Example:"), fit)
        for type in ["Dataset", "Model", "Ensemble", "Report", "Figure", "Attention", "UncertaintyTable"] {
            XCTAssertNotNil(table.types[type], type)
        }
    }
}
