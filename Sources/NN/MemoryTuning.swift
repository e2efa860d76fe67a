import Tensor

/// Training allocates and frees many large activation buffers per step. With
/// glibc's defaults every buffer above the (dynamic) mmap threshold is a fresh
/// mmap whose pages are faulted in and zeroed by the kernel, then unmapped
/// again: a quarter of a LoRA-Ensemble step went to page faults (measured
/// with perf). Serving large blocks from the heap and never trimming it lets
/// freed buffers be reused. Called once, before training; harmless to repeat.
public enum MemoryTuning {
    /// See `Tensor.keepFreedMemory()` (M_MMAP_MAX 0: the earlier
    /// M_MMAP_THRESHOLD of 1 GB was silently refused by glibc, whose cap is 32 MB).
    public static func keepFreedBuffers() {
        Tensor.keepFreedMemory()
    }
}
