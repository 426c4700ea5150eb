#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Private-key files on disk: PEM text readable by the owner only. `write` creates the file with
/// mode 0600 from the start (never a moment with wider permissions) and replaces any old file
/// atomically; `read` refuses a file that the group or others can read, as OpenSSH does, because
/// such a key must be considered leaked.
public enum PrivateKeyFile {
    /// Key files are small; anything larger is not a key and is not read into memory.
    public static let sizeLimit = 64 * 1024

    /// Writes `pem` to `path` with mode 0600 (through a temporary file in the same directory,
    /// fsync'd, then renamed over `path`).
    public static func write(pem: String, to path: String) throws {
        let bytes = Array(pem.utf8)
        guard bytes.count <= sizeLimit else {
            throw ChainCryptoError(code: "crypto.key_file", reason: "PEM text of \(bytes.count) bytes is not a key")
        }
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC, 0o600)
        guard fd >= 0 else { throw failure("cannot create", temporary) }
        var closed = false
        defer {
            if !closed {
                close(fd)
                unlink(temporary)
            }
        }
        // The umask may only remove bits; fchmod makes the mode exactly 0600 whatever it is.
        guard fchmod(fd, 0o600) == 0 else { throw failure("cannot set mode 0600 on", temporary) }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure("cannot write", temporary) }
            written += n
        }
        guard fsync(fd) == 0 else { throw failure("cannot fsync", temporary) }
        closed = true
        guard close(fd) == 0 else {
            unlink(temporary)
            throw failure("cannot close", temporary)
        }
        guard rename(temporary, path) == 0 else {
            let error = failure("cannot rename into place", path)
            unlink(temporary)
            throw error
        }
    }

    /// Reads PEM text from `path`, refusing a file whose mode grants any permission to the group
    /// or to others.
    public static func read(path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw failure("cannot open", path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("cannot stat", path) }
        let mode = UInt32(info.st_mode) & 0o777
        guard mode & 0o077 == 0 else {
            throw ChainCryptoError(
                code: "crypto.key_file_permissions",
                reason: "private key \(path) has mode \(String(mode, radix: 8)), readable by group or others; "
                    + "refusing to use it (run: chmod 600 \(path))")
        }
        guard Int(info.st_size) <= sizeLimit else {
            throw ChainCryptoError(code: "crypto.key_file", reason: "\(path) is \(info.st_size) bytes, not a key file")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes[count...].withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw failure("cannot read", path) }
            if n == 0 { break }
            count += n
        }
        guard count <= sizeLimit else {
            throw ChainCryptoError(code: "crypto.key_file", reason: "\(path) grew past \(sizeLimit) bytes while read")
        }
        guard let text = String(validating: bytes[..<count], as: UTF8.self) else {
            throw ChainCryptoError(code: "crypto.key_file", reason: "\(path) is not UTF-8 PEM text")
        }
        return text
    }

    private static func failure(_ what: String, _ path: String) -> ChainCryptoError {
        ChainCryptoError(code: "crypto.key_file", reason: "\(what) \(path): \(String(cString: strerror(errno)))")
    }
}

// File-scope wrappers: inside `PrivateKeyFile`, `read`/`write` name its own methods.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int { write(fd, buffer, count) }
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
