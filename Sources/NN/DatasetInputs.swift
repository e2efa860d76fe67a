import Data

extension Dataset {
    /// The inputs and labels of the samples at `indices`, as a model reads them.
    public func modelInputs(_ indices: [Int]) -> (input: ModelInput, labels: [Int]) {
        let (x, y) = batch(indices)
        return (.images(x, count: indices.count), y)
    }
}

// Bridge until text data sets land in Data (branch textdata): image sets only.
extension Dataset {
    var isText: Bool { false }
}
