import Foundation
import Testing

@testable import Storage

@Suite struct SafetyStoreTests {
    @Test func emptyUntilSavedThenRoundTrips() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try SafetyStore(directory: dir.path)
        #expect(try store.load() == nil)
        try store.save([1, 2, 3])
        #expect(try store.load() == [1, 2, 3])
        try store.save([])
        #expect(try store.load() == [])
        let big = (0..<60_000).map { UInt8(truncatingIfNeeded: $0) }
        try store.save(big)
        // A new instance (a restarted process) reads the last record.
        #expect(try SafetyStore(directory: dir.path).load() == big)
        #expect(!FileManager.default.fileExists(atPath: store.path + ".tmp"))
    }

    @Test func refusesOversizeRecord() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try SafetyStore(directory: dir.path, recordBytesMax: 10)
        try store.save([9])
        let e = #expect(throws: StorageError.self) { try store.save([UInt8](repeating: 0, count: 11)) }
        #expect(e?.code == StorageError.tooLarge)
        #expect(try store.load() == [9])
    }

    /// Layout: two slots of 21 + recordBytesMax bytes; saves alternate between them.
    @Test func savesAlternateSlotsAndTheFileNeverGrows() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try SafetyStore(directory: dir.path, recordBytesMax: 100)
        let size = readFile(store.path).count
        #expect(size == 2 * (SafetyStore.headerSize + 100))
        try store.save([1])
        try store.save([2, 2])
        try store.save([3, 3, 3])
        #expect(readFile(store.path).count == size)
        // Slot 0 held sequence 0 ("never saved"), then 2; slot 1 held 1, then 3.
        let bytes = readFile(store.path)
        #expect(bytes[5..<13].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } == 2)
        #expect(bytes[121 + 5..<121 + 13].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } == 3)
        #expect(try SafetyStore(directory: dir.path, recordBytesMax: 100).load() == [3, 3, 3])
    }

    /// A save torn by a crash damages only the slot it was writing: the previous record, in the
    /// other slot, is the one a restarted replica must use (the torn save never returned, so no
    /// vote depended on it). Damage to both slots is refused.
    @Test func tornSaveFallsBackToThePreviousRecordAndDoubleDamageIsRefused() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try SafetyStore(directory: dir.path)
        try store.save(Array("round=6".utf8))
        try store.save(Array("round=7;locked=abc".utf8))
        let original = readFile(store.path)
        let slot = SafetyStore.headerSize + (64 << 10)
        // The newest record (sequence 2) is in slot 0.
        let newest = 0..<(SafetyStore.headerSize + 18)
        for i in newest {
            var bytes = original
            bytes[i] ^= 0x10
            writeFile(store.path, bytes)
            #expect(try SafetyStore(directory: dir.path).load() == Array("round=6".utf8))
            // And with the other slot damaged too, nothing valid is left.
            bytes[slot + 9] ^= 0x01
            writeFile(store.path, bytes)
            let e = #expect(throws: StorageError.self) { try store.load() }
            #expect(e?.code == StorageError.safetyCorrupt)
        }
        // A torn first save: slot 1 garbage, slot 0 still says "never saved".
        let fresh = TempDir()
        defer { fresh.remove() }
        let empty = try SafetyStore(directory: fresh.path)
        var bytes = readFile(empty.path)
        for i in slot..<(slot + 30) { bytes[i] = 0xAB }
        writeFile(empty.path, bytes)
        #expect(try SafetyStore(directory: fresh.path).load() == nil)
        for n in [0, 5, 12, original.count - 1] {
            writeFile(store.path, Array(original.prefix(n)))
            let e = #expect(throws: StorageError.self) { try store.load() }
            #expect(e?.code == StorageError.safetyCorrupt)
        }
        writeFile(store.path, original + [0])
        #expect(throws: StorageError.self) { try store.load() }
    }

    @Test func hugeLengthIsRefusedBeforeReading() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try SafetyStore(directory: dir.path, recordBytesMax: 16)
        var bytes = readFile(store.path)
        // Slot 0: magic, version 2, sequence 5, length 0xFFFFFFFF, any checksum.
        let head = Array("CCSR".utf8) + [2, 0, 0, 0, 0, 0, 0, 0, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]
        bytes.replaceSubrange(0..<head.count, with: head)
        // Slot 1 likewise damaged, so the refusal surfaces.
        bytes.replaceSubrange(37..<37 + head.count, with: head)
        writeFile(store.path, bytes)
        let e = #expect(throws: StorageError.self) { try store.load() }
        #expect(e?.reason.contains("exceeds the slot") == true)
    }

    @Test func leftoverTemporaryFileIsIgnored() throws {
        let dir = TempDir()
        defer { dir.remove() }
        do {
            let store = try SafetyStore(directory: dir.path)
            try store.save([7, 7])
            // A crash while the file was being created or converted (the rename never happened).
            writeFile(store.path + ".tmp", [0xde, 0xad])
        }
        let store = try SafetyStore(directory: dir.path)
        #expect(try store.load() == [7, 7])
        #expect(!FileManager.default.fileExists(atPath: store.path + ".tmp"))
    }

    /// A version 1 file (one record, replaced by rename) is converted on open, record kept; a
    /// damaged one is refused.
    @Test func versionOneFileIsConverted() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let record: [UInt8] = Array("round=41".utf8)
        var head: [UInt8] = Array("CCSR".utf8) + [1, 0, 0, 0, UInt8(record.count)]
        var c = CRC32C.Running()
        c.update(head)
        c.update(record)
        head += (0..<4).map { UInt8(truncatingIfNeeded: c.value >> (24 - 8 * $0)) }
        writeFile(dir.path + "/safety.dat", head + record)
        let store = try SafetyStore(directory: dir.path)
        #expect(try store.load() == record)
        try store.save([1])
        #expect(try SafetyStore(directory: dir.path).load() == [1])

        let damaged = TempDir()
        defer { damaged.remove() }
        var bad = head + record
        bad[bad.count - 1] ^= 1
        writeFile(damaged.path + "/safety.dat", bad)
        let e = #expect(throws: StorageError.self) { try SafetyStore(directory: damaged.path) }
        #expect(e?.code == StorageError.safetyCorrupt)
    }
}

@Suite struct SafetyStoreResizeTests {
    /// A store opened with larger records than its file was made for moves the newest record into
    /// larger slots (atomically, through a new file) instead of refusing the file as corrupt.
    @Test func aLargerRecordLimitKeepsTheNewestRecord() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let small = try SafetyStore(directory: dir.path, recordBytesMax: 100)
        try small.save([1])
        try small.save([2, 2])
        let large = try SafetyStore(directory: dir.path, recordBytesMax: 1_000)
        #expect(try large.load() == [2, 2])
        #expect(readFile(large.path).count == 2 * (SafetyStore.headerSize + 1_000))
        try large.save([UInt8](repeating: 3, count: 900))
        #expect(try SafetyStore(directory: dir.path, recordBytesMax: 1_000).load()?.count == 900)
    }

    /// A file with no valid slot is not "resized" into an empty record: it stays corrupt.
    @Test func aDamagedSmallerFileStaysCorrupt() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let small = try SafetyStore(directory: dir.path, recordBytesMax: 100)
        try small.save([1])
        var bytes = readFile(small.path)
        for i in bytes.indices { bytes[i] = 0xEE }
        #expect(FileManager.default.createFile(atPath: small.path, contents: Data(bytes)))
        let e = #expect(throws: StorageError.self) {
            try SafetyStore(directory: dir.path, recordBytesMax: 1_000).load()
        }
        #expect(e?.code == StorageError.safetyCorrupt)
    }
}
