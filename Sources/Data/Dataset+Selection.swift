import Core

extension Dataset {
    /// A stratified random split: each class contributes `fraction` of its
    /// samples to the first part (the per-class shares are rounded so that the
    /// first part holds round(fraction * count) samples). Both parts keep the
    /// original sample order. Same seed, same split.
    public func split(_ fraction: Double, seed: UInt64) throws -> (Dataset, Dataset) {
        guard fraction > 0, fraction < 1, fraction.isFinite else {
            throw DataError.invalidArgument(problem: "split fraction \(fraction) is not between 0 and 1",
                                            remedy: "give the share of the first part, e.g. split(0.8, seed: 1)")
        }
        let target = Int((fraction * Double(count)).rounded())
        guard target > 0, target < count else {
            throw DataError.invalidArgument(problem: "split(\(fraction)) of \(count) samples leaves one part empty",
                                            remedy: "use a fraction that leaves samples on both sides, or a larger data set")
        }
        var byClass = [[Int]](repeating: [], count: classCount)
        for (i, l) in labels.enumerated() { byClass[l].append(i) }
        // Largest-remainder rounding of the per-class shares.
        var take = byClass.map { Int((fraction * Double($0.count)).rounded(.down)) }
        var left = target - take.reduce(0, +)
        let order = (0..<classCount).sorted { a, b in
            let ra = fraction * Double(byClass[a].count) - Double(take[a])
            let rb = fraction * Double(byClass[b].count) - Double(take[b])
            return ra != rb ? ra > rb : a < b
        }
        for c in order where left > 0 && take[c] < byClass[c].count {
            take[c] += 1
            left -= 1
        }
        var rng = RNG(seed: seed, stream: .data)
        var inFirst = [Bool](repeating: false, count: count)
        for c in 0..<classCount {
            let members = byClass[c]
            let perm = rng.permutation(members.count)
            for k in 0..<take[c] { inFirst[members[perm[k]]] = true }
        }
        var a: [Int] = [], b: [Int] = []
        a.reserveCapacity(target)
        b.reserveCapacity(count - target)
        for i in 0..<count { if inFirst[i] { a.append(i) } else { b.append(i) } }
        return (subset(a), subset(b))
    }

    /// Keeps only the samples of the given classes (indices into `classNames`).
    /// With `relabel` (the default) the kept classes become 0..<keep.count in the
    /// order given, and `classNames` shrinks to match; without it the labels and
    /// class names stay as they were. Useful for transfer and OOD experiments.
    public func classes(_ keep: [Int], relabel: Bool = true) throws -> Dataset {
        guard !keep.isEmpty else {
            throw DataError.invalidArgument(problem: "classes([]) keeps nothing", remedy: "name at least one class")
        }
        var newLabel = [Int](repeating: -1, count: classCount)
        for (k, c) in keep.enumerated() {
            guard c >= 0, c < classCount else {
                throw DataError.invalidArgument(problem: "class \(c) is not one of the \(classCount) classes of \(name)",
                                                remedy: "use class indices in 0..<\(classCount)")
            }
            guard newLabel[c] < 0 else {
                throw DataError.invalidArgument(problem: "class \(c) is listed twice", remedy: "list each class once")
            }
            newLabel[c] = relabel ? k : c
        }
        let idx = labels.indices.filter { newLabel[labels[$0]] >= 0 }
        var d = subset(idx)
        if relabel {
            d.labels = d.labels.map { newLabel[$0] }
            d.classNames = keep.map { classNames[$0] }
        }
        return d
    }

    /// `classes` by class name.
    public func classes(named keep: [String], relabel: Bool = true) throws -> Dataset {
        let idx = try keep.map { n -> Int in
            guard let i = classNames.firstIndex(of: n) else {
                throw DataError.invalidArgument(problem: "'\(n)' is not a class of \(name)",
                                                remedy: "use one of: \(classNames.joined(separator: ", "))")
            }
            return i
        }
        return try classes(idx, relabel: relabel)
    }

    /// The samples in a seeded random order.
    public func shuffled(seed: UInt64) -> Dataset {
        var rng = RNG(seed: seed, stream: .data)
        return subset(rng.permutation(count))
    }

    /// Index lists for mini-batches of `size`: in order, or shuffled by `seed`.
    /// The last batch is shorter unless `dropLast`.
    public func batchIndices(size: Int, seed: UInt64? = nil, dropLast: Bool = false) throws -> [[Int]] {
        guard size > 0 else {
            throw DataError.invalidArgument(problem: "batch size \(size) is not positive", remedy: "use a batch size of at least 1")
        }
        var order = Array(0..<count)
        if let seed = seed {
            var rng = RNG(seed: seed, stream: .data)
            order = rng.permutation(count)
        }
        var out: [[Int]] = []
        var start = 0
        while start < count {
            let end = min(start + size, count)
            if end - start < size && dropLast { break }
            out.append(Array(order[start..<end]))
            start = end
        }
        return out
    }

    /// Mini-batches, gathered lazily one at a time: (B, C, H, W) images and B labels.
    public func batches(size: Int, seed: UInt64? = nil, dropLast: Bool = false) throws -> Batches {
        Batches(dataset: self, indices: try batchIndices(size: size, seed: seed, dropLast: dropLast))
    }

    /// A sequence of gathered mini-batches.
    public struct Batches: Sequence {
        public let dataset: Dataset
        public let indices: [[Int]]
        public var count: Int { indices.count }

        public func makeIterator() -> AnyIterator<(images: [Float], labels: [Int])> {
            var k = 0
            return AnyIterator {
                guard k < indices.count else { return nil }
                defer { k += 1 }
                return dataset.batch(indices[k])
            }
        }
    }
}
