import Machine
extension Dataset {
    /// Per-channel mean and standard deviation (population) over all samples.
    public func channelStatistics() throws -> Normalization {
        try requireImages("channel statistics")
        let plane = height * width
        var mean = [Float](repeating: 0, count: channels)
        var std = [Float](repeating: 1, count: channels)
        guard count > 0 else { return Normalization(mean: mean, std: std) }
        let progress = SampleProgress("measuring \(name)", samples: channels * count, valuesPerSample: plane)
        try images.withUnsafeBufferPointer { p in
            for c in 0..<channels {
                var s = 0.0, s2 = 0.0
                for n in 0..<count {
                    let base = (n * channels + c) * plane
                    var a: Float = 0, a2: Float = 0   // per-image partial sums in Float, totals in Double
                    for k in 0..<plane {
                        let v = p[base + k]
                        a += v
                        a2 += v * v
                    }
                    s += Double(a)
                    s2 += Double(a2)
                    try progress.done(c * count + n)
                }
                let m = s / Double(count * plane)
                let v = max(0, s2 / Double(count * plane) - m * m)
                mean[c] = Float(m)
                std[c] = v > 1e-12 ? Float(v.squareRoot()) : 1
            }
        }
        return Normalization(mean: mean, std: std)
    }

    /// Scales each channel to zero mean and unit standard deviation using this
    /// data set's own statistics, remembered in `normalization` (apply them to
    /// a test set with `normalized(using:)`). A data set that is already
    /// normalized is returned unchanged. A constant channel keeps std 1.
    public func normalized() throws -> Dataset {
        try requireImages("normalize()")
        if normalization != nil { return self }
        return try applying(try channelStatistics())
    }

    /// `normalized()` in place.
    public mutating func normalize() throws { self = try normalized() }

    /// Applies given per-channel statistics (e.g. the training set's) to a data
    /// set whose pixels are still in [0, 1].
    public func normalized(using stats: Normalization) throws -> Dataset {
        try requireImages("normalized(using:)")
        guard stats.mean.count == channels, stats.std.count == channels else {
            throw DataError.invalidArgument(problem: "normalization has \(stats.mean.count) means and \(stats.std.count) stds for \(channels) channels",
                                            remedy: "use statistics computed on a data set with the same channels")
        }
        guard stats.std.allSatisfy({ $0 > 0 && $0.isFinite }), stats.mean.allSatisfy({ $0.isFinite }) else {
            throw DataError.invalidArgument(problem: "normalization std must be positive and finite", remedy: "use channelStatistics() to compute it")
        }
        guard normalization == nil else {
            throw DataError.invalidArgument(problem: "\(name) is already normalized", remedy: "normalize the original data set")
        }
        return try applying(stats)
    }

    /// Applies statistics that match the channels (not checked here).
    /// Ctrl-C (the thread's `WorkWatch`) stops it between samples; `self` is unchanged.
    private func applying(_ stats: Normalization) throws -> Dataset {
        var d = self
        let plane = height * width
        let progress = SampleProgress("normalizing \(name)", samples: count, valuesPerSample: channels * plane)
        try d.images.withUnsafeMutableBufferPointer { p in
            for n in 0..<count {
                for c in 0..<channels {
                    let m = stats.mean[c], inv = 1 / stats.std[c]
                    let base = (n * channels + c) * plane
                    for k in 0..<plane { p[base + k] = (p[base + k] - m) * inv }
                }
                try progress.done(n)
            }
        }
        d.normalization = stats
        return d
    }

    /// The pixels mapped back to [0, 1]-scale (undoing `normalize()`).
    public func denormalizedImage(_ i: Int) -> [Float] {
        var x = Array(image(i))
        guard let n = normalization else { return x }
        let plane = height * width
        for c in 0..<channels {
            for k in 0..<plane { x[c * plane + k] = x[c * plane + k] * n.std[c] + n.mean[c] }
        }
        return x
    }

    /// Resizes every image to `side` x `side` with bilinear interpolation.
    public func resized(to side: Int) throws -> Dataset { try resized(height: side, width: side) }

    /// `resized(to:)` in place.
    public mutating func resize(to side: Int) throws { self = try resized(to: side) }

    /// Resizes every image with bilinear interpolation, sampling like
    /// PyTorch's `interpolate(mode="bilinear", align_corners=False)` (no antialiasing).
    public func resized(height newH: Int, width newW: Int) throws -> Dataset {
        guard newH > 0, newW > 0, newH <= 4096, newW <= 4096 else {
            throw DataError.invalidArgument(problem: "cannot resize to \(newH)x\(newW)", remedy: "give a side between 1 and 4096")
        }
        try requireImages("resize")
        // The new images are allocated at once: refuse up front what memory cannot hold.
        let bytes = Double(count) * Double(channels) * Double(newH) * Double(newW) * Double(MemoryLayout<Float>.size)
        try AvailableMemory.check(bytes, for: "resizing the \(count) images of \(name) to \(newH)x\(newW)",
                                  remedy: "resize fewer images (e.g. data[0..<1000]) or to a smaller side")
        let (ys, xs) = (Self.bilinearTaps(from: height, to: newH), Self.bilinearTaps(from: width, to: newW))
        let planes = count * channels
        let inPlane = height * width, outPlane = newH * newW
        let w = width
        let progress = SampleProgress("resizing \(name)", samples: planes, valuesPerSample: outPlane)
        let out = try [Float](unsafeUninitializedCapacity: planes * outPlane) { o, initialized in
            try images.withUnsafeBufferPointer { src in
                for p in 0..<planes {
                    let s = src.baseAddress! + p * inPlane
                    let d = o.baseAddress! + p * outPlane
                    for oy in 0..<newH {
                        let (y0, y1, ly) = ys[oy]
                        for ox in 0..<newW {
                            let (x0, x1, lx) = xs[ox]
                            let top = s[y0 * w + x0] * (1 - lx) + s[y0 * w + x1] * lx
                            let bottom = s[y1 * w + x0] * (1 - lx) + s[y1 * w + x1] * lx
                            d[oy * newW + ox] = top * (1 - ly) + bottom * ly
                        }
                    }
                    try progress.done(p)
                }
            }
            initialized = planes * outPlane
        }
        return Dataset(unchecked: name, images: out, labels: labels, channels: channels, height: newH, width: newW,
                       classNames: classNames, normalization: normalization, officialTestStart: officialTestStart)
    }

    /// For each output coordinate: the two source coordinates and the weight of the second.
    static func bilinearTaps(from n: Int, to m: Int) -> [(Int, Int, Float)] {
        let scale = Float(n) / Float(m)
        return (0..<m).map { o in
            var src = scale * (Float(o) + 0.5) - 0.5
            if src < 0 { src = 0 }
            let i0 = min(Int(src), n - 1)
            let i1 = i0 < n - 1 ? i0 + 1 : i0
            return (i0, i1, src - Float(i0))
        }
    }
}
