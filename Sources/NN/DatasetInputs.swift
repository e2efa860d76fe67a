import Data

extension Dataset {
    /// The inputs and labels of the samples at `indices`, as a model reads them.
    public func modelInputs(_ indices: [Int]) -> (input: ModelInput, labels: [Int]) {
        if isText {
            let (t, y) = textBatch(indices)
            return (.texts(t), y)
        }
        let (x, y) = batch(indices)
        return (.images(x, count: indices.count), y)
    }
}

