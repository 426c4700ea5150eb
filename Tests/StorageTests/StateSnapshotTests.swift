import ChainCore
import Foundation
import Ledger
import Testing

@testable import Storage

@Suite struct StateSnapshotTests {
    private let root = Hash(w0: 1, w1: 2, w2: 3, w3: 4)

    /// A store with 500 entries applied over three blocks (some overwritten, some deleted).
    private func populated(_ dir: TempDir) throws -> StateStore {
        let store = try StateStore(path: dir.file("source.sqlite"))
        try store.apply(
            height: Height(1), stateRoot: Hash(w0: 1, w1: 0, w2: 0, w3: 0),
            writes: (0..<400).map { (i: Int) -> StateWrite in
                StateWrite(key: [0x10, UInt8(i % 256), UInt8(i / 256)], value: [UInt8(i % 9)])
            })
        try store.apply(
            height: Height(2), stateRoot: Hash(w0: 2, w1: 0, w2: 0, w3: 0),
            writes: (0..<100).map { (i: Int) -> StateWrite in
                StateWrite(key: [0x20, UInt8(i)], value: [UInt8](repeating: 0xAB, count: i))
            })
        try store.apply(
            height: Height(3), stateRoot: root,
            writes: [StateWrite(key: [0x10, 0, 0], value: nil), StateWrite(key: [0x00], value: [])])
        return store
    }

    private func entries(_ store: StateStore) throws -> [StateEntry] {
        var out: [StateEntry] = []
        try store.forEachEntry { _, e in out.append(e) }
        return out
    }

    /// Hand-built snapshot bytes (header, entries, checksum), for malformed-file tests.
    private func snapshotBytes(_ entries: [([UInt8], [UInt8])], count: UInt64? = nil, keyLength: UInt32? = nil)
        -> [UInt8]
    {
        var e = CanonicalEncoder()
        e.raw(Array("CCSS".utf8))
        e.version(1)
        e.u64(9)
        e.hash(root)
        e.u64(count ?? UInt64(entries.count))
        for (k, v) in entries {
            e.u32(keyLength ?? UInt32(k.count))
            e.raw(k)
            e.u32(UInt32(v.count))
            e.raw(v)
        }
        var bytes = e.bytes
        let crc = CRC32C.checksum(bytes)
        bytes += [UInt8(crc >> 24), UInt8(truncatingIfNeeded: crc >> 16), UInt8(truncatingIfNeeded: crc >> 8)]
        bytes.append(UInt8(truncatingIfNeeded: crc))
        return bytes
    }

    @Test func exportImportRoundTrip() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let source = try populated(dir)
        let header = try source.exportSnapshot(to: dir.file("snap.ccs"))
        #expect(header == StateSnapshotHeader(height: Height(3), stateRoot: root, entryCount: 500))
        #expect(!FileManager.default.fileExists(atPath: dir.file("snap.ccs.tmp")))

        // The reader streams exactly the source's entries, in order.
        let reader = try StateSnapshotReader(path: dir.file("snap.ccs"))
        #expect(reader.header == header)
        var streamed: [StateEntry] = []
        while let e = try reader.next() { streamed.append(e) }
        #expect(try reader.next() == nil)
        #expect(streamed == (try entries(source)))

