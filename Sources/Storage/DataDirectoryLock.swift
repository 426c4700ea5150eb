import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive advisory lock on a node's data directory (`DATA/LOCK`, `flock`), held for as
/// long as the value lives: a second node, or an offline tool such as `snapshot create`, on the
/// same directory fails with `storage.locked` instead of writing beside the running node. The
/// kernel drops the lock when the process exits, `kill -9` included, so it never goes stale.
public final class DataDirectoryLock: Sendable {
    public let path: String
    private let fd: Mutex<Int32>

    /// Takes the lock, creating the directory and the lock file when missing.
    public init(directory: String) throws {
        try PosixFile.makeDirectory(directory)
        path = directory + "/LOCK"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PosixFile.error(errno, path: path, op: "open") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            _ = close(fd)
            if code == EWOULDBLOCK {
                throw StorageError(
                    code: StorageError.locked, path: path,
                    reason: "another process (a running node?) holds this data directory")
            }
            throw PosixFile.error(code, path: path, op: "flock")
        }
        self.fd = Mutex(fd)
    }

    deinit { release() }

    /// Releases the lock (also released when the value is freed or the process exits).
    public func release() {
        fd.withLock { fd in
            if fd >= 0 { _ = close(fd) }
            fd = -1
        }
    }
}
