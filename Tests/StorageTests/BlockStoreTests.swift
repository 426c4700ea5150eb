import ChainCore
import ChainCrypto
import Foundation
import Testing

@testable import Storage

@Suite struct BlockStoreTests {
    let hasher = SHA256Hasher()

    private func fill(_ store: BlockStore, _ heights: ClosedRange<UInt64>, size: Int = 100) throws {
        for h in heights { try store.append(height: Height(h), payload: payload(for: h, size: size)) }
        try store.sync()
    }

    private func expectIntact(_ store: BlockStore, _ heights: ClosedRange<UInt64>, size: Int = 100) throws {
        for h in heights {
            let e = try #require(try store.read(height: Height(h)))
            #expect(e.payload == payload(for: h, size: size))
            #expect(e.hash == hasher.hash(Domain("creditchain/block-store-entry/v1"), payload(for: h, size: size)))
        }
    }

    private func segments(_ dir: TempDir) -> [String] {
        (try! FileManager.default.contentsOfDirectory(atPath: dir.path)).filter { $0.hasSuffix(".seg") }.sorted()
    }

    @Test func appendReadRoundTrip() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try BlockStore(directory: dir.path, hasher: hasher)
        #expect(store.lastHeight == nil && store.firstHeight == nil)
        let hash = try store.append(height: Height(5), payload: [], sync: true)
        #expect(hash == hasher.hash(Domain("creditchain/block-store-entry/v1"), []))
        try fill(store, 6...40, size: 3000)
        #expect(store.firstHeight == Height(5))
        #expect(store.lastHeight == Height(40))
        #expect(store.durableHeight == Height(40))
        #expect(try store.read(height: Height(5))?.payload == [])
        try expectIntact(store, 6...40, size: 3000)
        #expect(try store.read(height: Height(4)) == nil)
        #expect(try store.read(height: Height(41)) == nil)
        try store.verify()
    }

    @Test func durableHeightFollowsSync() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try BlockStore(directory: dir.path, hasher: hasher)
        try store.append(height: Height(1), payload: payload(for: 1))
        #expect(store.lastHeight == Height(1))
        #expect(store.durableHeight == nil)
        try store.append(height: Height(2), payload: payload(for: 2), sync: true)
        #expect(store.durableHeight == Height(2))
    }

    @Test func reopenKeepsEverything() throws {
        let dir = TempDir()
        defer { dir.remove() }
        do {
            let store = try BlockStore(directory: dir.path, hasher: hasher)
            try fill(store, 1...25)
            store.close()
        }
        let store = try BlockStore(directory: dir.path, hasher: hasher)
        #expect(store.openReport.truncatedTail == nil)
        #expect(store.openReport.firstHeight == Height(1))
        #expect(store.openReport.lastHeight == Height(25))
        try expectIntact(store, 1...25)
        try store.append(height: Height(26), payload: payload(for: 26), sync: true)
        try expectIntact(store, 1...26)
    }

    @Test func segmentsRollAndReopen() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let options = BlockStore.Options(segmentBytesMax: 1000)
        do {
            let store = try BlockStore(directory: dir.path, hasher: hasher, options: options)
            try fill(store, 1...30)
            // A single entry larger than a segment gets a segment of its own.
            try store.append(height: Height(31), payload: payload(for: 31, size: 5000), sync: true)
            store.close()
        }
        // 157-byte entries: six fit in 1000 bytes.
        #expect(segments(dir).count == 6)
        #expect(segments(dir).first == "00000000000000000001.seg")
        let store = try BlockStore(directory: dir.path, hasher: hasher, options: options)
        #expect(store.openReport.segmentCount == 6)
        try expectIntact(store, 1...30)
        #expect(try store.read(height: Height(31))?.payload == payload(for: 31, size: 5000))
    }

    @Test func refusesNonConsecutiveAndOversizeAppends() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try BlockStore(
            directory: dir.path, hasher: hasher, options: BlockStore.Options(entryBytesMax: 1000))
        try fill(store, 1...3)
        for h: UInt64 in [3, 5, 1] {
            let e = #expect(throws: StorageError.self) { try store.append(height: Height(h), payload: [1]) }
            #expect(e?.code == StorageError.heightMismatch)
        }
        let big = #expect(throws: StorageError.self) {
            try store.append(height: Height(4), payload: [UInt8](repeating: 0, count: 1001))
        }
        #expect(big?.code == StorageError.tooLarge)
        try store.append(height: Height(4), payload: [UInt8](repeating: 0, count: 1000), sync: true)
        #expect(store.lastHeight == Height(4))
    }

    /// Cuts the last entry at several points (inside its header, inside its payload): each
    /// reopen reports and removes the torn entry and keeps the earlier ones.
    @Test(arguments: [1, 30, 56, 57, 58, 120])
    func tornTailIsReportedAndTruncated(keepBytesOfLastEntry: Int) throws {
        let dir = TempDir()
        defer { dir.remove() }
        do {
            let store = try BlockStore(directory: dir.path, hasher: hasher)
            try fill(store, 1...10)
            store.close()
        }
        let seg = dir.file(segments(dir)[0])
        let entry = BlockEntryHeader.size + 100
        let full = readFile(seg)
        #expect(full.count == 10 * entry)
        writeFile(seg, Array(full.prefix(9 * entry + keepBytesOfLastEntry)))

        let store = try BlockStore(directory: dir.path, hasher: hasher)
        let tail = try #require(store.openReport.truncatedTail)
        #expect(tail.offset == UInt64(9 * entry))
        #expect(tail.droppedBytes == UInt64(keepBytesOfLastEntry))
        #expect(tail.expectedHeight == Height(10))
        #expect(store.lastHeight == Height(9))
        #expect(fileSize(seg) == 9 * entry)
        try expectIntact(store, 1...9)
        // The store continues from the last good entry, and a reopen is clean.
        try store.append(height: Height(10), payload: payload(for: 10), sync: true)
        store.close()
        let again = try BlockStore(directory: dir.path, hasher: hasher)
        #expect(again.openReport.truncatedTail == nil)
        try expectIntact(again, 1...10)
    }

    /// A flipped byte anywhere in the last entry (magic, height, length, checksums, hash, payload).
    @Test(arguments: [0, 7, 15, 19, 40, 55, 57, 100, 156])
    func flippedByteInLastEntryIsTruncated(at position: Int) throws {
        let dir = TempDir()
        defer { dir.remove() }
        do {
            let store = try BlockStore(directory: dir.path, hasher: hasher)
            try fill(store, 1...10)
            store.close()
        }
        let seg = dir.file(segments(dir)[0])
        let entry = BlockEntryHeader.size + 100
        var bytes = readFile(seg)
        bytes[9 * entry + position] ^= 0x40
        writeFile(seg, bytes)

        let store = try BlockStore(directory: dir.path, hasher: hasher)
        let tail = try #require(store.openReport.truncatedTail)
        #expect(tail.offset == UInt64(9 * entry))
        #expect(store.lastHeight == Height(9))
        try expectIntact(store, 1...9)
    }

    @Test func payloadHashMismatchIsDetected() throws {
        // An entry whose checksums are consistent but whose hash is not that of the payload
        // (e.g. written under another suite's hasher) is rejected too.
        let dir = TempDir()
        defer { dir.remove() }
        do {
            let store = try BlockStore(directory: dir.path, hasher: hasher)
            try fill(store, 1...3)
            store.close()
        }
        let seg = dir.file(segments(dir)[0])
        var bytes = readFile(seg)
        let entry = BlockEntryHeader.size + 100
        let p = payload(for: 3)
        let forged = BlockEntryHeader(
            height: 3, length: 100, payloadCRC: CRC32C.checksum(p), hash: Hash(w0: 1, w1: 2, w2: 3, w3: 4))
        bytes.replaceSubrange((2 * entry)..<(2 * entry + BlockEntryHeader.size), with: forged.bytes)
        writeFile(seg, bytes)
        let store = try BlockStore(directory: dir.path, hasher: hasher)
        #expect(store.openReport.truncatedTail?.reason == "payload hash mismatch")
        #expect(store.lastHeight == Height(2))
    }

    @Test func corruptionBeforeTheTailIsAnError() throws {
        let dir = TempDir()
        defer { dir.remove() }
        do {
            let store = try BlockStore(directory: dir.path, hasher: hasher)
            try fill(store, 1...10)
            store.close()
        }
        let seg = dir.file(segments(dir)[0])
        let entry = BlockEntryHeader.size + 100
        let original = readFile(seg)
        // Payload of entry 4, then header of entry 4: valid entries follow, so this is not a tail.
        for position in [3 * entry + 80, 3 * entry + 10] {
            var bytes = original
            bytes[position] ^= 0x01
            writeFile(seg, bytes)
            let e = #expect(throws: StorageError.self) { try BlockStore(directory: dir.path, hasher: hasher) }
            #expect(e?.code == StorageError.corrupt)
            // Nothing was truncated.
            #expect(readFile(seg) == bytes)
        }
    }

    @Test func corruptionInASealedSegment() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let options = BlockStore.Options(segmentBytesMax: 1000)
        do {
            let store = try BlockStore(directory: dir.path, hasher: hasher, options: options)
            try fill(store, 1...20)
            store.close()
        }
        let first = dir.file(segments(dir)[0])
        let original = readFile(first)
        let entry = BlockEntryHeader.size + 100

        // Payload damage in a sealed segment: open indexes headers only, but the read refuses.
        var bytes = original
        bytes[entry + 90] ^= 0x01
        writeFile(first, bytes)
        let store = try BlockStore(directory: dir.path, hasher: hasher, options: options)
        let e = #expect(throws: StorageError.self) { try store.read(height: Height(2)) }
        #expect(e?.code == StorageError.corrupt)
        #expect(try store.read(height: Height(1))?.payload == payload(for: 1))
        #expect(throws: StorageError.self) { try store.verify() }
        store.close()
        // A full verification on open finds it as well.
        var verifying = options
        verifying.verifyAllOnOpen = true
        #expect(throws: StorageError.self) { try BlockStore(directory: dir.path, hasher: hasher, options: verifying) }

        // Header damage, or a torn end, in a sealed segment fails the open.
        bytes = original
        bytes[entry + 5] ^= 0x01
        writeFile(first, bytes)
        #expect(throws: StorageError.self) { try BlockStore(directory: dir.path, hasher: hasher, options: options) }
        writeFile(first, Array(original.dropLast(3)))
        #expect(throws: StorageError.self) { try BlockStore(directory: dir.path, hasher: hasher, options: options) }

        // A missing segment (a gap in heights) fails the open.
        writeFile(first, original)
        try FileManager.default.removeItem(atPath: dir.file(segments(dir)[1]))
        let gap = #expect(throws: StorageError.self) {
            try BlockStore(directory: dir.path, hasher: hasher, options: options)
        }
        #expect(gap?.code == StorageError.corrupt)
    }

    @Test func hugeLengthFieldIsRefusedWithoutAllocating() throws {
        // A header with a valid checksum claiming a 4 GiB payload.
        let header = BlockEntryHeader(height: 7, length: 0xFFFF_FFF0, payloadCRC: 0, hash: .zero)
        let parsed = BlockEntryHeader.parse(header.bytes, maxPayload: 16 << 20)
        guard case .failure(let p) = parsed else {
            Issue.record("accepted a 4 GiB length")
            return
        }
        #expect(p.problem == .tooLarge(0xFFFF_FFF0))

        // At the tail of a store it is reported and cut off, never allocated or served.
        let dir = TempDir()
        defer { dir.remove() }
        do {
            let store = try BlockStore(directory: dir.path, hasher: hasher)
            try fill(store, 1...6)
            store.close()
        }
        let seg = dir.file(segments(dir)[0])
        writeFile(seg, readFile(seg) + header.bytes + [1, 2, 3])
        let store = try BlockStore(directory: dir.path, hasher: hasher)
        #expect(store.openReport.truncatedTail?.reason.contains("exceeds") == true)
        #expect(store.lastHeight == Height(6))
        try expectIntact(store, 1...6)
    }

    @Test func emptyTrailingSegmentIsDropped() throws {
        let dir = TempDir()
        defer { dir.remove() }
        do {
            let store = try BlockStore(directory: dir.path, hasher: hasher)
            try fill(store, 1...4)
            store.close()
        }
        // A crash after creating the next segment but before writing to it.
        writeFile(dir.file("00000000000000000005.seg"), [])
        let store = try BlockStore(directory: dir.path, hasher: hasher)
        #expect(store.lastHeight == Height(4))
        #expect(segments(dir) == ["00000000000000000001.seg"])
        try store.append(height: Height(5), payload: payload(for: 5), sync: true)
        try expectIntact(store, 1...5)
    }

    @Test func truncateAfterAcrossSegments() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let options = BlockStore.Options(segmentBytesMax: 1000)
        let store = try BlockStore(directory: dir.path, hasher: hasher, options: options)
        try fill(store, 1...30)
        try store.truncate(after: Height(8))
        #expect(store.lastHeight == Height(8))
        #expect(store.durableHeight == Height(8))
        #expect(try store.read(height: Height(9)) == nil)
        #expect(segments(dir).count == 2)
        try store.append(height: Height(9), payload: payload(for: 9), sync: true)
        try store.truncate(after: Height(6))
        store.close()

        let reopened = try BlockStore(directory: dir.path, hasher: hasher, options: options)
        #expect(reopened.openReport.truncatedTail == nil)
        #expect(reopened.lastHeight == Height(6))
        try expectIntact(reopened, 1...6)
        try reopened.truncate(after: nil)
        #expect(reopened.lastHeight == nil)
        #expect(segments(dir).isEmpty)
        // An emptied store accepts any starting height again.
        try reopened.append(height: Height(100), payload: payload(for: 100), sync: true)
        #expect(reopened.firstHeight == Height(100))
    }

    /// GM consortia inject SM3: entries carry SM3 hashes, and a store opened with another
    /// suite's hasher does not serve them (every entry's hash fails, valid-CRC entries follow the
    /// first one, so it is corruption, not a tail).
    @Test func entryHashFollowsTheInjectedSuite() throws {
        let dir = TempDir()
        defer { dir.remove() }
        do {
            let store = try BlockStore(directory: dir.path, hasher: SM3Hasher())
            let hash = try store.append(height: Height(1), payload: payload(for: 1), sync: true)
            #expect(hash == SM3Hasher().hash(Domain("creditchain/block-store-entry/v1"), payload(for: 1)))
            #expect(hash != hasher.hash(Domain("creditchain/block-store-entry/v1"), payload(for: 1)))
            try fill(store, 2...5)
            #expect(try store.read(height: Height(3))?.payload == payload(for: 3))
            store.close()
        }
        let e = #expect(throws: StorageError.self) { try BlockStore(directory: dir.path, hasher: hasher) }
        #expect(e?.code == StorageError.corrupt)
        #expect(try BlockStore(directory: dir.path, hasher: SM3Hasher()).lastHeight == Height(5))
    }

    @Test func closedStoreRefusesUse() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try BlockStore(directory: dir.path, hasher: hasher)
        try fill(store, 1...2)
        store.close()
        #expect(throws: StorageError.self) { try store.read(height: Height(1)) }
        #expect(throws: StorageError.self) { try store.append(height: Height(3), payload: []) }
    }
}
