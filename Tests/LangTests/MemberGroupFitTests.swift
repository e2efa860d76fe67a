import XCTest
@testable import Lang

/// `fit(..., members_at_once:)` and the grouped numbers of model summaries.
final class MemberGroupFitTests: XCTestCase {
    func testMembersAtOnceIsShownAfterFit() throws {
        let (s, read) = try tinySession("let ens = lora_ensemble(base, members: 4, rank: 2, seed: 2)")
        _ = try s.evaluateEntry("ens.fit(train, epochs: 1, batch: 32, members_at_once: 2)")
        XCTAssertTrue(read().contains(" for 1 epoch (5 steps) in "), read())
        XCTAssertTrue(read().contains("each step ran 4 members in 2 groups of 2 (members_at_once: 2)\n"), read())
        // Uneven groups; all at once when asked for every member.
        _ = try s.evaluateEntry("ens.fit(train, epochs: 1, batch: 32, members_at_once: 3)")
        XCTAssertTrue(read().contains("each step ran 4 members in 2 groups of 3 (the last of 1) (members_at_once: 3)\n"), read())
        _ = try s.evaluateEntry("ens.fit(train, epochs: 1, batch: 32, members_at_once: 4)")
        XCTAssertTrue(read().contains("each step ran all 4 members at once (members_at_once: 4)\n"), read())
    }

    func testMembersAtOnceErrors() throws {
        var e = scriptError(tinySetup + "\nlet ens = lora_ensemble(base, members: 4, rank: 2)\nens.fit(train, members_at_once: 5)")
        XCTAssertEqual(e?.message, "members_at_once is 5 but the model has 4 members")
        XCTAssertEqual(e?.remedy, "give a number from 1 to 4")
        e = scriptError(tinySetup + "\nlet ens = lora_ensemble(base, members: 4, rank: 2)\nens.fit(train, members_at_once: 0)")
        XCTAssertEqual(e?.message, "members_at_once must be at least 1, got 0")
        e = scriptError(tinySetup + "\nlet ex = explicit_ensemble(base, members: 2)\nex.fit(train, members_at_once: 1)")
        XCTAssertTrue(e?.message.contains("members_at_once applies to LoRA-Ensembles") ?? false, e?.message ?? "")
        XCTAssertEqual(e?.remedy, "leave members_at_once out")
    }

    /// "trainable per member" groups thousands like the table above it.
    func testTrainablePerMemberIsGrouped() throws {
        // Rank 16 on q, k, v, o of the one 16-wide layer: 4 x (16x16 + 16x16) = 2,048, plus a head of 16 x 10 + 10.
        let out = try runREPL([tinySetup, "lora_ensemble(base, members: 2, rank: 16)"])
        XCTAssertTrue(out.contains("trainable per member: 2,218\n"), out)
    }
}
