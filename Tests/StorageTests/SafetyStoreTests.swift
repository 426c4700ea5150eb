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

    @Test func everyDamagedByteIsDetected() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try SafetyStore(directory: dir.path)
        try store.save(Array("round=7;locked=abc".utf8))
        let original = readFile(store.path)
        for i in original.indices {
            var bytes = original
            bytes[i] ^= 0x10
            writeFile(store.path, bytes)
            let e = #expect(throws: StorageError.self) { try store.load() }
            #expect(e?.code == StorageError.safetyCorrupt)
        }
        for n in [0, 5, 12, original.count - 1] {
            writeFile(store.path, Array(original.prefix(n)))
            #expect(throws: StorageError.self) { try store.load() }
        }
        writeFile(store.path, original + [0])
        #expect(throws: StorageError.self) { try store.load() }
    }

    @Test func hugeLengthIsRefusedBeforeReading() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try SafetyStore(directory: dir.path)
        // magic, version, length 0xFFFFFFFF, any checksum.
        writeFile(store.path, Array("CCSR".utf8) + [1, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        let e = #expect(throws: StorageError.self) { try store.load() }
        #expect(e?.reason.contains("exceeds") == true)
    }

    @Test func leftoverTemporaryFileIsIgnored() throws {
        let dir = TempDir()
        defer { dir.remove() }
        do {
            let store = try SafetyStore(directory: dir.path)
            try store.save([7, 7])
            // A crash between writing the temporary file and the rename.
            writeFile(store.path + ".tmp", [0xde, 0xad])
        }
        let store = try SafetyStore(directory: dir.path)
        #expect(try store.load() == [7, 7])
        #expect(!FileManager.default.fileExists(atPath: store.path + ".tmp"))
    }
}
