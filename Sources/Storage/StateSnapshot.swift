import ChainCore
import Foundation
import GRDB

/// A state snapshot file: every state entry at one applied height, for a new or observer node to
/// start from. Layout (big-endian; docs/storage.md):
///
/// ```
/// magic "CCSS" ‖ version u8 (1) ‖ height u64 ‖ state root (32) ‖ entry count u64
/// entry*: key length u32 ‖ key ‖ value length u32 ‖ value      (keys strictly ascending)
/// CRC-32C u32 over every preceding byte
/// ```
///
/// The checksum only guards against damage in transit or on disk. Trust comes from the node
/// recomputing the state root from the entries (streamed by `StateSnapshotReader` or the
/// `visit` closure of `StateStore.importSnapshot`) and checking it against the commit
/// certificate of the block that carries that root.
public struct StateSnapshotHeader: Equatable, Sendable {
    static let magic: [UInt8] = Array("CCSS".utf8)
    static let version: UInt8 = 1
    static let size = 4 + 1 + 8 + 32 + 8

    public var height: Height
    public var stateRoot: Hash
    public var entryCount: UInt64

    public init(height: Height, stateRoot: Hash, entryCount: UInt64) {
        self.height = height
        self.stateRoot = stateRoot
        self.entryCount = entryCount
    }

    var bytes: [UInt8] {
        var e = CanonicalEncoder(reservingCapacity: Self.size)
        e.raw(Self.magic)
        e.version(Self.version)
        e.u64(height.value)
        e.hash(stateRoot)
        e.u64(entryCount)
        return e.bytes
    }
}

/// Streams the entries of a snapshot file with bounded memory: each length is checked against
/// its limit before anything is allocated, keys must ascend strictly, and after the last entry
/// the count and the checksum are verified — `next()` throws `storage.snapshot_corrupt` instead
/// of returning nil when they do not match, so a consumer that reaches the end has seen exactly
/// the exported entries.
public final class StateSnapshotReader {
    /// The snapshot's height, state root and entry count.
    public let header: StateSnapshotHeader
    private let file: PosixFile
    private let fileSize: UInt64
    private let keyBytesMax: Int
    private let valueBytesMax: Int
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    private var fileOffset: UInt64 = 0
    private var crc = CRC32C.Running()
    private var read: UInt64 = 0
    private var lastKey: [UInt8]?
    private var finished = false

    /// Opens `path` and reads its header.
    public init(path: String, keyBytesMax: Int = 1024, valueBytesMax: Int = 4 << 20) throws {
        self.file = try PosixFile.open(path, create: false, readOnly: true)
        self.fileSize = try file.size()
        self.keyBytesMax = keyBytesMax
        self.valueBytesMax = valueBytesMax
        var tmpHeader = StateSnapshotHeader(height: Height(0), stateRoot: .zero, entryCount: 0)
        let bytes = try Self.take(
            StateSnapshotHeader.size, from: file, fileSize: fileSize, buffer: &buffer, bufferStart: &bufferStart,
            fileOffset: &fileOffset, crc: &crc, path: path)
        guard Array(bytes[0..<4]) == StateSnapshotHeader.magic else { throw Self.corrupt(path, "bad magic") }
        guard bytes[4] == StateSnapshotHeader.version else {
            throw Self.corrupt(path, "unsupported version \(bytes[4])")
        }
        var d = CanonicalDecoder(Array(bytes[5...]))
        do {
            tmpHeader.height = Height(try d.u64("height"))
            tmpHeader.stateRoot = try d.hash("state_root")
            tmpHeader.entryCount = try d.u64("entry_count")
        } catch {
            throw Self.corrupt(path, "header: \(error)")
        }
        header = tmpHeader
    }

    deinit { file.close() }

    /// The next entry, nil after the last one (once the count and checksum were verified).
    public func next() throws -> StateEntry? {
        if finished { return nil }
        if read == header.entryCount {
            let expected = crc.value
            let trailer = try take(4)
            let stored = trailer.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            guard stored == expected else { throw Self.corrupt(file.path, "checksum mismatch") }
            guard fileOffset - UInt64(buffer.count - bufferStart) == fileSize else {
                throw Self.corrupt(file.path, "bytes after the checksum")
            }
            finished = true
            return nil
        }
        let key = try lengthPrefixed(max: keyBytesMax, field: "key")
        if let lastKey, !lastKey.lexicographicallyPrecedes(key) {
            throw Self.corrupt(file.path, "keys are not strictly ascending at entry \(read)")
        }
        let value = try lengthPrefixed(max: valueBytesMax, field: "value")
        lastKey = key
        read += 1
        return StateEntry(key: key, value: value)
    }

