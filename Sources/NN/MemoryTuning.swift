#if canImport(Glibc)
import Glibc
#endif

/// Training allocates and frees many large activation buffers per step. With
/// glibc's defaults every buffer above the (dynamic) mmap threshold is a fresh
/// mmap whose pages are faulted in and zeroed by the kernel, then unmapped
/// again: a quarter of a LoRA-Ensemble step went to page faults (measured
/// with perf). Serving large blocks from the heap and never trimming it lets
/// freed buffers be reused. Called once, before training; harmless to repeat.
public enum MemoryTuning {
    private static var done = false
    public static func keepFreedBuffers() {
        guard !done else { return }
        done = true
        #if canImport(Glibc)
        // mallopt is not in Swift's Glibc module map: look it up (C calling convention).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }   // RTLD_DEFAULT
        let mallopt = unsafeBitCast(sym, to: Mallopt.self)
        let M_TRIM_THRESHOLD: Int32 = -1, M_MMAP_THRESHOLD: Int32 = -3   // <malloc.h>
        _ = mallopt(M_MMAP_THRESHOLD, 1 << 30)       // large blocks from the heap, not fresh mmaps
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)     // do not give freed heap back to the kernel
        #endif
    }
}
