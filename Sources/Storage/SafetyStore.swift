import ChainCore
import Logging
import Synchronization

/// The consensus core's safety data (last voted round, locked and highest certificates), kept as
/// one small opaque record that must be durable before any vote is signed.
///
/// The file holds two fixed-size slots, written in turn, each with a sequence number and a
/// CRC-32C. `save` writes the record into the slot that does not hold the newest one and
/// `fdatasync`s the file: one flush of one preallocated file, where replacing a file costs a
/// flush, a rename and a directory flush (the node saves before every vote, on the consensus
/// critical path). A crash during `save` can tear only the slot being written; the other still
/// holds the previous record, which is the right one, because the save never returned and no
/// vote left. `load` returns the newest slot that passes its checks.
///
/// A new file starts with slot 0 holding sequence 0, "never saved", so even a torn first save
/// leaves a valid slot. A file with no valid slot, of the wrong size or with an impossible length
/// throws `storage.safety_corrupt` rather than returning nothing, because treating a lost record
/// as "never voted" could make the replica vote twice. Since the space is reserved when the file is
/// created, a save needs no new disk space.
///
/// Slot layout (docs/storage.md): magic "CCSR", version 2, u64 sequence, u32 length, u32 CRC-32C
/// over the preceding 17 bytes and the record, then the record; each slot is 21 bytes plus
/// `recordBytesMax`. A version 1 file (one record, replaced by rename) is converted on open.
public final class SafetyStore: Sendable {
    static let magic: [UInt8] = Array("CCSR".utf8)
    static let version: UInt8 = 2
    static let headerSize = 21
    static let legacyVersion: UInt8 = 1
    static let legacyHeaderSize = 13

    /// The record's path.
    public let path: String
    private let directory: String
    private let recordBytesMax: Int
    private let logger: Logger
    private let state: Mutex<Slots>

    /// The open file and which slot the next save writes.
    private struct Slots {
        var file: PosixFile
        /// The newest valid sequence number, and the slot holding it (nil when no slot is valid).
        var newest: (sequence: UInt64, slot: Int)?
    }

    private var slotSize: Int { SafetyStore.headerSize + recordBytesMax }

    /// A store for the record `directory/fileName`; creates the directory and, the first time, the
    /// file with both slots' space reserved. A temporary file left by a crash while the file was
    /// being created or converted is removed.
    public init(
        directory: String, fileName: String = "safety.dat", recordBytesMax: Int = 64 << 10,
        logger: Logger = Logger(label: "creditchain.storage.safety")
    ) throws {
        precondition(recordBytesMax > 0 && recordBytesMax <= Int(UInt32.max) - SafetyStore.headerSize)
        self.directory = directory
        self.path = directory + "/" + fileName
        self.recordBytesMax = recordBytesMax
        self.logger = logger
        try PosixFile.makeDirectory(directory)
        try PosixFile.remove(path + ".tmp")
        let slotSize = SafetyStore.headerSize + recordBytesMax
        if !PosixFile.exists(path) {
            try SafetyStore.create(path, directory: directory, slotSize: slotSize, sequence: 0, record: [])
        } else if let legacy = try SafetyStore.legacyRecord(path, recordBytesMax: recordBytesMax) {
            try SafetyStore.create(path, directory: directory, slotSize: slotSize, sequence: 1, record: legacy)
            logger.notice("safety record converted to the two-slot layout")
        } else if let (sequence, record) = try SafetyStore.recordInSmallerSlots(path, slotSize: slotSize) {
            try SafetyStore.create(path, directory: directory, slotSize: slotSize, sequence: sequence, record: record)
            logger.notice("safety record moved to larger slots", metadata: ["slot_bytes": "\(slotSize)"])
        }
        let file = try PosixFile.open(path, create: false)
        var slots = Slots(file: file, newest: nil)
        if let size = try? file.size(), size == UInt64(2 * slotSize),
            let newest = try SafetyStore.scan(file, slotSize: slotSize).newest
        {
            slots.newest = (newest.sequence, newest.slot)
        }
        // The file was created (or last read) in large writes and reads, which Linux 6.x caches in
        // folios of up to 2 MiB; every later save of a few KB would then walk all the block
        // buffers of its folio (~3 % of a 2-core box at 140 tx/s, BENCHMARKS.md). Dropped, the
        // pages come back one by one as saves write them.
        file.dropCachedPages()
        self.state = Mutex(slots)
    }

