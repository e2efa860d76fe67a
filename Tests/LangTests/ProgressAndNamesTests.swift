import Foundation
import XCTest
@testable import Lang

/// The progress line on a terminal, and the names compare shows (issue 11, display).
final class ProgressAndNamesTests: XCTestCase {
    let long = ProgressUpdate(label: "LoRA-Ensemble member 2/4", epoch: 3, epochs: 8, step: 12, steps: 40, loss: 0.41234,
                              accuracy: 0.8712, samplesPerSecond: 3264.4, eta: 3725)

    func testTheLineFitsTheTerminalDroppingLessImportantFieldsFirst() {
        // 30 columns of bar at most: 28.75% of 30 is 8.6, so 8 filled.
        let wide = ProgressPrinter.fitted(long, columns: 200)
        XCTAssertEqual(wide, "LoRA-Ensemble member 2/4  epoch 3/8  [########......................]  step 12/40  loss 0.4123  acc 0.871  3,264 samples/s  ETA 1h 02m")
        for columns in [120, 100, 80, 60, 40, 30, 20] {
            let line = ProgressPrinter.fitted(long, columns: columns)
            XCTAssertLessThanOrEqual(line.count, max(20, columns - 1), "\(columns): \(line)")
            XCTAssertTrue(line.contains("epoch 3/8"), "\(columns): \(line)")
        }
        // At 80 columns: throughput and label go first, the rest stays; the bar
        // takes the 18 columns left (79 in all), 28.75% of it filled: 5.
        XCTAssertEqual(ProgressPrinter.fitted(long, columns: 80),
                       "epoch 3/8  [#####.............]  step 12/40  loss 0.4123  acc 0.871  ETA 1h 02m")
        XCTAssertEqual(ProgressPrinter.fitted(long, columns: 40), "epoch 3/8  loss 0.4123  ETA 1h 02m")
    }

    func testTheBarCoversTheWholeRun() {
        // Epoch 3 of 8 at step 12 of 40: (2 + 12/40) / 8 = 28.75% of the run.
        XCTAssertEqual(long.fractionDone, 0.2875, accuracy: 1e-12)
        XCTAssertEqual(ProgressPrinter.bar(long.fractionDone, width: 20), "[#####...............]")
        var last = long
        last.epoch = 8; last.step = 40
        XCTAssertEqual(ProgressPrinter.bar(last.fractionDone, width: 10), "[##########]")
        var member = long
        member.overall = 0.5
        XCTAssertEqual(ProgressPrinter.bar(member.fractionDone, width: 10), "[#####.....]")
    }

    func testETAInHoursMinutesSeconds() {
        XCTAssertEqual(ProgressPrinter.eta(42.4), "42s")
        XCTAssertEqual(ProgressPrinter.eta(187), "3m 07s")
        XCTAssertEqual(ProgressPrinter.eta(3725), "1h 02m")
        XCTAssertEqual(ProgressPrinter.eta(.nan), "?")
    }

    func testOneLineRedrawnInPlace() {
        var written = ""
        let printer = ProgressPrinter(inPlace: true, columns: { 80 }) { written += $0 }
        for step in 1...40 {
            var p = long
            p.step = step
            printer.update(p)
        }
        printer.finish()
        XCTAssertEqual(written.filter { $0 == "\n" }.count, 1, "one line in all")
        XCTAssertEqual(written.components(separatedBy: "\r\u{1B}[K").count, 41)
        for drawn in written.components(separatedBy: "\r\u{1B}[K") { XCTAssertLessThanOrEqual(drawn.trimmingCharacters(in: .newlines).count, 79) }
    }

    /// compare names its rows after the models: `name:` or the variable they were first bound to.
    func testCompareShowsModelNames() throws {
        let (s, _) = try tinySession("""
        base.fit(train, epochs: 1, batch: 40)
        let ens = lora_ensemble(base, members: 2, rank: 2)
        let e2 = lora_ensemble(base, members: 2, rank: 2, seed: 5, name: "second")
        """)
        let cmp = try runREPL(["compare([base, ens, e2], on: test)"], session: s)
        for row in ["base (ViT)", "ens (LoRA-Ensemble)", "second (LoRA-Ensemble)"] {
            XCTAssertTrue(cmp.contains(row), "\(row) missing in\n\(cmp)")
        }
        XCTAssertEqual(try runREPL(["print(ens.name, e2.name)", "let again = ens", "print(again.name)"], session: s), "ens second\nens\n")
        XCTAssertEqual(scriptError("let m = vit(name: \"  \")")?.message, "the name must not be empty")
    }
}
