/// A 2-D grid of numbers, row-major: an attention map, a grey-scale image.
public struct Grid: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    public let values: [Double]

    /// Throws `RenderError.shape` when `values.count != rows * columns` or a dimension is not positive.
    public init(rows: Int, columns: Int, values: [Double]) throws {
        guard rows > 0, columns > 0 else {
            throw RenderError.shape("a grid needs rows and columns > 0, got \(rows) x \(columns)")
        }
        guard values.count == rows * columns else {
            throw RenderError.shape("a \(rows) x \(columns) grid needs \(rows * columns) values, got \(values.count); check the dimensions")
        }
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// From nested rows; throws when rows differ in length or the grid is empty.
    public init(_ nested: [[Double]]) throws {
        let c = nested.first?.count ?? 0
        for (i, row) in nested.enumerated() where row.count != c {
            throw RenderError.shape("grid row \(i) has \(row.count) values but row 0 has \(c); all rows must have the same length")
        }
        try self.init(rows: nested.count, columns: c, values: nested.flatMap { $0 })
    }

    public subscript(row: Int, column: Int) -> Double { values[row * columns + column] }

    /// The value covering the point (y, x) of an `height` x `width` raster (nearest cell).
    func sample(y: Int, x: Int, height: Int, width: Int) -> Double {
        let r = min(rows - 1, y * rows / max(height, 1))
        let c = min(columns - 1, x * columns / max(width, 1))
        return self[r, c]
    }

    /// The grid rescaled so its finite minimum is 0 and maximum is 1 (all 0.5 when
    /// constant); non-finite values become 0. Used for grey-scale base images, which
    /// may arrive as 0...255, 0...1 or normalised around 0.
    public func minMaxNormalized() -> Grid {
        let (lo, hi) = finiteRange
        let v = values.map { x -> Double in
            guard x.isFinite else { return 0 }
            return hi > lo ? (x - lo) / (hi - lo) : 0.5
        }
        return Grid(unchecked: rows, columns, v)
    }

    init(unchecked rows: Int, _ columns: Int, _ values: [Double]) {
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// Finite minimum and maximum (0...1 when there are no finite values).
    public var finiteRange: (min: Double, max: Double) {
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return (0, 1) }
        return (lo, hi)
    }
}

/// An error a caller can cause when rendering.
public enum RenderError: Error, CustomStringConvertible, Equatable, Sendable {
    case shape(String)
    case argument(String)
    case io(String)

    public var description: String {
        switch self {
        case .shape(let m): return "shape error: \(m)"
        case .argument(let m): return "argument error: \(m)"
        case .io(let m): return "file error: \(m)"
        }
    }
}
