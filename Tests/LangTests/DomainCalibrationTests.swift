import Foundation
import XCTest
import NN
@testable import Lang

/// `calibrate(model, on: data)` and `fit(..., validation: data)` in the language.
final class DomainCalibrationTests: XCTestCase {
    /// The calibrated model's probabilities are softmax(log p / T) of the
    /// uncalibrated ones (computed here from the uncalibrated predictions), and
    /// its validation NLL is no worse than at T = 1 (T = 1 is a candidate).
    func testCalibratedProbabilitiesAreTheTemperedOnes() throws {
        let (s, output) = try tinySession("""
        let val = digits[1000..<1200]
        base.fit(train, epochs: 3, lr: 3e-3, batch: 16, seed: 1)
        let cal = calibrate(base, on: val)
        print(cal.temperature, base.temperature, type(cal))
        print(cal.evaluate(val).nll <= base.evaluate(val).nll)
        """)
        let lines = output().split(separator: "\n").map(String.init)
        let note = lines.first { $0.hasPrefix("calibrated ") }
        XCTAssertNotNil(note, output())
        XCTAssertTrue(note?.contains("on digits") == true && note?.contains("validation NLL") == true, note ?? "")
        let parts = lines.first { $0.hasSuffix(" Model") }!.split(separator: " ")
        let t = Double(parts[0])!
        XCTAssertEqual(parts[1], "1.0")
        XCTAssertTrue(t > 0.05 && t < 20 && abs(t - 1) > 1e-3, "T = \(t)")
        XCTAssertEqual(lines.last, "true")
        for i in [0, 7, 42] {
            let p = try doubles(runREPL(["base.predict(test[\(i)]).probabilities"], session: s))
            let q = try doubles(runREPL(["cal.predict(test[\(i)]).probabilities"], session: s))
            let w = p.map { pow($0, 1 / t) }, sum = w.reduce(0, +)
            for c in 0..<10 { XCTAssertEqual(q[c], w[c] / sum, accuracy: 2e-4, "sample \(i) class \(c)") }
        }
    }

