/// The error every Storage operation throws: a stable dotted `code` (the node maps it to its own
/// errors and the API to problem+json), the file it concerns when there is one, and a reason.
///
/// Codes are compared by value; the well-known ones are the static constants below, so callers
/// can write `catch let e as StorageError where e.code == StorageError.diskFull`.
public struct StorageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable, lowercase, dotted code, e.g. `storage.disk_full`.
    public let code: String
    /// The file or directory involved, when there is one.
    public let path: String?
    /// What went wrong, for people.
    public let reason: String

    public init(code: String, path: String? = nil, reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    public var description: String {
        if let path { return "\(code) (\(path)): \(reason)" }
        return "\(code): \(reason)"
    }

    /// No space (or quota) left on the device. Nothing was half-written: the store rolled the
    /// failed write back, keeps serving reads, and accepts writes again once space returns.
    public static let diskFull = "storage.disk_full"
    /// Any other operating-system I/O failure (errno in the reason).
    public static let io = "storage.io"
    /// Corruption that is not a torn tail (damage before the last good entry, a damaged sealed
    /// segment, a bad entry read back). Never repaired silently; the operator decides.
    public static let corrupt = "storage.corrupt"
    /// An entry or record above its configured size limit (on write, or a length field on read).
    public static let tooLarge = "storage.too_large"
    /// An append or apply whose height does not follow the last one.
    public static let heightMismatch = "storage.height_mismatch"
    /// A durable sync failed; the store refuses writes until it is reopened, because after a
    /// failed fsync the kernel may have dropped the dirty pages and the file's state is unknown.
    public static let writesDisabled = "storage.writes_disabled"
    /// The safety record's checksum, magic or length is wrong.
    public static let safetyCorrupt = "storage.safety_corrupt"
    /// A snapshot file is malformed, truncated, unsorted or fails its checksum.
    public static let snapshotCorrupt = "storage.snapshot_corrupt"
    /// A snapshot import into a state store that already holds applied state.
    public static let notEmpty = "storage.not_empty"
    /// An SQLite error other than a full disk (the SQLite message in the reason).
    public static let database = "storage.database"
    /// The data directory is locked by another process (a running node).
    public static let locked = "storage.locked"
    /// An argument out of its documented range (a programming error surfaced as a value).
    public static let invalidArgument = "storage.invalid_argument"
}
