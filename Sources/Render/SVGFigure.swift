import Files

/// A figure that can be written as SVG.
public protocol SVGFigure {
    /// The complete SVG document; same input gives the same bytes.
    func svg() -> String
}

extension SVGFigure {
    /// Writes `svg()` to `path` atomically.
    public func save(to path: String) throws {
        try AtomicFile.write(svg(), to: path)
    }
}
