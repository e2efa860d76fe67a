import Tensor

/// Cuts images [N, C, H, W] (row-major floats) into flattened patches
/// [N, P, C*p*p], patches in row-major grid order, each patch flattened in
/// (channel, row, column) order: exactly the weight layout of a Conv2d with
/// kernel = stride = p, so a Linear on these patches equals that convolution.
func extractPatches(_ images: [Float], count n: Int, config c: ViTConfig) throws -> Tensor {
    let per = c.channels * c.height * c.width
    guard images.count == n * per else {
        throw NNError.dataMismatch("got \(images.count) pixel values for \(n) images of \(c.channels)x\(c.height)x\(c.width) (\(n * per) expected); resize the data to the model's image size")
    }
    let p = c.patch, gh = c.gridHeight, gw = c.gridWidth, f = c.patchFeatures
    var out = [Float](repeating: 0, count: n * gh * gw * f)
    images.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            var o = 0
            for i in 0..<n {
                let img = i * per
                for py in 0..<gh {
                    for px in 0..<gw {
                        for ch in 0..<c.channels {
                            let plane = img + ch * c.height * c.width
                            for ky in 0..<p {
                                let row = plane + (py * p + ky) * c.width + px * p
                                for kx in 0..<p { dst[o] = src[row + kx]; o += 1 }
                            }
                        }
                    }
                }
            }
        }
    }
    return try Tensor(shape: [n, gh * gw, f], data: out)
}