    deinit {
        state.withLock { $0.file.close() }
    }

    /// The saved record, or nil when none was ever saved.
    public func load() throws -> [UInt8]? {
        try state.withLock { slots in
            let size = try slots.file.size()
            guard size == UInt64(2 * slotSize) else {
                throw corrupt("file of \(size) bytes, expected two slots of \(slotSize)")
            }
            let (newest, damage) = try SafetyStore.scan(slots.file, slotSize: slotSize)
            guard let newest else {
                throw corrupt(damage.isEmpty ? "no slot was ever written" : damage.joined(separator: "; "))
            }
            if !damage.isEmpty {
                // The expected trace of a save torn by a crash: the other slot is the last record.
                logger.notice(
                    "safety record: using sequence \(newest.sequence); the other slot is incomplete",
                    metadata: ["detail": "\(damage.joined(separator: "; "))"])
            }
            slots.file.dropCachedPages()
            return newest.sequence == 0 ? nil : newest.record
        }
    }

    /// Replaces the record durably: when this returns, a crash cannot lose it. On failure the
    /// previous record is untouched (it is in the other slot).
    public func save(_ record: [UInt8]) throws {
        guard record.count <= recordBytesMax else {
            throw StorageError(
                code: StorageError.tooLarge, path: path,
                reason: "safety record of \(record.count) bytes exceeds \(recordBytesMax)")
        }
        try state.withLock { slots in
            let sequence = (slots.newest?.sequence ?? 0) &+ 1
            let slot = slots.newest.map { 1 - $0.slot } ?? 0
            do {
                try slots.file.write(
                    SafetyStore.slotBytes(sequence: sequence, record: record), at: UInt64(slot * slotSize))
                try slots.file.sync()
            } catch let e as StorageError {
                // The slot written may now be torn; the newest record is still the other one.
                logger.error(
                    e.code == StorageError.diskFull
                        ? "safety store: disk full, record not saved; the replica must not vote"
                        : "safety store: save failed; the replica must not vote",
                    metadata: ["error": "\(e)"])
                throw e
            }
            slots.newest = (sequence, slot)
        }
    }

    // MARK: - Layout

    static func slotBytes(sequence: UInt64, record: [UInt8]) -> [UInt8] {
        var e = CanonicalEncoder(reservingCapacity: headerSize + record.count)
        e.raw(magic)
        e.version(version)
        e.u64(sequence)
        e.u32(UInt32(record.count))
        var c = CRC32C.Running()
        c.update(e.bytes)
        c.update(record)
        e.u32(c.value)
        e.raw(record)
        return e.bytes
    }

    enum SlotContent {
        case valid(sequence: UInt64, record: [UInt8])
        /// Never written (the file is created zeroed).
        case empty
        case invalid(String)
    }

    /// Reads both slots: the newest valid one, and what is wrong with any invalid one.
    static func scan(_ file: PosixFile, slotSize: Int) throws -> (
        newest: (sequence: UInt64, slot: Int, record: [UInt8])?, damage: [String]
    ) {
        var newest: (sequence: UInt64, slot: Int, record: [UInt8])?
        var damage: [String] = []
        for slot in 0..<2 {
            switch try read(slot: slot, of: file, slotSize: slotSize) {
            case .valid(let sequence, let record):
                if sequence >= newest?.sequence ?? 0 { newest = (sequence, slot, record) }
            case .invalid(let why):
                damage.append("slot \(slot): \(why)")
            case .empty:
                break
            }
        }
        return (newest, damage)
    }

