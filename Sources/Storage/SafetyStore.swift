import ChainCore
import Logging
import Synchronization

/// The consensus core's safety data (last voted round, locked and highest certificates), kept as
/// one small opaque record that must be durable before any vote is signed.
///
/// `save` writes `NAME.tmp`, fsyncs it, renames it over `NAME` and fsyncs the directory, so after
/// a crash the file holds either the old or the new record, whole. The record carries a CRC-32C;
/// `load` throws `storage.safety_corrupt` for a damaged file rather than returning nothing,
/// because treating a lost record as "never voted" could make the replica vote twice.
///
/// File layout (docs/storage.md): magic "CCSR", version 1, u32 length, u32 CRC-32C over the
/// preceding 9 bytes and the record, then the record.
public final class SafetyStore: Sendable {
    static let magic: [UInt8] = Array("CCSR".utf8)
    static let version: UInt8 = 1
    static let headerSize = 13

    /// The record's path.
    public let path: String
    private let directory: String
    private let recordBytesMax: Int
    private let logger: Logger
    private let lock = Mutex(())

    /// A store for the record `directory/fileName`; creates the directory. A temporary file left
    /// by a crash during `save` is removed (the rename never happened, so it is not the record).
    public init(
        directory: String, fileName: String = "safety.dat", recordBytesMax: Int = 64 << 10,
        logger: Logger = Logger(label: "creditchain.storage.safety")
    ) throws {
        precondition(recordBytesMax > 0 && recordBytesMax <= Int(UInt32.max))
        self.directory = directory
        self.path = directory + "/" + fileName
        self.recordBytesMax = recordBytesMax
        self.logger = logger
        try PosixFile.makeDirectory(directory)
        try PosixFile.remove(path + ".tmp")
    }

    /// The saved record, or nil when none was ever saved.
    public func load() throws -> [UInt8]? {
        try lock.withLock { _ in
            guard PosixFile.exists(path) else { return nil }
            let file = try PosixFile.open(path, create: false, readOnly: true)
            defer { file.close() }
            let size = try file.size()
            guard size >= UInt64(SafetyStore.headerSize) else { throw corrupt("file of \(size) bytes is too short") }
            let head = try file.read(count: SafetyStore.headerSize, at: 0)
            guard Array(head[0..<4]) == SafetyStore.magic else { throw corrupt("bad magic") }
            guard head[4] == SafetyStore.version else { throw corrupt("unsupported version \(head[4])") }
            let length = head[5..<9].reduce(0) { $0 << 8 | Int($1) }
            let crc = head[9..<13].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            // Bound the length before allocating.
            guard length <= recordBytesMax else { throw corrupt("length \(length) exceeds \(recordBytesMax)") }
            guard size == UInt64(SafetyStore.headerSize + length) else {
                throw corrupt("file is \(size) bytes, header says \(SafetyStore.headerSize + length)")
            }
            let record = try file.read(count: length, at: UInt64(SafetyStore.headerSize))
            var c = CRC32C.Running()
            c.update(head[0..<9])
            c.update(record)
            guard c.value == crc else { throw corrupt("checksum mismatch") }
            return record
        }
    }

    /// Replaces the record durably: when this returns, a crash cannot lose it. On failure
    /// (a full disk, say) the previous record is untouched.
    public func save(_ record: [UInt8]) throws {
        guard record.count <= recordBytesMax else {
            throw StorageError(
                code: StorageError.tooLarge, path: path,
                reason: "safety record of \(record.count) bytes exceeds \(recordBytesMax)")
        }
        var e = CanonicalEncoder(reservingCapacity: SafetyStore.headerSize + record.count)
        e.raw(SafetyStore.magic)
        e.version(SafetyStore.version)
        e.u32(UInt32(record.count))
        var c = CRC32C.Running()
        c.update(e.bytes)
        c.update(record)
        e.u32(c.value)
        e.raw(record)
        let bytes = e.bytes
        try lock.withLock { _ in
            let tmp = path + ".tmp"
            do {
                let file = try PosixFile.open(tmp, create: true)
                defer { file.close() }
                try file.truncate(to: 0)
                try file.write(bytes, at: 0)
                try file.sync()
                try PosixFile.rename(tmp, path)
                try PosixFile.syncDirectory(directory)
            } catch let e as StorageError {
                try? PosixFile.remove(tmp)
                logger.error(
                    e.code == StorageError.diskFull
                        ? "safety store: disk full, record not saved; the replica must not vote"
                        : "safety store: save failed; the replica must not vote",
                    metadata: ["error": "\(e)"])
                throw e
            }
        }
    }

    private func corrupt(_ why: String) -> StorageError {
        let e = StorageError(code: StorageError.safetyCorrupt, path: path, reason: why)
        logger.critical("safety record is corrupt; refusing to use it", metadata: ["error": "\(e)"])
        return e
    }
}
