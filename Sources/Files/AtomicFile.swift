import Cluster
import Core
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files atomically and never damages what is on disk: the bytes go to
/// a fresh temporary file in the destination's directory, are flushed to disk
/// (fsync), and the file is then renamed over the destination. Readers see the
/// old file or the new one, never half of one. Every layer that writes files
/// (checkpoints, figures, notebooks, the REPL history) uses this.
///
/// - A destination that exists and is not a regular file (a device, a FIFO, a
///   directory, a socket) is refused; so is a read-only file.
/// - A symbolic link is followed: its target is replaced, the link stays.
/// - A file that exists keeps its permissions (and, where allowed, its owner).
/// - The temporary file (`.lora-PID-XXXXXX`, short, so names up to the
///   system's limit work) is removed on every error and when SIGINT or SIGTERM
///   ends the process during the write; a later write into the same directory
///   removes temporaries left by processes that no longer run (SIGKILL, power loss).
/// - Large writes go out a few megabytes at a time, each reported to the
///   thread's `WorkWatch` ("writing NAME"): progress on a terminal, and Ctrl-C
///   stops the write there. The temporary is removed and the destination is
///   left exactly as it was (a watch asked once more just before the rename
///   catches a Ctrl-C pressed during the flush to disk).
public enum AtomicFile {
    /// Why a write failed, with the path and what to do.
    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let problem: String
        public var description: String { "cannot write \(path): \(problem)" }
        public init(path: String, problem: String) { self.path = path; self.problem = problem }
    }

    /// The prefix of every temporary file this writes.
    public static let temporaryPrefix = ".lora-"

    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        try write(to: path) { fd, _ in
            var progress = Progress(path: path, total: bytes.count)
            try progress.write(bytes, to: fd)
        }
    }

    /// Bytes between two reports to the `WorkWatch` (and chances to stop).
    public static let reportEvery = 4 << 20

    /// Writes a file's bytes, piece after piece, to a descriptor, reporting
    /// "writing NAME" to the thread's `WorkWatch` every `reportEvery` bytes
    /// (what `produce` uses to stream a large file: `SafeTensors.write`).
    public struct Progress {
        public let path: String
        public let total: Int
        public private(set) var done = 0
        private var reported = 0
        /// "writing m.safetensors".
        public var part: String { "writing " + ((path as NSString).lastPathComponent) }

        public init(path: String, total: Int) { self.path = path; self.total = total }

        /// Writes `bytes` whole (retrying short writes and EINTR).
        public mutating func write(_ bytes: UnsafeRawBufferPointer, to fd: Int32) throws {
            var offset = 0
            while offset < bytes.count {
                let n = Foundation.write(fd, bytes.baseAddress! + offset, min(bytes.count - offset, AtomicFile.reportEvery))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw WriteError(path: path, problem: "writing failed (\(String(cString: strerror(errno)))); check the free disk space")
                }
                offset += n
                done += n
                if done - reported >= AtomicFile.reportEvery {
                    reported = done
                    try WorkWatch.report(part, done: done, of: max(total, done))
                }
            }
        }
    }

    public static func write(_ bytes: [UInt8], to path: String) throws {
        try bytes.withUnsafeBytes { try write($0, to: path) }
    }

    public static func write(_ data: Data, to path: String) throws {
        try data.withUnsafeBytes { try write($0, to: path) }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// Replaces `path` with what `produce` writes into the temporary file: it
    /// gets an open descriptor and the temporary's path (for libraries that
    /// write by name, such as libedit's history; they may reopen and truncate
    /// it). The temporary is removed if `produce` throws.
    ///
    /// Under MPI only rank 0 writes; every rank returns once the file is in
    /// place (a barrier), so a rank may read it right after.
    public static func write(to path: String, produce: (_ fd: Int32, _ temporaryPath: String) throws -> Void) throws {
        let world = Cluster.world
        guard world.size > 1 else { return try writeHere(path, produce: produce) }
        if world.rank == 0 { try writeHere(path, produce: produce) }
        try world.barrier()
    }

    private static func writeHere(_ path: String, produce: (_ fd: Int32, _ temporaryPath: String) throws -> Void) throws {
        let target = try resolve(path)
        let existing = try inspect(target, given: path)
        let dir = directory(of: target)
        removeStaleTemporaries(in: dir)

        // The name is registered for removal before the file exists, so no
        // signal can come between its creation and its registration.
        var fd: Int32 = -1, temp = "", slot = -1
        for _ in 0..<100 {
            temp = dir + "/" + temporaryPrefix + "\(getpid())-" + randomSuffix()
            slot = Cleanup.register(temp)
            fd = open(temp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 { break }
            let reason = errno
            Cleanup.unregister(slot)
            guard reason == EEXIST else {
                throw WriteError(path: path, problem: "creating a temporary file in \(dir) failed (\(String(cString: strerror(reason)))); check that the directory is writable")
            }
        }
        guard fd >= 0 else {
            throw WriteError(path: path, problem: "creating a temporary file in \(dir) failed (every name tried exists); remove the .lora-* files there")
        }
        var isOpen = true
        defer {
            if isOpen { close(fd) }
            Cleanup.unregister(slot)
        }
        do {
            try produce(fd, temp)
            // Permissions: those of the file replaced, else the usual 0666 less the umask.
            let mode = existing.map { $0.st_mode & 0o7777 } ?? (0o666 & ~currentUmask())
            if let st = existing, getuid() == 0 || geteuid() == 0 { _ = fchown(fd, st.st_uid, st.st_gid) }
            guard fchmod(fd, mode_t(mode)) == 0 else {
                throw WriteError(path: path, problem: "setting the permissions failed (\(String(cString: strerror(errno))))")
            }
            // `produce` may have written through its own descriptor: flush the file by name too.
            let again = open(temp, O_RDONLY | O_CLOEXEC)
            if again >= 0 { _ = fsync(again); close(again) }
            guard fsync(fd) == 0 else {
                throw WriteError(path: path, problem: "flushing to disk failed (\(String(cString: strerror(errno)))); check the free disk space")
            }
            // The last chance to stop (Ctrl-C during the flush): the destination is still untouched.
            if WorkWatch.isWatching {
                let size = Int(lseek(fd, 0, SEEK_END))
                try WorkWatch.report("writing " + ((path as NSString).lastPathComponent), done: max(0, size), of: max(0, size))
            }
            isOpen = false
            guard close(fd) == 0 else {
                throw WriteError(path: path, problem: "closing the file failed (\(String(cString: strerror(errno)))); check the free disk space")
            }
            guard rename(temp, target) == 0 else {
                throw WriteError(path: path, problem: "renaming the temporary file failed (\(String(cString: strerror(errno))))")
            }
        } catch {
            unlink(temp)
            throw error
        }
        // Make the rename itself durable.
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    /// Six random letters and digits (as mkstemp's XXXXXX).
    static func randomSuffix() -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<6).map { _ in letters[Int.random(in: 0..<letters.count)] })
    }

    // MARK: the destination

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Follows symbolic links to the file that will be replaced (which need not exist yet).
    static func resolve(_ path: String) throws -> String {
        var current = path
        for _ in 0..<40 {
            var st = stat()
            guard lstat(current, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n > 0 else { return current }
            let link = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = link.hasPrefix("/") ? link : directory(of: current) + "/" + link
        }
        throw WriteError(path: path, problem: "too many levels of symbolic links; point the link at a file")
    }

    /// The destination's status when it exists (nil when it does not), after
    /// refusing what must not be replaced.
    static func inspect(_ target: String, given path: String) throws -> stat? {
        let dir = directory(of: target)
        var ds = stat()
        guard stat(dir, &ds) == 0, (ds.st_mode & S_IFMT) == S_IFDIR else {
            throw WriteError(path: path, problem: "directory \(dir) does not exist; create it first or choose another path")
        }
        var st = stat()
        guard lstat(target, &st) == 0 else {
            if errno == ENAMETOOLONG {
                throw WriteError(path: path, problem: "the name is too long for this file system (at most \(NAME_MAX) bytes per name); choose a shorter name")
            }
            return nil
        }
        let via = target == path ? "" : " (the symbolic link's target \(target))"
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            if st.st_mode & 0o222 == 0 || access(target, W_OK) != 0 {
                throw WriteError(path: path, problem: "it is a read-only file\(via); make it writable (chmod u+w) or choose another name")
            }
            return st
        case S_IFDIR: throw WriteError(path: path, problem: "it is a directory\(via); choose a file name")
        case S_IFCHR: throw WriteError(path: path, problem: "it is a character device\(via), not a regular file; choose a file name")
        case S_IFBLK: throw WriteError(path: path, problem: "it is a block device\(via), not a regular file; choose a file name")
        case S_IFIFO: throw WriteError(path: path, problem: "it is a FIFO (named pipe)\(via), not a regular file; choose a file name")
        case S_IFSOCK: throw WriteError(path: path, problem: "it is a socket\(via), not a regular file; choose a file name")
        default: throw WriteError(path: path, problem: "it exists and is not a regular file\(via); choose a file name")
        }
    }

    static func currentUmask() -> mode_t {
        let m = umask(0o022)
        umask(m)
        return m
    }

    // MARK: stale temporaries

    /// The process id in a temporary's name (`.lora-PID-XXXXXX`), nil for other names.
    static func owner(ofTemporary name: String) -> pid_t? {
        guard name.hasPrefix(temporaryPrefix) else { return nil }
        let rest = name.dropFirst(temporaryPrefix.count).split(separator: "-", omittingEmptySubsequences: false)
        guard rest.count == 2, rest[1].count == 6, let pid = pid_t(rest[0]), pid > 0 else { return nil }
        return pid
    }

    /// Removes temporaries in `dir` whose writing process no longer runs.
    public static func removeStaleTemporaries(in dir: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for name in names {
            guard let pid = owner(ofTemporary: name), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                var st = stat()
                let p = dir + "/" + name
                if lstat(p, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { unlink(p) }
            }
        }
    }
}

