import XCTest
@testable import Data

/// CSV/TSV and ARFF text loaders against references written by Python
/// (scripts/gen_text_data_fixtures.py), the built-in text sets, and bad input.
final class TextLoaderTests: XCTestCase {
    let dir = TempDir()

    /// Class indices of label strings whose class names are the sorted distinct labels.
    func sortedIndices(_ labels: [String]) -> (classes: [String], labels: [Int]) {
        let classes = Array(Set(labels)).sorted()
        return (classes, labels.map { classes.firstIndex(of: $0)! })
    }

    func testCSVAndTSVMatchPythonsCSVModule() throws {
        let cases: [(String, String, [String], [String], Character?)] = [
            ("a.csv", TextFixtures.csvFile, TextFixtures.csvTexts, TextFixtures.csvLabels, nil),
            ("a.tsv", TextFixtures.tsvFile, TextFixtures.tsvTexts, TextFixtures.tsvLabels, nil),     // a tab, from the extension
            ("a.txt", TextFixtures.semicolonFile, TextFixtures.semicolonTexts, TextFixtures.semicolonLabels, ";"),
        ]
        for (file, b64, texts, labels, delimiter) in cases {
            let path = dir.base64(file, b64)
            let d = try Datasets.loadTextCSV(path, text: .name("text"), label: .name("label"), delimiter: delimiter)
            XCTAssertEqual(d.texts, texts, file)
            let ref = sortedIndices(labels)
            XCTAssertEqual(d.classNames, ref.classes, file)
            XCTAssertEqual(d.labels, ref.labels, file)
            XCTAssertEqual(d.name, "a")
        }
        // Columns by index (negative from the end), and the automatic choice by header name.
        let path = dir.base64("b.csv", TextFixtures.csvFile)
        let byIndex = try Datasets.loadTextCSV(path, text: .index(0), label: .index(-2))
        XCTAssertEqual(byIndex.texts, TextFixtures.csvTexts)
        XCTAssertEqual(try Datasets.loadTextCSV(path).texts, TextFixtures.csvTexts)
        // The id column as labels: whole numbers are class indices.
        let ids = try Datasets.loadTextCSV(path, text: .name("text"), label: .name("ID"))
        XCTAssertEqual(ids.labels, Array(1...8))
        XCTAssertEqual(ids.classNames, (0...8).map(String.init))
    }

    func testLenientCSVReadsAsPythonDoes() throws {
        let path = dir.base64("l.csv", TextFixtures.lenientFile)
        let d = try Datasets.loadTextCSV(path, text: .name("text"), label: .name("label"))
        XCTAssertEqual(d.texts, TextFixtures.lenientTexts)
        XCTAssertEqual(d.labels, sortedIndices(TextFixtures.lenientLabels).labels)
    }

    func testARFFMatchesAnIndependentReader() throws {
        let path = dir.base64("tiny.arff", TextFixtures.arffFile)
        let d = try Datasets.loadARFF(path)                 // first string attribute, last nominal attribute
        XCTAssertEqual(d.texts, TextFixtures.arffTexts)
        XCTAssertEqual(d.labels, TextFixtures.arffLabels)
        XCTAssertEqual(d.classNames, TextFixtures.arffClasses)
        XCTAssertEqual(d.name, "tiny")
        let named = try Datasets.loadARFF(path, text: "BODY", label: "sentiment")   // names match without case too
        XCTAssertEqual(named.texts, TextFixtures.arffTexts)
        // The 'source' attribute has a missing value (?) in the second instance (line 13).
        XCTAssertEqual(TextFixtures.arffSourceTexts[1], nil)
        assertDataError(try Datasets.loadARFF(path, text: "source"), ["tiny.arff at line 13, column 3", "the text ('source') is missing (?)"])
        assertDataError(try Datasets.loadARFF(path, text: "score"), ["'score'", "is numeric, not string"])
        assertDataError(try Datasets.loadARFF(path, label: "body"), ["'body'", "is string, not nominal"])
        assertDataError(try Datasets.loadARFF(path, text: "bdy"), ["no text attribute named 'bdy' (closest: 'body')", "attributes: 'doc id', 'body'"])
    }

