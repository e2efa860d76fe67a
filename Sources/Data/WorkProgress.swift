import Core

/// Parsing a text file line by line (CSV, TSV, ARFF): every `every` lines,
/// how far into the file it is goes to the thread's `WorkWatch` ("parsing
/// NAME"): progress on a terminal, and Ctrl-C stops the parse there.
struct ParseProgress {
    let part: String
    let total: Int
    private var lines = 0
    static let every = 4096

    init(file: String, bytes: Int) {
        part = "parsing " + FileBytes.name(file)
        total = bytes
    }

    /// One more line read; `byte` is where the next one starts.
    @inline(__always)
    mutating func line(at byte: Int) throws {
        lines += 1
        if lines % ParseProgress.every == 0 { try WorkWatch.report(part, done: byte, of: total) }
    }
}

/// A loop over the samples of a data set (resizing, normalizing, augmenting
/// images): about every million values, how many samples are done goes to
/// the thread's `WorkWatch` ("resizing NAME"); Ctrl-C stops the loop there and
/// the data set it was making is dropped.
struct SampleProgress {
    let part: String
    let total: Int
    let every: Int

    /// `valuesPerSample`: the values one sample's work touches.
    init(_ part: String, samples: Int, valuesPerSample: Int) {
        self.part = part
        total = samples
        every = max(1, (1 << 20) / max(1, valuesPerSample))
    }

    /// Sample `i` (0-based) is done.
    @inline(__always)
    func done(_ i: Int) throws {
        if (i + 1) % every == 0 { try WorkWatch.report(part, done: i + 1, of: total) }
    }
}