/// Temporaries being written, removed by a SIGINT or SIGTERM that ends the
/// process. The handlers are installed while a write runs and chain to the
/// previous ones: when the previous handler lets the process go on (lora's
/// Ctrl-C flag), the temporary stays and the write finishes.
enum Cleanup {
    static let capacity = 32
    private static let lock = NSLock()
    nonisolated(unsafe) private static var active = 0
    nonisolated(unsafe) private static var saved: [Int32: sigaction] = [:]

    static func register(_ path: String) -> Int {
        lock.lock(); defer { lock.unlock() }
        var slot = -1
        for i in 0..<capacity where cleanupPaths[i] == nil { slot = i; break }
        if slot >= 0 { cleanupPaths[slot] = strdup(path) }
        if active == 0 { install() }
        active += 1
        return slot
    }

    static func unregister(_ slot: Int) {
        lock.lock(); defer { lock.unlock() }
        if slot >= 0, let p = cleanupPaths[slot] {
            cleanupPaths[slot] = nil
            free(p)
        }
        active -= 1
        if active == 0 { restore() }
    }

    private static func install() {
        for sig in [SIGINT, SIGTERM] {
            var old = sigaction()
            sigaction(sig, nil, &old)
            saved[sig] = old
            if sig == SIGINT { previousInterrupt = old } else { previousTerminate = old }
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_sigaction = cleanupHandler
            #else
            action.__sigaction_u.__sa_sigaction = cleanupHandler
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_SIGINFO | (old.sa_flags & SA_RESTART)
            sigaction(sig, &action, nil)
        }
    }

