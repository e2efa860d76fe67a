import Core
import XCTest
@testable import Render

/// The path of a training step's `ProgressEvent` to the lines a front end shows.
final class ProgressPrinterTests: XCTestCase {
    /// An event as the trainer sends it for member 2 of 4 of an explicit ensemble, named by the front end.
    func step(_ step: Int, of steps: Int) -> ProgressEvent {
        ProgressEvent(label: "ens", epoch: 1, epochs: 2, step: step, steps: steps, member: 1, members: 4,
                      loss: 0.5, accuracy: 0.25, epochLoss: 0.75, epochAccuracy: 0.5, learningRate: 1e-3,
                      samplesPerSecond: 1234.4, eta: 65, overall: 0.3)
    }

    func testLinesShowTheStepsValuesAndAtTheEpochsEndItsMeans() {
        XCTAssertEqual(ProgressPrinter.plain(step(1, of: 3)),
                       "ens member 2/4  epoch 1/2  step 1/3  loss 0.5000  acc 0.250  1,234 samples/s  ETA 1m 05s")
        XCTAssertEqual(ProgressPrinter.plain(step(3, of: 3)),
                       "ens member 2/4  epoch 1/2  step 3/3  loss 0.7500  acc 0.500  1,234 samples/s  ETA 1m 05s")
        // The bar (27 wide: what 120 columns leave) follows `overall` (0.3: member 2 of 4 under way), not the epoch.
        XCTAssertEqual(ProgressPrinter.fitted(step(1, of: 3), columns: 120),
                       "ens member 2/4  epoch 1/2  [########...................]  step 1/3  loss 0.5000  acc 0.250  1,234 samples/s  ETA 1m 05s")
    }

    func testPipesGetOneLinePerEpochTerminalsARedrawnLine() {
        var piped = ""
        let pipe = ProgressPrinter(inPlace: false) { piped += $0 }
        for s in 1...3 { pipe.update(step(s, of: 3)) }
        pipe.finish()
        XCTAssertEqual(piped, ProgressPrinter.plain(step(3, of: 3)) + "\n")
        var terminal = ""
        let tty = ProgressPrinter(inPlace: true, columns: { 120 }) { terminal += $0 }
        for s in 1...2 { tty.update(step(s, of: 3)) }
        tty.finish()
        XCTAssertEqual(terminal, (1...2).map { "\r\u{1B}[K" + ProgressPrinter.fitted(step($0, of: 3), columns: 120) }.joined() + "\n")
    }

    /// The epoch's validation, between its last step and that step's event:
    /// a terminal's line says how far it is in the step's place; pipes and
    /// Jupyter's display still get one line per epoch, the step's.
    func testValidationShowsOnTheTerminalLineOnly() {
        var validating = step(3, of: 3)
        validating.validation = 0.4
        // No ETA then: it counts the training steps only.
        XCTAssertEqual(ProgressPrinter.fitted(validating, columns: 120),
                       "ens member 2/4  epoch 1/2  [#########.....................]  validating 40%  loss 0.7500  acc 0.500  1,234 samples/s")
        XCTAssertEqual(ProgressPrinter.fitted(validating, columns: 80), "ens member 2/4  epoch 1/2  [###.......]  validating 40%  loss 0.7500  acc 0.500")
        var terminal = ""
        let t = ProgressPrinter(inPlace: true, columns: { 80 }) { terminal += $0 }
        t.update(step(2, of: 3))
        t.update(validating)
        XCTAssertTrue(terminal.hasSuffix("\r\u{1B}[K" + ProgressPrinter.fitted(validating, columns: 80)), terminal)
        var piped = ""
        let pipe = ProgressPrinter(inPlace: false) { piped += $0 }
        for s in 1...2 { pipe.update(step(s, of: 3)) }
        pipe.update(validating)
        pipe.update(step(3, of: 3))
        XCTAssertEqual(piped, ProgressPrinter.plain(step(3, of: 3)) + "\n", "one line per epoch, with the epoch's means")
        var shown: [String] = []
        let display = ProgressDisplay(interval: 0, now: { 0 }) { text, _ in shown.append(text) }
        display.update(validating)
        display.update(step(3, of: 3))
        display.finish()
        XCTAssertEqual(shown.last, ProgressPrinter.plain(step(3, of: 3)))
        XCTAssertTrue(shown.contains { $0.contains("validating 40%") }, "\(shown)")
    }

    /// Work without epochs (writing a checkpoint, resizing images): label, bar, percent.
    func testWorkWithoutEpochsShowsLabelBarAndPercent() {
        let e = ProgressEvent(label: "writing ens.safetensors", epoch: 1, epochs: 1, step: 35, steps: 100, transient: true)
        XCTAssertEqual(ProgressPrinter.fitted(e, columns: 60), "writing ens.safetensors  [" + String(repeating: "#", count: 9) + String(repeating: ".", count: 18) + "]  35%")
        XCTAssertEqual(ProgressPrinter.percent(1), "100%")
        XCTAssertEqual(ProgressPrinter.percent(0.999), "99%")
    }
}