    private func lengthPrefixed(max: Int, field: String) throws -> [UInt8] {
        let n = Int(try take(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        guard n <= max else { throw Self.corrupt(file.path, "\(field) length \(n) exceeds the limit \(max)") }
        return try take(n)
    }

    private func take(_ n: Int) throws -> [UInt8] {
        try Self.take(
            n, from: file, fileSize: fileSize, buffer: &buffer, bufferStart: &bufferStart, fileOffset: &fileOffset,
            crc: &crc, path: file.path)
    }

    // Static so that init can use it before every stored property is set.
    private static func take(
        _ n: Int, from file: PosixFile, fileSize: UInt64, buffer: inout [UInt8], bufferStart: inout Int,
        fileOffset: inout UInt64, crc: inout CRC32C.Running, path: String
    ) throws -> [UInt8] {
        // The length was bounded by the caller; also refuse to read past the end of the file.
        guard UInt64(n) <= UInt64(buffer.count - bufferStart) + (fileSize - fileOffset) else {
            throw corrupt(path, "truncated")
        }
        while buffer.count - bufferStart < n {
            buffer.removeFirst(bufferStart)
            bufferStart = 0
            let chunk = try file.read(count: max(1 << 20, n - buffer.count), at: fileOffset)
            guard !chunk.isEmpty else { throw corrupt(path, "truncated") }
            fileOffset += UInt64(chunk.count)
            buffer.append(contentsOf: chunk)
        }
        let out = Array(buffer[bufferStart..<bufferStart + n])
        bufferStart += n
        crc.update(out)
        return out
    }

    static func corrupt(_ path: String, _ why: String) -> StorageError {
        StorageError(code: StorageError.snapshotCorrupt, path: path, reason: why)
    }
}

extension StateStore {
    /// Writes every state entry at the applied height to `path` (atomically: a temporary file,
    /// fsync, rename, directory fsync) from one read snapshot, so blocks applied meanwhile do not
    /// mix in. Throws `storage.invalid_argument` when nothing is applied.
    @discardableResult
    public func exportSnapshot(to path: String) throws -> StateSnapshotHeader {
        let tmp = path + ".tmp"
        do {
            let header = try read("export snapshot") { db -> StateSnapshotHeader in
                guard let applied = try StateStore.applied(db) else {
                    throw StorageError(
                        code: StorageError.invalidArgument, path: self.path, reason: "no applied state to export")
                }
                let count = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM state") ?? 0
                let header = StateSnapshotHeader(
                    height: applied.height, stateRoot: applied.stateRoot, entryCount: UInt64(count))
                let file = try PosixFile.open(tmp, create: true)
                defer { file.close() }
                try file.truncate(to: 0)
                var out = BufferedWriter(file: file)
                try out.write(header.bytes)
                let rows = try Row.fetchCursor(db, sql: "SELECT key, value FROM state ORDER BY key")
                var e = CanonicalEncoder(reservingCapacity: 4096)
                while let row = try rows.next() {
                    let key: Data = row[0]
                    let value: Data = row[1]
                    e = CanonicalEncoder(reservingCapacity: key.count + value.count + 8)
                    e.u32(UInt32(key.count))
                    e.raw(key)
                    e.u32(UInt32(value.count))
                    e.raw(value)
                    try out.write(e.bytes)
                }
                var trailer = CanonicalEncoder()
                trailer.u32(out.checksum)
                try out.write(trailer.bytes)
                try out.flush()
                try file.sync()
                return header
            }
            try PosixFile.rename(tmp, path)
            try PosixFile.syncDirectory(Self.directory(of: path))
            logger.info(
                "state snapshot exported",
                metadata: ["path": "\(path)", "height": "\(header.height)", "entries": "\(header.entryCount)"])
            return header
        } catch {
            try? PosixFile.remove(tmp)
            throw error
        }
    }

    /// Loads a snapshot into an empty store (or, with `replacingExisting`, one whose state,
    /// block and transaction tables are dropped first) in ONE database transaction, and sets the
    /// applied height and state root from its header (and `meta`, in the same transaction). `visit` sees every entry in order before
    /// the commit; throwing from it (say, because the recomputed state root differs from the
    /// header's or from the certified one) aborts the import with nothing changed. A malformed
    /// file throws `storage.snapshot_corrupt`, likewise with nothing changed.
    ///
    /// The transaction index and per-block roots below the snapshot height are not part of a
    /// snapshot: `transaction(hash:)` knows only transactions applied after it.
    @discardableResult
    public func importSnapshot(
        from path: String, replacingExisting: Bool = false, meta: [MetaValue] = [],
        visit: ((StateEntry) throws -> Void)? = nil
    ) throws -> StateSnapshotHeader {
        try checkMetaNames(meta)
        let reader = try StateSnapshotReader(
            path: path, keyBytesMax: options.keyBytesMax, valueBytesMax: options.valueBytesMax)
        let header = reader.header
        let h = try StateStore.sqlHeight(header.height)
        try write("import snapshot") { db in
            let hasState = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM state)") ?? false
            if try StateStore.applied(db) != nil || hasState {
                guard replacingExisting else {
                    throw StorageError(
                        code: StorageError.notEmpty, path: self.path, reason: "the state store already holds state")
                }
                try db.execute(sql: "DELETE FROM state; DELETE FROM block; DELETE FROM tx;")
            }
            let insert = try db.cachedStatement(sql: "INSERT INTO state (key, value) VALUES (?, ?)")
            while let entry = try reader.next() {
                try visit?(entry)
                try insert.execute(arguments: [Data(entry.key), Data(entry.value)])
            }
            try StateStore.writeMeta(db, meta)
            try StateStore.setApplied(db, height: h, stateRoot: header.stateRoot)
            try StateStore.setBlock(db, height: h, stateRoot: header.stateRoot, txCount: 0)
        }
        logger.info(
            "state snapshot imported",
            metadata: ["path": "\(path)", "height": "\(header.height)", "entries": "\(header.entryCount)"])
        return header
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// Appends to a file through a 1 MiB buffer, keeping a running CRC-32C of everything written.
struct BufferedWriter {
    let file: PosixFile
    private var buffer: [UInt8] = []
    private var offset: UInt64 = 0
    private var crc = CRC32C.Running()

    init(file: PosixFile) {
        self.file = file
        buffer.reserveCapacity(1 << 20)
    }

    var checksum: UInt32 { crc.value }

    mutating func write(_ bytes: [UInt8]) throws {
        crc.update(bytes)
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try file.write(buffer, at: offset)
        offset += UInt64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }
}