    private static func restore() {
        for (sig, old) in saved {
            var o = old
            sigaction(sig, &o, nil)
        }
        saved = [:]
    }
}

nonisolated(unsafe) var cleanupPaths = [UnsafeMutablePointer<CChar>?](repeating: nil, count: Cleanup.capacity)
nonisolated(unsafe) var previousInterrupt = sigaction()
nonisolated(unsafe) var previousTerminate = sigaction()

private func removeTemporaries() {
    cleanupPaths.withUnsafeBufferPointer { slots in
        for case let p? in slots { unlink(p) }
    }
}

private func isDefault(_ a: sigaction) -> Bool {
    #if canImport(Glibc)
    return a.sa_flags & SA_SIGINFO == 0 && unsafeBitCast(a.__sigaction_handler.sa_handler, to: Int.self) == 0
    #else
    return a.sa_flags & SA_SIGINFO == 0 && unsafeBitCast(a.__sigaction_u.__sa_handler, to: Int.self) == 0
    #endif
}

private func isIgnored(_ a: sigaction) -> Bool {
    #if canImport(Glibc)
    return a.sa_flags & SA_SIGINFO == 0 && unsafeBitCast(a.__sigaction_handler.sa_handler, to: Int.self) == 1
    #else
    return a.sa_flags & SA_SIGINFO == 0 && unsafeBitCast(a.__sigaction_u.__sa_handler, to: Int.self) == 1
    #endif
}

private let cleanupHandler: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = { sig, info, context in
    let previous = sig == SIGINT ? previousInterrupt : previousTerminate
    if isIgnored(previous) { return }
    if isDefault(previous) {
        // The process ends: remove the temporaries, then die of the signal as it would have.
        removeTemporaries()
        var dfl = sigaction()
        sigemptyset(&dfl.sa_mask)
        sigaction(sig, &dfl, nil)
        raise(sig)
        return
    }
    #if canImport(Glibc)
    if previous.sa_flags & SA_SIGINFO != 0 {
        previous.__sigaction_handler.sa_sigaction?(sig, info, context)
    } else {
        previous.__sigaction_handler.sa_handler?(sig)
    }
    #else
    if previous.sa_flags & SA_SIGINFO != 0 {
        previous.__sigaction_u.__sa_sigaction?(sig, info, context)
    } else {
        previous.__sigaction_u.__sa_handler?(sig)
    }
    #endif
    // A handler that gave the signal back its default action (a second Ctrl-C
    // in a script) is about to end the process.
    var now = sigaction()
    sigaction(sig, nil, &now)
    if isDefault(now) { removeTemporaries() }
}
