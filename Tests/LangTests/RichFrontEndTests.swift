import Core
import Foundation
import XCTest
@testable import Lang
@testable import Render

/// What a rich front end (Jupyter) gets from the language: a progress display
/// redrawn in place, the name help is asked about at a cursor, values with
/// their rich forms.
final class RichFrontEndTests: XCTestCase {
    func update(epoch: Int, step: Int, of steps: Int = 4, epochs: Int = 2, transient: Bool = false) -> ProgressEvent {
        ProgressEvent(label: "ViT", epoch: epoch, epochs: epochs, step: step, steps: steps, loss: 0.5, accuracy: 0.25,
                       samplesPerSecond: 100, eta: 3, transient: transient)
    }

    func testProgressDisplayKeepsFinishedEpochsAndRedrawsTheCurrentStep() {
        var clock = 0.0
        var shown: [(String, Bool)] = []
        let display = ProgressDisplay(interval: 1, columns: 80, now: { clock }) { shown.append(($0, $1)) }
        display.update(update(epoch: 1, step: 1))                 // first: shown at once
        clock = 0.5; display.update(update(epoch: 1, step: 2))    // throttled
        clock = 1.2; display.update(update(epoch: 1, step: 3))    // shown
        clock = 1.3; display.update(update(epoch: 1, step: 4))    // epoch 1 done, throttled
        clock = 2.5; display.update(update(epoch: 2, step: 1))    // shown: epoch 1's line and the current step
        display.update(update(epoch: 1, step: 1, transient: true)) // transient: never shown
        clock = 2.6; display.update(update(epoch: 2, step: 4))    // epoch 2 done, throttled
        display.finish()
        let epoch1 = ProgressPrinter.plain(update(epoch: 1, step: 4))
        let epoch2 = ProgressPrinter.plain(update(epoch: 2, step: 4))
        XCTAssertEqual(shown.map { $0.0 }, [
            ProgressPrinter.fitted(update(epoch: 1, step: 1), columns: 80),
            ProgressPrinter.fitted(update(epoch: 1, step: 3), columns: 80),
            epoch1 + "\n" + ProgressPrinter.fitted(update(epoch: 2, step: 1), columns: 80),
            epoch1 + "\n" + epoch2,
        ])
        XCTAssertEqual(shown.map { $0.1 }, [false, false, false, true])
        // The final text is the lines a notebook prints for the same run.
        var printed = ""
        let printer = ProgressPrinter(inPlace: false) { printed += $0 }
        for (e, s) in [(1, 1), (1, 2), (1, 3), (1, 4), (2, 1), (2, 4)] { printer.update(update(epoch: e, step: s)) }
        XCTAssertEqual(printed, epoch1 + "\n" + epoch2 + "\n")
        // Starts afresh for the next work; finishing with nothing shown shows nothing.
        shown = []
        display.finish()
        XCTAssertTrue(shown.isEmpty)
        clock = 10; display.update(update(epoch: 1, step: 2))
        display.finish()
        XCTAssertEqual(shown.map { $0.0 }, [ProgressPrinter.fitted(update(epoch: 1, step: 2), columns: 80),
                                            ProgressPrinter.fitted(update(epoch: 1, step: 2), columns: 80)],
                       "stopped before an epoch ended: the last step's line stays")
    }

    func testALongRunShowsItsLastEpochsWhileItRunsAndAllAtTheEnd() {
        var shown: [(String, Bool)] = []
        let display = ProgressDisplay(interval: 0, columns: 80, shownEpochs: 3) { shown.append(($0, $1)) }
        for e in 1...5 { display.update(update(epoch: e, step: 4, epochs: 5)) }
        display.finish()
        let lines = (1...5).map { ProgressPrinter.plain(update(epoch: $0, step: 4, epochs: 5)) }
        XCTAssertEqual(shown[3].0, (["(1 earlier epoch not shown until the end)"] + lines[1...3]).joined(separator: "\n"))
        XCTAssertEqual(shown[4].0, (["(2 earlier epochs not shown until the end)"] + lines[2...4]).joined(separator: "\n"))
        XCTAssertEqual(shown.last?.0, lines.joined(separator: "\n"))
        XCTAssertEqual(shown.last?.1, true)
    }

    func testTheNameAtTheCursor() {
        XCTAssertEqual(Completion.name(at: "let y = round(3.1)", cursor: 10), "round")
        XCTAssertEqual(Completion.name(at: "let y = round(3.1)", cursor: 13), "round")   // right after the name
        XCTAssertEqual(Completion.name(at: "ens.fit(train, epochs: 3)", cursor: 5), "ens.fit")
        XCTAssertEqual(Completion.name(at: "ens.fit(train, epochs: 3)", cursor: 2), "ens")
        XCTAssertEqual(Completion.name(at: "ens.fit(train, ", cursor: 15), "ens.fit")    // in the arguments
        XCTAssertEqual(Completion.name(at: "f(g(1), ", cursor: 8), "f")
        XCTAssertEqual(Completion.name(at: "save(\"a.svg\")", cursor: 8), "save")       // inside a string
        XCTAssertEqual(Completion.name(at: ":help round", cursor: 3), ":help")
        XCTAssertEqual(Completion.name(at: ":help round", cursor: 8), "round")
        XCTAssertNil(Completion.name(at: "1 + 2", cursor: 2))
        XCTAssertNil(Completion.name(at: "12", cursor: 1))
        XCTAssertNil(Completion.name(at: "", cursor: 0))
    }

    func testHelpAtTheCursorFallsBackOnTheLastParts() throws {
        let session = Session(context: Context(output: { _ in }))
        _ = try session.evaluateEntry("let xs = [1, 2]")
        let round = HelpText.topic("round", builtins: session.builtins, variables: session.interpreter.globals)
        XCTAssertEqual(session.help(at: "round(1.5)", cursor: 2), round)
        XCTAssertEqual(session.help(at: "xs", cursor: 2), "xs: " + HelpText.text(for: .list([.int(1), .int(2)]), builtins: session.builtins))
        XCTAssertNotNil(session.help(at: "a.b.Figure.save", cursor: 15), "falls back on Figure.save")
        XCTAssertNil(session.help(at: "nothing_like_this", cursor: 3))
        XCTAssertNil(HelpText.entry("nothing_like_this", builtins: session.builtins, variables: session.interpreter.globals))
        XCTAssertTrue(HelpText.topic("nothing_like_this", builtins: session.builtins, variables: session.interpreter.globals).hasPrefix("No help for"))
    }

    func testEchoGoesThroughShowWhenSetAndPlainValuesHaveNoRichForm() throws {
        var shown: [Value] = []
        var printed = ""
        let session = Session(context: Context(output: { printed += $0 }))
        _ = try session.evaluateEntry("1 + 1")
        XCTAssertEqual(printed, "2\n")
        session.context.show = { shown.append($0) }
        _ = try session.evaluateEntry("[1, 2]")
        _ = try session.evaluateEntry("let z = 3")
        XCTAssertEqual(printed, "2\n")
        XCTAssertEqual(shown.count, 1)
        XCTAssertEqual(shown.first?.display(session.context), RichDisplay(text: "[1, 2]"))
        XCTAssertFalse(RichDisplay(text: "x").isRich)
    }
}
