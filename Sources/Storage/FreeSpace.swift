#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Free space on the file system holding a path — for the node's health checks and metrics, and
/// to tell a full disk from other I/O errors where SQLite reports only a generic I/O failure.
public enum FreeSpace {
    /// Bytes available to unprivileged writers on the file system holding `path` (or its
    /// parent directory when `path` does not exist); nil when it cannot be determined.
    public static func bytesAvailable(at path: String) -> UInt64? {
        var st = statvfs()
        if statvfs(path, &st) == 0 { return UInt64(st.f_bavail) * UInt64(st.f_frsize) }
        guard let slash = path.lastIndex(of: "/") else { return nil }
        let parent = slash == path.startIndex ? "/" : String(path[..<slash])
        guard statvfs(parent, &st) == 0 else { return nil }
        return UInt64(st.f_bavail) * UInt64(st.f_frsize)
    }
}