    /// Reads and checks one slot; the length is bounded by the slot before anything is allocated.
    static func read(slot: Int, of file: PosixFile, slotSize: Int) throws -> SlotContent {
        let offset = UInt64(slot * slotSize)
        let head = try file.read(count: headerSize, at: offset)
        guard head.count == headerSize else { return .invalid("short header") }
        if head.allSatisfy({ $0 == 0 }) { return .empty }
        guard Array(head[0..<4]) == magic else { return .invalid("bad magic") }
        guard head[4] == version else { return .invalid("unsupported version \(head[4])") }
        let sequence = head[5..<13].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let length = head[13..<17].reduce(0) { $0 << 8 | Int($1) }
        let crc = head[17..<21].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard length <= slotSize - headerSize else { return .invalid("length \(length) exceeds the slot") }
        let record = try file.read(count: length, at: offset + UInt64(headerSize))
        guard record.count == length else { return .invalid("short record") }
        var c = CRC32C.Running()
        c.update(head[0..<17])
        c.update(record)
        guard c.value == crc else { return .invalid("checksum mismatch") }
        guard sequence > 0 || record.isEmpty else { return .invalid("sequence 0 with a record") }
        return .valid(sequence: sequence, record: record)
    }

    /// Writes a whole new file (both slots, the record in slot 0) through a temporary file, fsync,
    /// rename and directory fsync: only when the file is created or converted.
    static func create(_ path: String, directory: String, slotSize: Int, sequence: UInt64, record: [UInt8]) throws {
        var image = slotBytes(sequence: sequence, record: record)
        image.append(contentsOf: repeatElement(0, count: 2 * slotSize - image.count))
        let tmp = path + ".tmp"
        do {
            let file = try PosixFile.open(tmp, create: true)
            defer { file.close() }
            try file.truncate(to: 0)
            try file.write(image, at: 0)
            try file.sync()
            try PosixFile.rename(tmp, path)
            try PosixFile.syncDirectory(directory)
        } catch {
            try? PosixFile.remove(tmp)
            throw error
        }
    }

    /// The record of a version 1 file (magic, version 1, u32 length, u32 CRC-32C, record), or nil
    /// when the file is not one. A damaged version 1 file throws.
    static func legacyRecord(_ path: String, recordBytesMax: Int) throws -> [UInt8]? {
        let file = try PosixFile.open(path, create: false, readOnly: true)
        defer { file.close() }
        let size = try file.size()
        let head = try file.read(count: legacyHeaderSize, at: 0)
        guard head.count == legacyHeaderSize, Array(head[0..<4]) == magic, head[4] == legacyVersion else {
            return nil
        }
        let length = head[5..<9].reduce(0) { $0 << 8 | Int($1) }
        let crc = head[9..<13].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard length <= recordBytesMax, size == UInt64(legacyHeaderSize + length) else {
            throw StorageError(
                code: StorageError.safetyCorrupt, path: path, reason: "version 1 record of the wrong length")
        }
        let record = try file.read(count: length, at: UInt64(legacyHeaderSize))
        var c = CRC32C.Running()
        c.update(head[0..<9])
        c.update(record)
        guard c.value == crc else {
            throw StorageError(code: StorageError.safetyCorrupt, path: path, reason: "version 1 checksum mismatch")
        }
        return record
    }

    /// The newest record of a valid two-slot file whose slots are smaller than `slotSize` (written
    /// with a smaller `recordBytesMax`), or nil for any other file (which `load` then judges). A
    /// file with no valid slot is left alone, so the damage is reported, not papered over.
    static func recordInSmallerSlots(_ path: String, slotSize: Int) throws -> (UInt64, [UInt8])? {
        let file = try PosixFile.open(path, create: false, readOnly: true)
        defer { file.close() }
        let size = try file.size()
        guard size % 2 == 0, size < UInt64(2 * slotSize), size >= UInt64(2 * headerSize) else { return nil }
        let (newest, _) = try scan(file, slotSize: Int(size / 2))
        guard let newest else { return nil }
        return (newest.sequence, newest.record)
    }

    private func corrupt(_ why: String) -> StorageError {
        let e = StorageError(code: StorageError.safetyCorrupt, path: path, reason: why)
        logger.critical("safety record is corrupt; refusing to use it", metadata: ["error": "\(e)"])
        return e
    }
}