    /// An ensemble: the echo and .temperature show T; compare names both; the
    /// calibrated model shares the parameters (training the base moves it too)
    /// and refuses to be trained itself; save and load keep T.
    func testEnsembleCalibrationSharesParametersAndSaves() throws {
        let dir = NSTemporaryDirectory() + "lora-calibration-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (s, output) = try tinySession("""
        let val = digits[1000..<1200]
        base.fit(train, epochs: 2, lr: 3e-3, batch: 16, seed: 1)
        let ens = lora_ensemble(base, members: 3, rank: 2, gain: 1, seed: 2)
        ens.fit(train, epochs: 2, lr: 3e-3, batch: 16, seed: 1)
        let cal = calibrate(ens, on: val)
        let before = cal.evaluate(test).nll
        cal.save("\(dir)/cal.safetensors")
        let back = load_model("\(dir)/cal.safetensors")
        print(back.temperature == cal.temperature, back.evaluate(test).nll == before, back.members)
        print(compare([ens, cal], on: test))
        ens.fit(train, epochs: 1, lr: 3e-3, batch: 16, seed: 3)
        print(cal.evaluate(test).nll != before)
        """)
        let out = output()
        XCTAssertTrue(out.contains("true true 3\n"), out)
        XCTAssertTrue(out.contains("ens (LoRA-Ensemble)"), out)
        XCTAssertTrue(out.contains("cal (LoRA-Ensemble, T = "), out)
        XCTAssertTrue(out.hasSuffix("true\n"), "training the base moves the calibrated model: \(out)")
        let echo = try runREPL(["cal"], session: s)
        XCTAssertTrue(echo.contains("temperature scaling: T = "), echo)
        XCTAssertTrue(echo.contains("fitted on digits"), echo)
        XCTAssertThrowsError(try runREPL(["cal.fit(train)"], session: s)) {
            XCTAssertTrue("\($0)".contains("temperature-scaled") && "\($0)".contains("calibrate again"), "\($0)")
        }
        // Calibrating a calibrated model fits T for its base again (which has trained on since).
        let again = try runREPL(["calibrate(cal, on: val).temperature == calibrate(ens, on: val).temperature"], session: s)
        XCTAssertTrue(again.contains("true"), again)
    }

    func testCalibrateErrors() throws {
        let e1 = scriptError(tinySetup + "\ncalibrate(base, on: dataset(\"digits\").resize(to: 4))")
        XCTAssertTrue(e1?.message.contains("4x4") == true && e1?.message.contains("8x8") == true, e1?.description ?? "")
        let e2 = scriptError(tinySetup + "\ncalibrate(base)")
        XCTAssertNotNil(e2)
        let e3 = scriptError(tinySetup + "\ncalibrate(3, on: train)")
        XCTAssertTrue(e3?.message.contains("Model") == true, e3?.description ?? "")
        let e4 = scriptError(tinySetup + "\nbase.fit(train, validation: 3)")
        XCTAssertTrue(e4?.message.contains("validation must be a labelled Dataset") == true, e4?.description ?? "")
        let e5 = scriptError(tinySetup + "\nbase.fit(train, validation: digits.resize(to: 4))")
        XCTAssertTrue(e5?.description.contains("validation") == true && e5?.description.contains("4x4") == true, e5?.description ?? "")
    }

    /// Validation metrics per epoch: one per epoch; the last equals evaluate on
    /// the same data after the fit (same parameters, evaluation mode).
    func testFitWithValidationRecordsMetricsPerEpoch() throws {
        let (s, output) = try tinySession("""
        let val = digits[1000..<1200]
        base.fit(train, epochs: 3, lr: 3e-3, batch: 16, seed: 1, validation: val)
        let h = base.history
        let r = base.evaluate(val)
        print(len(h.val_loss), len(h.val_ece), len(h.val_accuracy))
        print(abs(h.val_loss[2] - r.nll) < 1e-6, abs(h.val_ece[2] - r.ece) < 1e-6, abs(h.val_accuracy[2] - r.accuracy) < 1e-9)
        print(h.val_loss[0] != h.val_loss[2])
        """)
        let lines = output().split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].contains("; validation loss "), lines[0])
        XCTAssertTrue(lines[0].contains(", ECE "), lines[0])
        XCTAssertEqual(Array(lines.suffix(3)), ["3 3 3", "true true true", "true"])
        let curves = try runREPL(["curves(base)"], session: s)
        XCTAssertTrue(curves.contains("validation ECE"), curves)
        // Without validation the fields hold nil per epoch.
        let plain = try runREPL(["base.fit(train, epochs: 1, lr: 1e-3, seed: 2)", "base.history.val_loss"], session: s)
        XCTAssertTrue(plain.hasSuffix("nil]\n"), plain)
        // Explicit ensembles record each member on its own.
        let deep = try runScript(tinySetup + """

        let d = explicit_ensemble(base, members: 2)
        d.fit(train, epochs: 2, lr: 1e-3, batch: 32, validation: digits[1000..<1100])
        print(len(d.history.val_loss), d.history.val_loss[3] != nil)
        """)
        XCTAssertTrue(deep.hasSuffix("4 true\n"), deep)
    }

    func testHelp() throws {
        let s = Session(context: Context(output: { _ in }))
        let help = try runREPL([":help calibrate"], session: s)
        XCTAssertTrue(help.contains("calibrate(model, on:)"), help)
        XCTAssertTrue(help.contains("softmax(logits / T)"), help)
        let fit = try runREPL([":help fit"], session: s)
        XCTAssertTrue(fit.contains("validation:"), fit)
    }

    func doubles(_ echo: String) -> [Double] {
        let inner = echo.split(separator: "[").last!.split(separator: "]").first!
        return inner.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces))! }
    }
}
