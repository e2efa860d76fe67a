import Foundation
import XCTest
@testable import Data

/// Mutated IDX, NPY and CSV files (raw and gzip), ARFF and text CSV/TSV files through the real loaders,
/// a few thousand seeded cases each in a few seconds: every outcome is a
/// data set whose sizes agree and whose pixels are finite, or a DataError /
/// MemoryShortage with a message. Nothing may crash or allocate without bound.
final class LoaderFuzzTests: XCTestCase {
    /// SplitMix64: small and seeded, so a failure names the case that reproduces it.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
        mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
    }

    let dir = TempDir()

    /// Big-endian or little-endian 32-bit values that size fields love.
    static let hostileWords: [UInt32] = [0, 1, 2, 255, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 60000, 28, 1 << 20]

    /// Applies 1-4 random edits: byte flips, hostile 32-bit words, insertions,
    /// deletions, truncation, duplication of a range.
    static func mutate(_ input: [UInt8], _ g: inout Generator) -> [UInt8] {
        var b = input
        for _ in 0..<(1 + g.below(4)) {
            let at = g.below(b.count + 1)
            switch g.below(7) {
            case 0: if at < b.count { b[at] ^= UInt8(truncatingIfNeeded: 1 << g.below(8)) }
            case 1: if at < b.count { b[at] = UInt8(truncatingIfNeeded: g.next()) }
            case 2:
                let w = g.pick(hostileWords)
                let bytes = g.below(2) == 0 ? [UInt8(w >> 24), UInt8(w >> 16 & 0xFF), UInt8(w >> 8 & 0xFF), UInt8(w & 0xFF)]
                                            : [UInt8(w & 0xFF), UInt8(w >> 8 & 0xFF), UInt8(w >> 16 & 0xFF), UInt8(w >> 24)]
                for (k, v) in bytes.enumerated() where at + k < b.count { b[at + k] = v }
            case 3: b.insert(contentsOf: (0..<g.below(8)).map { _ in UInt8(truncatingIfNeeded: g.next()) }, at: at)
            case 4: b.removeSubrange(at..<min(b.count, at + g.below(16)))
            case 5: b = Array(b.prefix(at))
            default:
                let end = min(b.count, at + g.below(32))
                b.insert(contentsOf: b[at..<end], at: at)
            }
        }
        return b
    }

    /// Writes `bytes` to `name` in the scratch folder with plain stdio (no
    /// atomic rename or sync: thousands of cases must be cheap).
    /// Each case writes fresh names (rewriting a file in place makes ext4
    /// flush it on truncation); `tearDown`'s TempDir removes them.
    var written = 0
    func put(_ name: String, _ bytes: [UInt8]) -> String {
        written += 1
        let path = dir.path + "/\(written)-" + name
        guard let f = fopen(path, "wb") else { fatalError("cannot write \(path)") }
        _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
        return path
    }

    /// A loaded data set must be consistent; an error must be one of ours, with a message.
    func check(_ body: () throws -> Dataset, seed: UInt64, what: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let d = try body()
            XCTAssertEqual(d.images.count, d.count * d.sampleSize, "\(what) seed \(seed)", file: file, line: line)
            XCTAssertTrue(d.images.allSatisfy { $0.isFinite }, "\(what) seed \(seed): non-finite pixel accepted", file: file, line: line)
            XCTAssertTrue(d.labels.allSatisfy { $0 >= 0 && $0 < d.classCount }, "\(what) seed \(seed)", file: file, line: line)
        } catch let e as DataError {
            XCTAssertFalse(e.description.isEmpty, file: file, line: line)
        } catch {
            XCTAssertFalse("\(error)".isEmpty, "\(what) seed \(seed): unexpected error \(error)", file: file, line: line)
        }
    }

    /// Runs `body` on fresh cases until `seconds` or `limit` cases.
    func fuzz(seed: UInt64, seconds: Double = 3, limit: Int = 4000, _ body: (inout Generator, UInt64) -> Void) -> Int {
        var g = Generator(state: seed)
        let deadline = Date().addingTimeInterval(seconds)
        var cases = 0
        // Keep gzip inflation and resizes small however the sizes are mutated.
        setenv("LORA_MEMORY_LIMIT", "256M", 1)
        defer { unsetenv("LORA_MEMORY_LIMIT") }
        var slowest = (seconds: 0.0, seed: seed)
        while Date() < deadline && cases < limit {
            let s = g.state
            let start = Date()
            body(&g, s)
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] { unlink(dir.path + "/" + entry) }
            let took = Date().timeIntervalSince(start)
            if took > slowest.seconds { slowest = (took, s) }
            cases += 1
        }
        // A hang would show as one case taking most of the time.
        XCTAssertLessThan(slowest.seconds, 1, "case with generator state \(slowest.seed) took \(slowest.seconds) s")
        print("NOTICE: slowest case \(String(format: "%.1f", slowest.seconds * 1000)) ms (state \(slowest.seed))")
        return cases
    }

    func testMutatedIDXFilesNeverCrash() {
        let images: [[UInt8]] = [
            idxBytes(dims: [3, 2, 2], data: Array(0..<12)),
            idxBytes(type: 0x0D, dims: [2, 1, 2], data: float32BE(0.5) + float32BE(1) + float32BE(0) + float32BE(0.25)),
            idxBytes(type: 0x0E, dims: [2, 2], data: float64BE(1) + float64BE(2) + float64BE(3) + float64BE(4)),
            idxBytes(type: 0x0B, dims: [2, 1, 1, 2], data: [0, 1, 0, 2, 0, 3, 0, 4]),
        ]
        let labels = idxBytes(dims: [3], data: [0, 1, 2])
        let labels2 = idxBytes(dims: [2], data: [1, 0])
        let n = fuzz(seed: 0x1D7) { g, seed in
            let k = g.below(images.count)
            var x = LoaderFuzzTests.mutate(images[k], &g)
            var y = g.below(4) == 0 ? LoaderFuzzTests.mutate(k == 0 ? labels : labels2, &g) : (k == 0 ? labels : labels2)
            if g.below(3) == 0 { x = gzipStored(g.below(2) == 0 ? images[k] : x); if g.below(2) == 0 { x = LoaderFuzzTests.mutate(x, &g) } }
            if g.below(8) == 0 { y = gzipStored(y) }
            let xp = put("x.idx", x), yp = put("y.idx", y)
            check({ try Datasets.loadIDX(images: xp, labels: yp) }, seed: seed, what: "IDX")
        }
        XCTAssertGreaterThan(n, 200)
        print("NOTICE: \(n) mutated IDX cases")
    }

    func testMutatedNPYFilesNeverCrash() {
        let images: [[UInt8]] = [
            npyBytes("|u1", "(3, 2, 2)", Array(0..<12)),
            npyBytes("<f4", "(2, 1, 2)", float32LE(0.5) + float32LE(1) + float32LE(0) + float32LE(0.25)),
            npyBytes("<f8", "(2, 2)", (0..<4).flatMap { i -> [UInt8] in Array(float64BE(Double(i)).reversed()) }),
            npyBytes("<i8", "(2, 1, 1, 1)", [5, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0]),
        ]
        let labels = npyBytes("|u1", "(3,)", [0, 1, 2])
        let labels2 = npyBytes("<i8", "(2,)", [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        let n = fuzz(seed: 0x4E9) { g, seed in
            let k = g.below(images.count)
            var x = LoaderFuzzTests.mutate(images[k], &g)
            // Also edit the header's text: shapes, dtypes, orders.
            if g.below(3) == 0, var text = String(bytes: x, encoding: .isoLatin1) {
                let swaps = [("(3, 2, 2)", "(0, 1000000000, 1, 1)"), ("(2, 2)", "(2, -1)"), ("<f4", ">f4"), ("False", "True"),
                             ("(2, 1, 2)", "(4000000000, 4000000000)"), ("<f8", "<c16"), ("(2, 1, 1, 1)", "()")]
                let (a, b) = g.pick(swaps)
                text = text.replacingOccurrences(of: a, with: b)
                x = Array(text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
            }
            let y = g.below(4) == 0 ? LoaderFuzzTests.mutate(k == 0 ? labels : labels2, &g) : (k == 0 ? labels : labels2)
            if g.below(5) == 0 { x = gzipStored(x) }
            let xp = put("x.npy", x), yp = put("y.npy", y)
            check({ try Datasets.loadNPY(images: xp, labels: yp) }, seed: seed, what: "NPY")
        }
        XCTAssertGreaterThan(n, 200)
        print("NOTICE: \(n) mutated NPY cases")
    }

    func testMutatedCSVFilesNeverCrash() {
        let seeds = [
            "label,a,b,c,d\n0,1,2,3,4\n1,0.5,0.25,1e-3,-2\n2,255,0,12,7\n",
            "x1,x2,class\n0.1,0.2,cat\n0.3,0.4,dog\n\"0.5\",0.6,\"cat\"\n",
            "# comment\n1,2,3,4,5\n\n0,4,3,2,1\r\n",
        ]
        let fragments = ["1e400", "0x10", "nan", "-inf", "\"", ",", "\n", "\r\n", "\0", "1e-400", "99999999999999999999999", "+", ".", "e5", "#", "\u{FEFF}", "é"]
        let n = fuzz(seed: 0xC57) { g, seed in
            var text = Array(g.pick(seeds).utf8)
            if g.below(2) == 0 {
                text = LoaderFuzzTests.mutate(text, &g)
            } else {
                for _ in 0..<(1 + g.below(3)) {
                    let at = g.below(text.count + 1)
                    text.insert(contentsOf: Array(g.pick(fragments).utf8), at: at)
                }
            }
            if g.below(6) == 0 { text = gzipStored(text) }
            let p = put("f.csv", text)
            let label: LabelColumn = g.pick([.auto, .index(0), .index(-1), .name("class")])
            let shape: [Int]? = g.pick([nil, [2, 2], [1, 2, 2], [4611686018427387905, 2, 2], [1, 1, 4]])
            check({ try Datasets.loadCSV(p, label: label, shape: shape) }, seed: seed, what: "CSV")
        }
        XCTAssertGreaterThan(n, 200)
        print("NOTICE: \(n) mutated CSV cases")
    }
    /// A loaded text data set must be consistent: one label per text, labels
    /// within the classes, every text non-empty and within the length limit.
    func checkText(_ body: () throws -> Dataset, seed: UInt64, what: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let d = try body()
            let texts = d.texts ?? []
            XCTAssertEqual(texts.count, d.count, "\(what) seed \(seed)", file: file, line: line)
            XCTAssertGreaterThan(d.count, 0, "\(what) seed \(seed): an empty data set loaded", file: file, line: line)
            XCTAssertTrue(d.labels.allSatisfy { $0 >= 0 && $0 < d.classCount }, "\(what) seed \(seed)", file: file, line: line)
            XCTAssertTrue(texts.allSatisfy { !$0.allSatisfy(\.isWhitespace) && $0.utf8.count <= Dataset.maxTextBytes },
                          "\(what) seed \(seed): an empty or over-long text loaded", file: file, line: line)
        } catch let e as DataError {
            XCTAssertFalse(e.description.isEmpty, file: file, line: line)
        } catch {
            XCTAssertFalse("\(error)".isEmpty, "\(what) seed \(seed): unexpected error \(error)", file: file, line: line)
        }
    }

    func testMutatedARFFFilesNeverCrash() {
        let seeds = [
            "% news\n@relation 'tiny texts'\n@attribute id numeric\n@attribute body string\n@attribute topic {grain, 'not grain'}\n@data\n1,'Wheat rose.\\n',grain\n2,\"Say \\\"no\\\"\",'not grain'\n",
            "@RELATION r\n@ATTRIBUTE t STRING\n@ATTRIBUTE d DATE \"yyyy-MM-dd\"\n@ATTRIBUTE c {a,b,c}\n@DATA\n'caf\u{e9} \u{4e2d}','2020-01-01',a % comment\n plain , ?, b\n\r\n'x',?,c\n",
            "@relation s\n@attribute text string\n@attribute label {0,1}\n@data\n{0 'sparse', 1 1}\n'ok',1\n",
        ]
        let fragments = ["'", "\"", "\\", "{", "}", "%", "?", ",", "\n", "\r", "\0", "@data\n", "@attribute x string\n",
                         "@attribute y {}\n", "@attribute z relational\n", "\u{FEFF}", "\u{e9}", "''", "{a,", " string", "@end\n"]
        let n = fuzz(seed: 0xA2FF) { g, seed in
            var text = Array(g.pick(seeds).utf8)
            if g.below(2) == 0 {
                text = LoaderFuzzTests.mutate(text, &g)
            } else {
                for _ in 0..<(1 + g.below(3)) {
                    let at = g.below(text.count + 1)
                    text.insert(contentsOf: Array(g.pick(fragments).utf8), at: at)
                }
            }
            if g.below(8) == 0 { text.insert(contentsOf: [0xC3, 0x28, 0xFF], at: g.below(text.count + 1)) }   // not UTF-8
            let p = put("f.arff", text)
            let (t, l): (String?, String?) = g.pick([(nil, nil), ("body", "topic"), ("t", "c"), ("text", "label"), ("id", nil), (nil, "id")])
            checkText({ try Datasets.loadARFF(p, text: t, label: l) }, seed: seed, what: "ARFF")
        }
        XCTAssertGreaterThan(n, 200)
        print("NOTICE: \(n) mutated ARFF cases")
    }

    func testMutatedTextCSVFilesNeverCrash() {
        let seeds = [
            "text,label\nWheat rose.,grain\n\"Say \"\"no\"\", then\nleft\",other\n",
            "id\ttext\tlabel\n1\tcaf\u{e9} \u{4e2d}\ta\n2\tplain\tb\r\n",
            "label;text\nx;\"a;b\"\ny;\"multi\rline\"\n",
        ]
        let fragments = ["\"", ",", ";", "\t", "\n", "\r\n", "\r", "\0", "\u{FEFF}", "\u{e9}", "\"\"", " ", "text", "label"]
        let n = fuzz(seed: 0x7E47) { g, seed in
            var text = Array(g.pick(seeds).utf8)
            if g.below(2) == 0 {
                text = LoaderFuzzTests.mutate(text, &g)
            } else {
                for _ in 0..<(1 + g.below(3)) {
                    text.insert(contentsOf: Array(g.pick(fragments).utf8), at: g.below(text.count + 1))
                }
            }
            if g.below(8) == 0 { text.insert(contentsOf: [0xC3, 0x28, 0xFF], at: g.below(text.count + 1)) }
            let p = put(g.pick(["f.csv", "f.tsv"]), text)
            let delimiter: Character? = g.pick([nil, ",", "\t", ";"])
            let column: LabelColumn = g.pick([.auto, .index(0), .index(1), .index(-1), .name("text"), .name("label")])
            checkText({ try Datasets.loadTextCSV(p, text: column, label: g.pick([.auto, .index(-1), .name("label")]), delimiter: delimiter) },
                      seed: seed, what: "text CSV")
        }
        XCTAssertGreaterThan(n, 200)
        print("NOTICE: \(n) mutated text CSV cases")
    }
}