        let target = try StateStore(path: dir.file("target.sqlite"))
        var visited = 0
        let imported = try target.importSnapshot(
            from: dir.file("snap.ccs"), meta: [.init(name: "node.validator_schedule", value: [1, 2])]
        ) { _ in visited += 1 }
        #expect(imported == header)
        #expect(try target.meta("node.validator_schedule") == [1, 2])
        #expect(visited == 500)
        #expect(try target.applied() == StateStore.Applied(height: Height(3), stateRoot: root))
        #expect(try entries(target) == (try entries(source)))
        // The imported store continues with the next block.
        try target.apply(height: Height(4), stateRoot: root, writes: [StateWrite(key: [1], value: [1])])
    }

    @Test func importRefusesANonEmptyStoreUnlessReplacing() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let source = try populated(dir)
        try source.exportSnapshot(to: dir.file("snap.ccs"))
        let target = try StateStore(path: dir.file("target.sqlite"))
        try target.apply(height: Height(1), stateRoot: .zero, writes: [StateWrite(key: [0xEE], value: [1])])
        let e = #expect(throws: StorageError.self) { try target.importSnapshot(from: dir.file("snap.ccs")) }
        #expect(e?.code == StorageError.notEmpty)
        try target.importSnapshot(from: dir.file("snap.ccs"), replacingExisting: true)
        #expect(try target.get([0xEE]) == nil)
        #expect(try entries(target) == (try entries(source)))
        #expect(try target.stateRoot(at: Height(1)) == nil)
    }

    @Test func exportNeedsAppliedState() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try StateStore(path: dir.file("s.sqlite"))
        let e = #expect(throws: StorageError.self) { try store.exportSnapshot(to: dir.file("snap.ccs")) }
        #expect(e?.code == StorageError.invalidArgument)
    }

    @Test func aThrowingVisitorAbortsTheImport() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let source = try populated(dir)
        try source.exportSnapshot(to: dir.file("snap.ccs"))
        let target = try StateStore(path: dir.file("target.sqlite"))
        struct RootMismatch: Error {}
        var seen = 0
        #expect(throws: RootMismatch.self) {
            try target.importSnapshot(from: dir.file("snap.ccs")) { _ in
                seen += 1
                if seen == 499 { throw RootMismatch() }
            }
        }
        #expect(try target.applied() == nil)
        #expect(try target.scan(prefix: [], limit: 10).isEmpty)
    }

    @Test func damagedSnapshotsAreRefusedAndChangeNothing() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let source = try populated(dir)
        try source.exportSnapshot(to: dir.file("snap.ccs"))
        let original = readFile(dir.file("snap.ccs"))
        let target = try StateStore(path: dir.file("target.sqlite"))
        let positions = [0, 4, 5, 12, 20, 50, 55, 60, 1000, original.count / 2, original.count - 5, original.count - 1]
        for p in positions {
            var bytes = original
            bytes[p] ^= 0x04
            writeFile(dir.file("bad.ccs"), bytes)
            let e = #expect(throws: StorageError.self) { try target.importSnapshot(from: dir.file("bad.ccs")) }
            #expect(e?.code == StorageError.snapshotCorrupt, "byte \(p)")
        }
        for n in [0, 10, 53, 60, original.count - 4, original.count - 1] {
            writeFile(dir.file("bad.ccs"), Array(original.prefix(n)))
            let e = #expect(throws: StorageError.self) { try target.importSnapshot(from: dir.file("bad.ccs")) }
            #expect(e?.code == StorageError.snapshotCorrupt, "prefix \(n)")
        }
        writeFile(dir.file("bad.ccs"), original + [0])
        #expect(throws: StorageError.self) { try target.importSnapshot(from: dir.file("bad.ccs")) }
        #expect(try target.applied() == nil)
        #expect(try target.scan(prefix: [], limit: 10).isEmpty)
    }

    @Test func wellFormedButInvalidSnapshots() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let target = try StateStore(path: dir.file("target.sqlite"))
        let path = dir.file("crafted.ccs")

        writeFile(path, snapshotBytes([([1], [1]), ([2], [2])]))
        try target.importSnapshot(from: path, replacingExisting: true)
        #expect(try target.appliedHeight() == Height(9))

        // Unsorted and duplicate keys, with correct checksums.
        for bad in [[([2], [1]), ([1], [2])], [([1], [1]), ([1], [2])]] as [[([UInt8], [UInt8])]] {
            writeFile(path, snapshotBytes(bad))
            let e = #expect(throws: StorageError.self) {
                try target.importSnapshot(from: path, replacingExisting: true)
            }
            #expect(e?.reason.contains("ascending") == true)
        }
        // A count larger than the entries present.
        writeFile(path, snapshotBytes([([1], [1])], count: 2))
        #expect(throws: StorageError.self) { try target.importSnapshot(from: path, replacingExisting: true) }
        // A 4 GiB key length: refused by the bound, not allocated.
        writeFile(path, snapshotBytes([([1], [1])], keyLength: 0xFFFF_FFFF))
        let huge = #expect(throws: StorageError.self) { try target.importSnapshot(from: path, replacingExisting: true) }
        #expect(huge?.reason.contains("exceeds the limit") == true)
        // The first, good import is what remains.
        #expect(try target.get([2]) == [2])
    }
}
