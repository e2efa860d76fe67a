import XCTest
@testable import Lang

final class CompletionTests: XCTestCase {
    let scope = Completion.Scope(
        names: ["train", "test", "trainer", "len", "lora_ensemble", "let"],
        members: { $0 == "ens" ? ["fit", "evaluate", "members", "save"] : $0 == "ens.report" ? ["ece", "accuracy"] : nil },
        parameters: { $0 == "ens.fit" ? ["data", "epochs", "lr", "batch", "seed"] : $0 == "lora_ensemble" ? ["base", "members", "rank"] : nil },
        listDirectory: { dir in
            switch dir {
            case "": return ["data/", "digits.csv", "train.lora", ".hidden"]
            case "data/": return ["images.idx", "labels.idx"]
            default: return []
            }
        },
        commands: [":help", ":vars", ":load", ":quit"])

    func complete(_ line: String) -> Completion.Result {
        Completion.complete(line: line, cursor: line.count, scope: scope)
    }

    func testNames() {
        XCTAssertEqual(complete("let x = tra").candidates, ["train", "trainer"])
        XCTAssertEqual(complete("let x = tra").start, 8)
        XCTAssertEqual(complete("tra").commonPrefix, "train")
        XCTAssertEqual(complete("lo").candidates, ["lora_ensemble"])
    }

    func testMembersAfterDot() {
        XCTAssertEqual(complete("ens.").candidates, ["evaluate", "fit", "members", "save"])
        XCTAssertEqual(complete("print(ens.s").candidates, ["save"])
        XCTAssertEqual(complete("ens.report.e").candidates, ["ece"])
        XCTAssertEqual(complete("unknown.").candidates, [])
    }

    func testNamedArguments() {
        XCTAssertEqual(complete("ens.fit(train, ep").candidates, ["epochs: "])
        let r = complete("ens.fit(train, epochs: 3, ")
        XCTAssertTrue(r.candidates.contains("lr: ") && !r.candidates.contains("epochs: "), "\(r.candidates)")
        XCTAssertEqual(complete("lora_ensemble(b, me").candidates, ["members: "])
        // Not at an argument position: no labels.
        XCTAssertEqual(complete("ens.fit(train + te").candidates, ["test"])
    }

    func testPathsInsideStrings() {
        XCTAssertEqual(complete("load_csv(\"d").candidates, ["data/", "digits.csv"])
        XCTAssertEqual(complete("load_csv(\"data/l").candidates, ["data/labels.idx"])
        XCTAssertEqual(complete("load_csv(\"data/l").start, 10)
        XCTAssertEqual(complete("x(\"").candidates, ["data/", "digits.csv", "train.lora"])
        XCTAssertEqual(complete(":load tr").candidates, ["train.lora"])
        // A closed string is not completed as a path.
        XCTAssertEqual(complete("print(\"a\", tes").candidates, ["test"])
    }

    func testCommands() {
        XCTAssertEqual(complete(":").candidates, [":help", ":load", ":quit", ":vars"])
        XCTAssertEqual(complete(":v").candidates, [":vars"])
    }

    func testSessionScopeResolvesVariablesAndBuiltins() throws {
        let s = Session(context: Context(output: { _ in }))
        _ = try s.evaluateEntry("let accuracy_value = 0.9")
        XCTAssertEqual(s.complete(line: "accu", cursor: 4).candidates, ["accuracy_value"])
        XCTAssertEqual(s.complete(line: "round(2.5, di", cursor: 13).candidates, ["digits: "])
        _ = try s.evaluateEntry("let xs = [1]")
        XCTAssertEqual(s.complete(line: "xs.c", cursor: 4).candidates, ["count"])
        XCTAssertTrue(s.complete(line: "pri", cursor: 3).candidates.contains("print"))
    }
}
