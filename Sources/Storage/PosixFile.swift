#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file opened with POSIX calls. Storage uses the system calls directly (not FileHandle)
/// because durability needs `fdatasync`/`fsync` on files and directories, `ftruncate` to roll
/// back a failed append, and the exact `errno` to tell a full disk from other failures.
///
/// Not thread-safe by itself: each store serialises access to its files.
final class PosixFile {
    let path: String
    private(set) var fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit {
        if fd >= 0 { _ = systemClose(fd) }
    }

    /// Opens an existing file for reading and writing, or creates it when `create` is set.
    static func open(_ path: String, create: Bool, readOnly: Bool = false) throws -> PosixFile {
        var flags: Int32 = readOnly ? O_RDONLY : O_RDWR
        if create { flags |= O_CREAT }
        flags |= O_CLOEXEC
        let fd = systemOpen(path, flags, 0o644)
        guard fd >= 0 else { throw PosixFile.error(errno, path: path, op: "open") }
        return PosixFile(path: path, fd: fd)
    }

    func close() {
        if fd >= 0 {
            _ = systemClose(fd)
            fd = -1
        }
    }

    /// The current size in bytes.
    func size() throws -> UInt64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw PosixFile.error(errno, path: path, op: "fstat") }
        return UInt64(st.st_size)
    }

    /// Writes every byte at `offset`, retrying short writes and EINTR.
    func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64) throws {
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            let n = pwrite(fd, base + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw PosixFile.error(errno, path: path, op: "write")
            }
            if n == 0 {
                // pwrite returning 0 for a non-empty buffer only happens when the device is full.
                throw PosixFile.error(ENOSPC, path: path, op: "write")
            }
            done += n
        }
    }

    func write(_ bytes: [UInt8], at offset: UInt64) throws {
        try bytes.withUnsafeBytes { try write($0, at: offset) }
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns the number read (short only at EOF).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let n = pread(fd, base + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw PosixFile.error(errno, path: path, op: "read")
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads exactly `count` bytes at `offset`, or fewer at end of file.
    func read(count: Int, at offset: UInt64) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let n = try out.withUnsafeMutableBytes { try read(into: $0, at: offset) }
        if n < count { out.removeLast(count - n) }
        return out
    }

    /// Flushes the file's data and the metadata needed to read it back (its size) to the device.
    func sync() throws {
        #if os(Linux)
            let rc = fdatasync(fd)
        #else
            let rc = fsync(fd)
        #endif
        guard rc == 0 else { throw PosixFile.error(errno, path: path, op: "fdatasync") }
    }

    /// Asks the kernel to drop the file's clean cached pages (a hint: nothing changes on disk,
    /// and a kernel that ignores it only costs the next write some CPU). Dirty pages stay until
    /// written back.
    func dropCachedPages() {
        #if os(Linux)
            _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
        #endif
    }

    func truncate(to size: UInt64) throws {
        guard ftruncate(fd, off_t(size)) == 0 else { throw PosixFile.error(errno, path: path, op: "ftruncate") }
    }

    /// fsyncs a directory, making the creation, rename or removal of its entries durable.
    static func syncDirectory(_ path: String) throws {
        let fd = systemOpen(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        guard fd >= 0 else { throw PosixFile.error(errno, path: path, op: "open directory") }
        defer { _ = systemClose(fd) }
        guard fsync(fd) == 0 else { throw PosixFile.error(errno, path: path, op: "fsync directory") }
    }

    /// Atomically replaces `to` with `from` (same file system).
    static func rename(_ from: String, _ to: String) throws {
        guard systemRename(from, to) == 0 else { throw PosixFile.error(errno, path: to, op: "rename") }
    }

    /// Removes a file; a missing file is not an error.
    static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw PosixFile.error(errno, path: path, op: "unlink") }
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// Creates a directory and its parents (like `mkdir -p`).
    static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw PosixFile.error(errno, path: prefix, op: "mkdir")
            }
        }
    }

    /// Names in a directory (without `.` and `..`).
    static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw PosixFile.error(errno, path: path, op: "opendir") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Maps errno to the module's error: ENOSPC and EDQUOT become `storage.disk_full` so callers
    /// can stop accepting writes and retry later; everything else is `storage.io`.
    static func error(_ code: Int32, path: String, op: String) -> StorageError {
        let message = String(cString: strerror(code))
        if code == ENOSPC || code == EDQUOT {
            return StorageError(code: StorageError.diskFull, path: path, reason: "\(op): \(message)")
        }
        return StorageError(code: StorageError.io, path: path, reason: "\(op): \(message) (errno \(code))")
    }
}

// Module-qualified aliases: inside PosixFile, `open`, `close` and `rename` name the methods.
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
private func systemRename(_ from: String, _ to: String) -> Int32 { rename(from, to) }
