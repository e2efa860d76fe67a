import Foundation
import XCTest
@testable import Lang

/// Feeds thousands of random and mutated inputs to the lexer, parser and
/// interpreter: nothing may crash, and every failure must be a located LangError.
final class FuzzTests: XCTestCase {
    /// SplitMix64: a small seeded generator so failures reproduce.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E3779B97F4A7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
    }

    static let seeds = [
        "let (a, b) = (1, 2.5)\nprint(a + b * 3)",
        "fn f(n) { if n < 2 { return n }\n return f(n - 1) + f(n - 2) }\nprint(f(10))",
        "let xs = [1, 2, 3]\nfor x in xs { print(x, xs[0..<2], len(xs)) }",
        "let s = \"hi\\n\" * 3\nlet t = s[0..<2]\nprint(t, str(1e-3), round(2.5, digits: 1))",
        "let acc = 0.5\nprint(\"acc \\(acc * 100)% of \\(len([1, 2])) \\(\"in\\(1)\")\")",
        "let total = 0\nfor i in 0...10 { if i % 2 == 0 { continue }\n total += i }\nprint(total)",
        "let n = 0\nwhile n < 5 { n = n + 1 }\nprint(max(n, 3), min([4, 2]), sorted([3, 1]))",
        "print(not true or false and 1 < 2, -(3 ** 2), 7 // 2, (1, 2).0)",
        "let r = range(2, 10, step: 3)\nprint(r, sum(r), mean(r), abs(-2), sqrt(4.0))",
    ]

    static let vocabulary = [
        "let", "fn", "return", "if", "else", "for", "in", "while", "break", "continue", "true", "false", "nil",
        "and", "or", "not", "x", "xs", "f", "print", "len", "range", "round", "args", "(", ")", "[", "]", "{", "}",
        ",", ":", ".", "=", "+=", "+", "-", "*", "/", "//", "%", "**", "==", "<", ">=", "..<", "...", "!", "\n", ";",
        "0", "1", "-1", "2.5", "\"a\\(x)b\"", "\"\\(", "\\(", "1e308", "9223372036854775807", "\"s\"", "\"\\u{41}\"", "#c\n", " ", "epochs:", "_",
        // Issue 11: a byte-order mark, deep nesting, growth by +.
        "\u{FEFF}", String(repeating: "(", count: 60), String(repeating: ")", count: 60), "x = x + x", "xs + xs",
    ]

    func check(_ source: String, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let context = Context(output: { _ in })
        let session = Session(context: context)
        // A watchdog stops runaway loops the same way Ctrl-C does.
        let flag = context.cancellation
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(30)) { flag.set() }
        do {
            try session.runSource(source, name: "fuzz.lora")
        } catch let e as LangError {
            if e.location == nil {
                XCTFail("unlocated error \(e.kind) '\(e.message)' for seed \(seed): \(source.debugDescription)", file: file, line: line)
            }
            XCTAssertFalse(Diagnostic.format(e).isEmpty)
        } catch {
            XCTFail("non-language error \(error) for seed \(seed): \(source.debugDescription)", file: file, line: line)
        }
        _ = Lexer.isComplete(source)
        _ = Completion.complete(line: source, cursor: source.count / 2, scope: session.completionScope(listDirectory: { _ in [] }))
    }

    func testRandomAndMutatedInputsNeverCrash() {
        var g = Generator(state: 20261130)
        let deadline = Date().addingTimeInterval(5)
        var cases = 0
        while Date() < deadline && cases < 20_000 {
            let seed = g.state
            var source: String
            switch g.below(4) {
            case 0:
                // Raw bytes, decoded leniently like a script file.
                let bytes = (0..<g.below(80)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
                source = String(decoding: bytes, as: UTF8.self)
            case 1:
                source = (0..<g.below(40)).map { _ in g.pick(FuzzTests.vocabulary) }.joined(separator: g.below(2) == 0 ? " " : "")
            default:
                var chars = Array(g.pick(FuzzTests.seeds))
                for _ in 0..<(1 + g.below(4)) {
                    let at = g.below(chars.count + 1)
                    switch g.below(3) {
                    case 0: if at < chars.count { chars.remove(at: at) }
                    case 1: chars.insert(contentsOf: Array(g.pick(FuzzTests.vocabulary)), at: at)
                    default: if at < chars.count { chars[at] = g.pick(Array("()[]{},.:=+-*/<>!\"0123456789xn \n#\\")) }
                    }
                }
                source = String(chars)
            }
            check(source, seed: seed)
            cases += 1
        }
        XCTAssertGreaterThan(cases, 1000, "the fuzz test ran too few cases")
    }

    func testPathologicalInputs() {
        check(String(repeating: "(", count: 30_000), seed: 0)
        check(String(repeating: "[", count: 30_000) + String(repeating: "]", count: 30_000), seed: 0)
        check(String(repeating: "not ", count: 20_000) + "true", seed: 0)
        check(String(repeating: "x.", count: 20_000) + "y", seed: 0)
        check(String(repeating: "f(", count: 20_000), seed: 0)
        check(String(repeating: "if true { ", count: 10_000), seed: 0)
        check("print(\"" + String(repeating: "a", count: 1_000_000) + "\")", seed: 0)
        check(String(repeating: "1 + ", count: 30_000) + "1", seed: 0)
        check("\u{FEFF}\u{0}\u{7f}\u{FFFD}\r\n\t", seed: 0)
        check("let s = \"a\"\nwhile true { s = s + s }", seed: 0)
    }
}