    func testReutersCountsMatchAnIndependentReader() throws {
        try XCTSkipUnless(TextFixtures.reutersAvailable, "the fixtures were made without the Reuters files")
        let cases = [("grain", TextFixtures.reutersGrainCounts, TextFixtures.reutersGrainCharacters, TextFixtures.reutersGrainFirstTexts),
                     ("corn", TextFixtures.reutersCornCounts, TextFixtures.reutersCornCharacters, TextFixtures.reutersCornFirstTexts)]
        for (topic, counts, characters, first) in cases {
            let d: Dataset
            do {
                d = try Datasets.load("reuters-" + topic)
            } catch let e as DataError {
                print("NOTICE: the Reuters ARFF files are missing (./scripts/test fetches them): \(e)")
                throw XCTSkip("Reuters not installed")
            }
            XCTAssertTrue(d.isText)
            XCTAssertEqual(d.classNames, ["other", topic])
            XCTAssertEqual(d.officialTestStart, counts[0][0] + counts[0][1])
            let (train, test) = try d.officialSplit()
            for (k, part) in [train, test].enumerated() {
                XCTAssertEqual(part.classCounts, counts[k], topic)
                XCTAssertEqual(part.texts!.reduce(0) { $0 + $1.unicodeScalars.count }, characters[k], topic)
                XCTAssertEqual(String(String.UnicodeScalarView(part.texts![0].unicodeScalars.prefix(60))), first[k])
            }
            let named = try Datasets.load("reuters-\(topic)-test")
            XCTAssertEqual(named.name, "reuters-\(topic)-test")
            XCTAssertEqual(named.texts, test.texts)
        }
        // Recorded from the generator's reader (Debian weka 3.6.14): train + test per class.
        XCTAssertEqual(TextFixtures.reutersGrainCounts, [[1451, 103], [547, 57]])
        XCTAssertEqual(TextFixtures.reutersCornCounts, [[1509, 45], [580, 24]])
    }

    func testFortunes() throws {
        try XCTSkipUnless(TextFixtures.fortunesAvailable, "the fixtures were made without fortunes-min")
        let d = try Datasets.load("fortunes")
        XCTAssertEqual(d.count, TextFixtures.fortunesCount)
        XCTAssertEqual(d.classNames, ["fortune"])
        XCTAssertEqual(Set(d.labels), [0])
        XCTAssertEqual(d.texts!.first, TextFixtures.fortunesFirst)
        XCTAssertEqual(d.texts!.last, TextFixtures.fortunesLast)
        XCTAssertEqual(d.texts!.reduce(0) { $0 + $1.unicodeScalars.count }, TextFixtures.fortunesCharacters)
        XCTAssertTrue(d.texts!.contains(TextFixtures.fortunesOverstruck))    // backspaces resolved
        // A one-class set still splits, shuffles and selects.
        let (a, b) = try d.split(0.5, seed: 1)
        XCTAssertEqual(a.count + b.count, d.count)
        XCTAssertEqual(try d.classes(named: ["fortune"]).count, d.count)
    }

    func testFortuneFileFormat() throws {
        let path = dir.write("f", text: "First\n  indented\n%\n%\n\nSecond_\u{8}X\n\n%\r\nThird\n")
        let d = try Datasets.fortunes(file: path)
        XCTAssertEqual(d.texts, ["First\n  indented", "SecondX", "Third"])
    }

    func testMissingBuiltinsSayHowToInstall() {
        assertDataError(try Datasets.reuters("grain", directory: dir.path + "/none"),
                        ["data set 'reuters-grain' is not installed", "apt-get download weka", "scripts/test", "LORA_DATA", "ReutersGrain-train.arff"])
        assertDataError(try Datasets.fortunes(file: dir.path + "/none"),
                        ["data set 'fortunes' is not installed", "apt-get install fortunes-min"])
        assertDataError(try Datasets.reuters("wheat"), ["unknown data set 'reuters-wheat'", "reuters-corn", "reuters-grain"])
        assertDataError(try Datasets.load("reuters"), ["unknown data set 'reuters'", "reuters-grain", "fortunes"])
    }

    // MARK: bad input

    func testEmptyFileAndHeaderOnly() {
        assertDataError(try Datasets.loadTextCSV(dir.write("e.csv", text: "")), ["e.csv", "the file is empty"])
        assertDataError(try Datasets.loadTextCSV(dir.write("e2.csv", text: "\n\n")), ["the file is empty"])
        assertDataError(try Datasets.loadTextCSV(dir.write("h.csv", text: "text,label\n")),
                        ["h.csv at line 2", "header but no rows of data"])
        assertDataError(try Datasets.loadARFF(dir.write("e.arff", text: "")), ["e.arff", "the file is empty"])
        assertDataError(try Datasets.loadARFF(dir.write("h.arff", text: "@relation r\n@attribute t string\n@attribute c {a,b}\n@data\n% none\n")),
                        ["h.arff at line 4", "no instances after @data"])
    }

