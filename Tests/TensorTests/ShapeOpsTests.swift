import XCTest
@testable import Tensor

final class ShapeOpsTests: XCTestCase {
    func testReshape() throws {
        let x = randomTensor([2, 3, 4], seed: 1)
        XCTAssertEqual(try x.reshape([6, -1]).shape, [6, 4])
        XCTAssertThrowsError(try x.reshape([5, 5])) { e in XCTAssertTrue("\(e)".contains("reshape"), "\(e)") }
        XCTAssertThrowsError(try x.reshape([-1, -1]))
        XCTAssertThrowsError(try x.reshape([7, -1]))
        try checkGradients("reshape", [x]) { try $0[0].reshape([4, 6]) }
    }

    func testPermuteValuesAndGradient() throws {
        let x = try Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        let t = try x.transposed(0, 1)
        XCTAssertEqual(t.shape, [3, 2])
        XCTAssertEqual(t.data, [1, 4, 2, 5, 3, 6])
        let y = randomTensor([2, 3, 4, 5], seed: 2)
        let p = try y.permute([0, 2, 1, 3])
        XCTAssertEqual(p.shape, [2, 4, 3, 5])
        // element [1, 2, 0, 3] of p is y[1, 0, 2, 3]
        let pi: Int = 93, yi: Int = 73  // [1,2,0,3] in [2,4,3,5]; [1,0,2,3] in [2,3,4,5]
        XCTAssertEqual(p.data[pi], y.data[yi])
        try checkGradients("permute 0213", [y]) { try $0[0].permute([0, 2, 1, 3]) }
        try checkGradients("permute 3120", [y]) { try $0[0].permute([3, 1, 2, 0]) }
        try checkGradients("transpose -1 -2", [y]) { try $0[0].transposed(-1, -2) }
        XCTAssertThrowsError(try y.permute([0, 1, 1, 2]))
        XCTAssertThrowsError(try y.permute([0, 1]))
        XCTAssertThrowsError(try y.transposed(0, 4))
    }

    func testSliceSelectGather() throws {
        let x = randomTensor([4, 5, 3], seed: 3)
        let s = try x.slice(axis: 1, range: 1..<4)
        XCTAssertEqual(s.shape, [4, 3, 3])
        XCTAssertEqual(s.data[0], x.data[3])
        try checkGradients("slice", [x]) { try $0[0].slice(axis: 1, range: 1..<4) }
        try checkGradients("slice last", [x]) { try $0[0].slice(axis: -1, range: 2..<3) }
        let sel = try x.select(axis: 0, index: 2)
        XCTAssertEqual(sel.shape, [5, 3])
        XCTAssertEqual(sel.data[0], x.data[2 * 15])
        try checkGradients("select", [x]) { try $0[0].select(axis: 2, index: 1) }
        let g = try x.gather(rows: [3, 0, 3])
        XCTAssertEqual(g.shape, [3, 5, 3])
        XCTAssertEqual(Array(g.data[0..<15]), Array(x.data[45..<60]))
        try checkGradients("gather repeats", [x]) { try $0[0].gather(rows: [3, 0, 3, 1]) }
        XCTAssertThrowsError(try x.slice(axis: 1, range: 3..<6))
        XCTAssertThrowsError(try x.select(axis: 0, index: 4))
        XCTAssertThrowsError(try x.gather(rows: [4])) { e in XCTAssertTrue("\(e)".contains("gather"), "\(e)") }
    }

    func testConcatStackExpand() throws {
        let a = randomTensor([2, 3], seed: 4), b = randomTensor([2, 1], seed: 5), c = randomTensor([2, 2], seed: 6)
        let cat = try Tensor.concat([a, b, c], axis: 1)
        XCTAssertEqual(cat.shape, [2, 6])
        XCTAssertEqual(Array(cat.data[0..<6]), Array(a.data[0..<3]) + [b.data[0]] + Array(c.data[0..<2]))
        try checkGradients("concat", [a, b, c]) { try Tensor.concat($0, axis: -1) }
        try checkGradients("concat axis0", [a, a.detached()]) { try Tensor.concat($0, axis: 0) }
        XCTAssertThrowsError(try Tensor.concat([a, randomTensor([3, 3], seed: 1)], axis: 1)) { e in
            XCTAssertTrue("\(e)".contains("concat") && "\(e)".contains("[3, 3]"), "\(e)")
        }
        let st = try Tensor.stack([a, a.detached() * 2], axis: 1)
        XCTAssertEqual(st.shape, [2, 2, 3])
        try checkGradients("stack", [a, randomTensor([2, 3], seed: 8)]) { try Tensor.stack($0, axis: 2) }
        XCTAssertThrowsError(try Tensor.stack([a, b], axis: 0))
        let e = try b.expand(to: [3, 2, 4])
        XCTAssertEqual(e.shape, [3, 2, 4])
        XCTAssertEqual(e.data[4], b.data[1])
        try checkGradients("expand", [b]) { try $0[0].expand(to: [3, 2, 4]) }
        XCTAssertThrowsError(try a.expand(to: [2, 4]))
    }
}
