import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import NN
import Render
@testable import Lang

/// Attention maps, rollout, spread, figures and their files.
final class DomainInspectionTests: XCTestCase {
    /// Numbers of a list value printed by the language.
    func numbers(_ text: String) -> [Double] {
        text.replacingOccurrences(of: "[", with: " ").replacingOccurrences(of: "]", with: " ")
            .split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" }).compactMap { Double($0) }
    }

    func testRolloutMatchesAHandComputedCase() {
        // Layer 1: A1 = [[0.5, 0.5], [0.25, 0.75]] -> (A1 + I) rows renormalised = [[0.75, 0.25], [0.125, 0.875]].
        // Layer 2: A2 = [[0, 1], [1, 0]]          -> [[0.5, 0.5], [0.5, 0.5]].
        // R = Â2 Â1 = [[0.4375, 0.5625], [0.4375, 0.5625]].
        let r = AttentionRollout.rollout([[0.5, 0.5, 0.25, 0.75], [0, 1, 1, 0]], tokens: 2)
        for (a, b) in zip(r, [0.4375, 0.5625, 0.4375, 0.5625]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        // One layer: 0.5 A + 0.5 I.
        let one = AttentionRollout.rollout([[0.2, 0.8, 0.6, 0.4]], tokens: 2)
        for (a, b) in zip(one, [0.6, 0.4, 0.3, 0.7]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        // Three tokens, identity attention stays the identity.
        XCTAssertEqual(AttentionRollout.rollout([[1, 0, 0, 0, 1, 0, 0, 0, 1]], tokens: 3), [1, 0, 0, 0, 1, 0, 0, 0, 1])
    }

    func testRowsAreProbabilitiesAndMembersAgreeRightAfterConstruction() throws {
        let (s, _) = try tinySession("""
        base.fit(train, epochs: 1, lr: 3e-3, seed: 1)
        let ens = lora_ensemble(base, members: 4, rank: 2)
        let a = ens.attention(test[3])
        """)
        let values = try runREPL(["a.values"], session: s)
        let selfW = numbers(try runREPL(["a.class_token"], session: s))
        let maps = values.components(separatedBy: "], [").map(numbers)
        XCTAssertEqual(maps.count, 4)
        for (m, w) in zip(maps, selfW) {
            XCTAssertEqual(m.count, 4, "a 2x2 patch grid")
            XCTAssertEqual(m.reduce(0, +) + w, 1, accuracy: 1e-5, "class-token row sums to 1")
            XCTAssertTrue(m.allSatisfy { $0 >= 0 })
            XCTAssertEqual(m, maps[0], "B = 0: every member attends the same way")
        }
        XCTAssertEqual(numbers(try runREPL(["a.spread.values"], session: s)), [0, 0, 0, 0])
        // The base model's own map equals the members' (same frozen weights).
        XCTAssertEqual(numbers(try runREPL(["base.attention(test[3]).values"], session: s)), maps[0])
        // After training, members differ and the spread is positive somewhere.
        _ = try runREPL(["ens.fit(train, epochs: 2, lr: 1e-2, seed: 1)"], session: s)
        let spread = numbers(try runREPL(["ens.attention(test[3]).spread.values"], session: s))
        XCTAssertGreaterThan(spread.max() ?? 0, 1e-6)
        // One member, one head, rollout: still probabilities.
        for call in ["ens.attention(test[3], member: 2, head: 1)", "ens.attention(test[3], rollout: true)", "ens.attention(test[3], layer: -1, member: 0)"] {
            let v = numbers(try runREPL([call + ".values"], session: s))
            let w = numbers(try runREPL([call + ".class_token"], session: s))
            let per = v.count / w.count
            for i in 0..<w.count { XCTAssertEqual(v[(i * per)..<((i + 1) * per)].reduce(0, +) + w[i], 1, accuracy: 1e-5, call) }
        }
    }

    /// Class-token attention rows of layer 0, head by head, recomputed in Double
    /// from the weights: patches, embedding, LayerNorm, q and k (plus member m's
    /// LoRA update B_m A_m x when adapters are given), softmax(q k^T / sqrt(d_head)).
    func recomputedAttention(_ vit: ViT, image: [Float], adapters: [Projection: LoRAAdapter]? = nil, member: Int = 0) -> [[Double]] {
        let c = vit.config, p = c.patch, d = c.dim, t = c.tokens, dh = d / c.heads
        let img = image.map(Double.init)
        var tokens = [[Double]](repeating: [Double](repeating: 0, count: d), count: t)
        let we = vit.patchEmbedding.weight.data.map(Double.init), be = vit.patchEmbedding.bias!.data.map(Double.init)
        let cls = vit.classToken.data.map(Double.init), pos = vit.positions.data.map(Double.init)
        for j in 0..<d { tokens[0][j] = cls[j] + pos[j] }
        for gy in 0..<c.gridHeight {
            for gx in 0..<c.gridWidth {
                var patch: [Double] = []
                for ky in 0..<p { for kx in 0..<p { patch.append(img[(gy * p + ky) * c.width + gx * p + kx]) } }
                let k = 1 + gy * c.gridWidth + gx
                for j in 0..<d {
                    var acc = be[j]
                    for f in 0..<patch.count { acc += we[j * patch.count + f] * patch[f] }
                    tokens[k][j] = acc + pos[k * d + j]
                }
            }
        }
        let block = vit.blocks[0]
        let g = block.ln1.weight.data.map(Double.init), b = block.ln1.bias.data.map(Double.init)
        let normed = tokens.map { row -> [Double] in
            let mean = row.reduce(0, +) / Double(d)
            let v = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(d)
            return row.indices.map { (row[$0] - mean) / (v + Double(c.eps)).squareRoot() * g[$0] + b[$0] }
        }
        func project(_ l: Linear, _ which: Projection, _ x: [Double]) -> [Double] {
            let w = l.weight.data.map(Double.init), bias = l.bias!.data.map(Double.init)
            var y = (0..<d).map { o in bias[o] + (0..<d).reduce(0) { $0 + w[o * d + $1] * x[$1] } }
            if let ad = adapters?[which] {
                let r = ad.rank
                let aw = ad.a.data.map(Double.init), bw = ad.b.data.map(Double.init)
                let h = (0..<r).map { k in (0..<d).reduce(0.0) { $0 + aw[(member * r + k) * d + $1] * x[$1] } }
                for o in 0..<d { y[o] += Double(ad.scale) * (0..<r).reduce(0.0) { $0 + bw[(member * d + o) * r + $1] * h[$1] } }
            }
            return y
        }
        let q0 = project(block.attn.q, .q, normed[0])
        let keys = normed.map { project(block.attn.k, .k, $0) }
        return (0..<c.heads).map { h in
            let scores = keys.map { k in (0..<dh).reduce(0) { $0 + q0[h * dh + $1] * k[h * dh + $1] } / Double(dh).squareRoot() }
            let mx = scores.max()!
            let e = scores.map { exp($0 - mx) }
            return e.map { $0 / e.reduce(0, +) }
        }
    }

    func object<T>(_ s: Session, _ name: String, as type: T.Type) -> T? {
        guard case .object(let o)? = s.interpreter.globals.values[name] else { return nil }
        return o as? T
    }

    func testAttentionEqualsSoftmaxRecomputedFromTheLayersWeights() throws {
        let (s, _) = try tinySession("""
        base.fit(train, epochs: 1, lr: 3e-3, seed: 1)
        let x = test[7]
        let ens = lora_ensemble(base, members: 3, rank: 2, seed: 5)
        ens.fit(train, epochs: 2, lr: 1e-2, seed: 1)
        """)
        guard let model = object(s, "base", as: ModelValue.self), let vit = model.backbone as? ViT,
              let sample = object(s, "x", as: SampleValue.self),
              let ens = object(s, "ens", as: ModelValue.self)?.model as? LoRAEnsemble else { return XCTFail("no model") }
        let want = recomputedAttention(vit, image: sample.image)
        for h in 0..<vit.config.heads {
            let got = numbers(try runREPL(["base.attention(x, head: \(h)).values"], session: s))
            let gotSelf = numbers(try runREPL(["base.attention(x, head: \(h)).class_token"], session: s))
            XCTAssertEqual(gotSelf[0], want[h][0], accuracy: 1e-5)
            for (a, w) in zip(got, want[h].dropFirst()) { XCTAssertEqual(a, w, accuracy: 1e-5, "head \(h)") }
        }
        // A trained member: the frozen backbone plus that member's B A on q and k.
        var differs = false
        for m in 0..<3 {
            let member = recomputedAttention(ens.network.backbone as! ViT, image: sample.image, adapters: ens.network.adapters[0], member: m)
            for h in 0..<vit.config.heads {
                let got = numbers(try runREPL(["ens.attention(x, member: \(m), head: \(h)).values"], session: s))
                for (a, w) in zip(got, member[h].dropFirst()) { XCTAssertEqual(a, w, accuracy: 1e-5, "member \(m) head \(h)") }
                if zip(member[h], want[h]).contains(where: { abs($0 - $1) > 1e-4 }) { differs = true }
            }
        }
        XCTAssertTrue(differs, "after training, the members' B A change the attention")
        // Mean over heads, and the one-layer rollout 0.5 A + 0.5 I (up to the renormalisation in Float).
        let mean = numbers(try runREPL(["base.attention(x).values"], session: s))
        let h0 = numbers(try runREPL(["base.attention(x, head: 0).values"], session: s))
        let h1 = numbers(try runREPL(["base.attention(x, head: 1).values"], session: s))
        for i in mean.indices { XCTAssertEqual(mean[i], (h0[i] + h1[i]) / 2, accuracy: 1e-6) }
        let roll = numbers(try runREPL(["base.attention(x, rollout: true).values"], session: s))
        for i in mean.indices { XCTAssertEqual(roll[i], mean[i] / 2, accuracy: 1e-6) }
    }

    func testAttentionErrorsNameTheRangeAndRemedy() throws {
        let setup = tinySetup + "\nlet ens = lora_ensemble(base, members: 3, rank: 2)\n"
        var e = scriptError(setup + "ens.attention(test[0], member: 5)")
        XCTAssertEqual(e?.kind, .index)
        XCTAssertTrue(e?.message.contains("member 5 is out of range: LoRA-Ensemble has 3 members (0..<3)") ?? false, e?.message ?? "")
        XCTAssertEqual(e?.location?.line, 6)
        XCTAssertTrue([24, 32].contains(e?.location?.column ?? 0), "at the member argument")
        XCTAssertNotNil(e?.remedy)
        e = scriptError(setup + "ens.attention(test[0], layer: 1)")
        XCTAssertTrue(e?.message.contains("layer 1 is out of range: the model has 1 layer (0..<1)") ?? false, e?.message ?? "")
        e = scriptError(setup + "ens.attention(test[0], head: 2)")
        XCTAssertTrue(e?.message.contains("head 2 is out of range: each layer has 2 heads (0..<2)") ?? false, e?.message ?? "")
        e = scriptError(setup + "ens.attention(test)")
        XCTAssertTrue(e?.remedy?.contains("data[i]") ?? false)
        e = scriptError(setup + "ens.attention(dataset(\"digits\").resize(to: 4)[0])")
        XCTAssertTrue(e?.message.contains("expects 1x8x8") ?? false, e?.message ?? "")
    }

    func testTerminalRenderingByColourMode() throws {
        let (s, _) = try tinySession("let ens = lora_ensemble(base, members: 2, rank: 2)\nlet a = ens.attention(test[1])")
        let plain = try runREPL(["a"], session: s)
        XCTAssertFalse(plain.contains("\u{1B}"), plain)
        XCTAssertTrue(plain.contains("member 0") && plain.contains("member 1"), plain)
        XCTAssertTrue(plain.contains("scale:"), plain)
        guard case .object(let o)? = s.interpreter.globals.values["a"], let a = o as? AttentionValue else { return XCTFail() }
        let truecolor = a.terminal(mode: .truecolor, width: 80)
        XCTAssertTrue(truecolor.contains("\u{1B}[38;2;"), "24-bit colour")
        XCTAssertTrue(truecolor.contains("▀"))
        let c256 = a.terminal(mode: .ansi256, width: 80)
        XCTAssertTrue(c256.contains("\u{1B}[38;5;"))
        XCTAssertFalse(c256.contains("\u{1B}[38;2;"))
    }

    func parsesAsXML(_ path: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let data = FileManager.default.contents(atPath: path) else { return XCTFail("no file \(path)", file: file, line: line) }
        let parser = XMLParser(data: data)
        XCTAssertTrue(parser.parse(), "\(path): \(parser.parserError.map { "\($0)" } ?? "")", file: file, line: line)
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("<svg"), file: file, line: line)
    }

    func testFiguresSaveAsSVGAndPNG() throws {
        let dir = NSTemporaryDirectory() + "lora-domain-fig-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (s, out) = try tinySession("""
        base.fit(train, epochs: 2, lr: 3e-3, seed: 1)
        let ens = lora_ensemble(base, members: 3, rank: 2)
        ens.fit(train, epochs: 2, lr: 1e-2, seed: 1)
        let other = dataset("digits").classes([8, 9])[0..<60]
        reliability(ens, test).save("\(dir)/rel.svg")
        let o = ood(ens, in: test, out: other, score: "mutual_info")
        o.save("\(dir)/ood.svg")
        compare([base, ens], on: test).save("\(dir)/cmp.svg")
        curves(ens).save("\(dir)/curves.svg")
        ens.history.save("\(dir)/history.svg")
        ens.attention(test[2]).save("\(dir)/att.svg")
        ens.attention(test[2]).spread.save("\(dir)/spread.svg")
        ens.attention(test[2], member: 0).save("\(dir)/att.png")
        print(o.auroc >= 0 and o.auroc <= 1, o.aupr >= 0 and o.aupr <= 1)
        let sel = selective([base, ens], test)
        sel.save("\(dir)/selective.svg")
        let one = selective(ens, test, score: "max_prob")
        print(len(sel.area), one.area >= ens.evaluate(test).accuracy - 1e-9)
        """)
        XCTAssertTrue(out().contains("true true"), out())
        XCTAssertTrue(out().contains("2 true"), "rejecting the least confident first helps: area >= accuracy\n" + out())
        for f in ["rel", "ood", "cmp", "curves", "history", "att", "spread", "selective"] { parsesAsXML("\(dir)/\(f).svg") }
        let png = [UInt8](FileManager.default.contents(atPath: "\(dir)/att.png") ?? Data())
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // Same input, same bytes.
        _ = try runREPL(["reliability(ens, test).save(\"\(dir)/rel2.svg\")"], session: s)
        XCTAssertEqual(FileManager.default.contents(atPath: "\(dir)/rel.svg"), FileManager.default.contents(atPath: "\(dir)/rel2.svg"))
        // Echoes draw in the terminal.
        let rel = try runREPL(["reliability(ens, test, bins: 5)"], session: s)
        XCTAssertTrue(rel.contains("ECE") && rel.contains("(5 bins)"), rel)
        let oodText = try runREPL(["o"], session: s)
        XCTAssertTrue(oodText.contains("AUROC") && oodText.contains("AUPR"), oodText)
        let cmp = try runREPL(["compare([base, ens], on: test)"], session: s)
        for w in ["accuracy", "NLL", "ECE", "Brier", "params", "trainable", "train time", "ViT", "LoRA-Ensemble"] {
            XCTAssertTrue(cmp.contains(w), "\(w) missing in\n\(cmp)")
        }
        let curves = try runREPL(["ens.history"], session: s)
        XCTAssertTrue(curves.contains("loss") && curves.contains("epoch"), curves)
        // Errors.
        var e = scriptError(tinySetup + "\nreliability(base, test).save(\"\(dir)/rel.png\")")
        XCTAssertTrue(e?.remedy?.contains(".svg") ?? false, e?.remedy ?? "")
        e = scriptError(tinySetup + "\nreliability(base, test).save(\"\(dir)/rel.pdf\")")
        XCTAssertTrue(e?.message.contains("cannot tell the format") ?? false)
        e = scriptError(tinySetup + "\nreliability(base, test).save(\"/nonexistent-dir/r.svg\")")
        XCTAssertTrue(e?.message.contains("does not exist") ?? false, e?.message ?? "")
        e = scriptError(tinySetup + "\nood(base, in: test, out: test, score: \"entropie\")")
        XCTAssertEqual(e?.remedy, "did you mean 'entropy'?")
        e = scriptError(tinySetup + "\nood(base, in: test, out: digits.resize(to: 4))")
        XCTAssertTrue(e?.remedy?.contains("resize") ?? false)
        e = scriptError(tinySetup + "\ncompare([base, 3], on: test)")
        XCTAssertTrue(e?.message.contains("holds an int") ?? false, e?.message ?? "")
        e = scriptError(tinySetup + "\ncompare([], on: test)")
        XCTAssertNotNil(e)
    }
}

/// Pinned terminal renderings of small, hand-made attention maps.
final class DomainAttentionGoldenTests: XCTestCase {
    func testPlainRenderingIsPinned() throws {
        let base = try Grid(rows: 4, columns: 4, values: (0..<16).map { Double($0) / 15 })
        let a = AttentionValue(maps: [[0, 0.25, 0.5, 0.25], [0.1, 0.1, 0.1, 0.7]], selfWeights: [0, 0], captions: ["member 0", "member 1"],
                               gridHeight: 2, gridWidth: 2, base: base, title: "Test map", shortTitle: "Test",
                               spreadSource: [[0, 0.25, 0.5, 0.25], [0.1, 0.1, 0.1, 0.7]])
        // Range 0...0.7 over 10 shades " .:-=+*#%@": 0 -> " ", 0.25 -> "-" (0.36), 0.5 -> "#" (0.71),
        // 0.1 -> "." (0.14), 0.7 -> "@"; each patch is 8 columns x 4 lines (16 x 8 cells for 2 x 2 patches).
        let top = ["        --------  ................", "        --------  ................"]
        let bottom = ["########--------  ........@@@@@@@@", "########--------  ........@@@@@@@@"]
        let golden = (["Test map"] + top + top + bottom + bottom
            + ["    member 0          member 1    ", "scale: 0 [  ..::--==++**##%%@@] 0.7  (attention weight)"]).joined(separator: "\n")
        XCTAssertEqual(a.terminal(mode: .plain, width: 80), golden)
        // The spread: population standard deviation per patch, |a - b| / 2 for two maps.
        guard case .object(let o)? = try a.field("spread"), let s = o as? AttentionValue else { return XCTFail() }
        for (x, want) in zip(s.maps[0], [0.05, 0.075, 0.2, 0.225]) { XCTAssertEqual(x, want, accuracy: 1e-12) }
        XCTAssertTrue(s.terminal(mode: .plain, width: 80).contains("(standard deviation across members)"))
    }
}