    func testMissingColumnSuggestsClosestNames() {
        let path = dir.write("c.csv", text: "Text,Label,title\nhello,a\n")
        assertDataError(try Datasets.loadTextCSV(path, text: .name("txt"), label: .name("label")),
                        ["c.csv at line 1", "no text column named 'txt' (closest: 'Text')", "columns: 'Text', 'Label', 'title'"])
        assertDataError(try Datasets.loadTextCSV(path, text: .name("text"), label: .name("lable")),
                        ["no label column named 'lable' (closest: 'Label')"])
        assertDataError(try Datasets.loadTextCSV(path, text: .index(5), label: .auto), ["text column 5 is outside the 3 columns"])
        assertDataError(try Datasets.loadTextCSV(dir.write("n.csv", text: "a,b\nx,y\n")), ["cannot tell which column holds the text", "columns: 'a', 'b'"])
        assertDataError(try Datasets.loadTextCSV(path, text: .name("text"), label: .name("text")), ["the text and the label are the same column"])
        // A row with the wrong number of fields.
        assertDataError(try Datasets.loadTextCSV(path), ["c.csv at line 2", "the row has 2 fields but the first row has 3"])
    }

    func testTextNotUTF8NamesFileAndLine() {
        var bytes = Array("text,label\nfine,a\n\"two\nlines \u{e9}".utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array(" bad\",b\n".utf8)
        let path = dir.write("u.csv", bytes)
        // The bad byte is on the fourth line, inside a field that starts on the third.
        assertDataError(try Datasets.loadTextCSV(path), ["u.csv at line 4, column 1", "the text is not valid UTF-8 (bytes FF FE", "iconv"])
        var arff = Array("@relation r\n@attribute t string\n@attribute c {a,b}\n@data\n'ok',a\n'".utf8)
        arff += [0xC3, 0x28]
        arff += Array("',b\n".utf8)
        assertDataError(try Datasets.loadARFF(dir.write("u.arff", arff)), ["u.arff at line 6, column 1", "not valid UTF-8 (bytes C3 28)"])
        let label = Array("text,label\nfine,".utf8) + [0xE9] + [0x0A]
        assertDataError(try Datasets.loadTextCSV(dir.write("l.csv", label)), ["l.csv at line 2, column 2", "the label is not valid UTF-8"])
    }

    /// Empty texts (and texts of white space only) are refused with the file,
    /// the line and the column: the model would read nothing but [CLS] and [SEP].
    func testEmptyTextFieldsNameFileLineAndRemedy() {
        assertDataError(try Datasets.loadTextCSV(dir.write("e.csv", text: "text,label\nfine,a\n,b\n")),
                        ["e.csv at line 3, column 1", "the text is empty", "give every row a text, or remove the row"])
        assertDataError(try Datasets.loadTextCSV(dir.write("q.csv", text: "label,text\na,fine\nb,\"\"\n")),
                        ["q.csv at line 3, column 2", "the text is empty"])
        assertDataError(try Datasets.loadTextCSV(dir.write("s.tsv", text: "text\tlabel\nfine\ta\n\"  \n\t \"\tb\n")),
                        ["s.tsv at line 3, column 1", "the text is only white space"])
        let header = "@relation r\n@attribute t string\n@attribute c {a,b}\n@data\n'ok',a\n"
        assertDataError(try Datasets.loadARFF(dir.write("e.arff", text: header + "'',b\n")),
                        ["e.arff at line 6, column 1", "the text is empty", "remove the row"])
        assertDataError(try Datasets.loadARFF(dir.write("s.arff", text: header + "'\\n\\t ',b\n")),
                        ["s.arff at line 6, column 1", "the text is only white space"])
        assertDataError(try Datasets.loadARFF(dir.write("m.arff", text: header + "?,b\n")),
                        ["m.arff at line 6, column 1", "the text ('t') is missing (?)", "give every instance a text, or remove it"])
        // One visible character is a text.
        XCTAssertEqual(try Datasets.loadTextCSV(dir.write("one.csv", text: "text,label\n.,a\n")).texts, ["."])
    }

    func testTextOverTheLengthLimit() {
        let long = String(repeating: "a", count: Dataset.maxTextBytes + 1)
        assertDataError(try Datasets.loadTextCSV(dir.write("big.csv", text: "text,label\nshort,a\n\(long),b\n")),
                        ["big.csv at line 3, column 1", "the text is 1000001 bytes long, over the limit of 1000000"])
        assertDataError(try Datasets.loadARFF(dir.write("big.arff", text: "@relation r\n@attribute t string\n@attribute c {a,b}\n@data\n'\(long)',a\n")),
                        ["big.arff at line 5, column 1", "over the limit of 1000000"])
        // Exactly at the limit is fine.
        let edge = String(repeating: "b", count: Dataset.maxTextBytes)
        XCTAssertEqual(try Datasets.loadTextCSV(dir.write("edge.csv", text: "text,label\n\(edge),a\n")).texts?[0].utf8.count, Dataset.maxTextBytes)
    }

    func testMissingLabel() {
        assertDataError(try Datasets.loadTextCSV(dir.write("m.csv", text: "text,label\none,a\n\"two\nlines\", \n")),
                        ["m.csv at line 4, column 2", "the label is missing"])
        assertDataError(try Datasets.loadARFF(dir.write("m.arff", text: "@relation r\n@attribute t string\n@attribute class {a,b}\n@data\n'x',a\n'y', ?\n")),
                        ["m.arff at line 6, column 2", "the label ('class') is missing (?)"])
    }

    func testUnknownNominalValue() {
        assertDataError(try Datasets.loadARFF(dir.write("v.arff", text: "@relation r\n@attribute t string\n@attribute mood {happy, sad}\n@data\n'x',happy\n'y',hapy\n")),
                        ["v.arff at line 6, column 2", "label 'hapy' is not one of the values of 'mood' (closest: 'happy')", "{happy, sad}"])
    }

    func testUnterminatedQuoteNamesTheLineWhereItStarted() {
        assertDataError(try Datasets.loadTextCSV(dir.write("q.csv", text: "text,label\nok,a\n\"never closed,b\nmore,a\nand more,b\n")),
                        ["q.csv at line 3, column 1", "a quoted field opened here is never closed"])
        assertDataError(try Datasets.loadTextCSV(dir.write("q2.csv", text: "text,label\nok,\"a\n")),
                        ["q2.csv at line 2, column 2"])
        assertDataError(try Datasets.loadARFF(dir.write("q.arff", text: "@relation r\n@attribute t string\n@attribute c {a,b}\n@data\n'ok',a\n'not closed,b\n")),
                        ["q.arff at line 6, column 1", "quoted with ' is not closed on this line"])
    }

    func testARFFStructureProblems() {
        assertDataError(try Datasets.loadARFF(dir.write("d.arff", text: "@relation r\n@attribute t string\n@attribute c {a,b}\n'x',a\n")),
                        ["d.arff at line 4", "expected @relation, @attribute or @data"])
        assertDataError(try Datasets.loadARFF(dir.write("d2.arff", text: "% only a header\n@relation r\n@attribute t string\n@attribute c {a,b}\n")),
                        ["d2.arff at line 4", "no @data line"])
        assertDataError(try Datasets.loadARFF(dir.write("s.arff", text: "@relation r\n@attribute t string\n@attribute c {a,b}\n@data\n{0 'x', 1 a}\n")),
                        ["s.arff at line 5", "sparse instance", "SparseToNonSparse"])
        assertDataError(try Datasets.loadARFF(dir.write("t.arff", text: "@relation r\n@attribute t text\n@data\n")),
                        ["t.arff at line 2", "unknown attribute type 'text'"])
        assertDataError(try Datasets.loadARFF(dir.write("n.arff", text: "@relation r\n@attribute t string\n@attribute c numeric\n@data\n'x',1\n")),
                        ["no nominal attribute to read as the label", "'t' (string), 'c' (numeric)"])
        assertDataError(try Datasets.loadARFF(dir.write("w.arff", text: "@relation r\n@attribute t string\n@attribute c {a,b}\n@data\n'x',a,3\n")),
                        ["w.arff at line 5", "the instance has 3 values but 2 attributes are declared"])
        assertDataError(try Datasets.loadARFF(dir.write("k.arff", text: "@relation r\n@attribute t string\n@attribute c {a,b\n@data\n")),
                        ["k.arff at line 3", "'{' is not closed"])
    }
}
