import ChainCore
import Foundation
import GRDB
import Ledger
import Testing

@testable import Storage

@Suite struct StateStoreTests {
    private func root(_ n: UInt64) -> Hash { Hash(w0: n, w1: ~n, w2: n &* 3, w3: 42) }
    private func txHash(_ h: UInt64, _ i: Int) -> Hash { Hash(w0: h, w1: UInt64(i), w2: 7, w3: 7) }

    @Test func applyThenRead() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try StateStore(path: dir.file("state/state.sqlite"))
        #expect(try store.applied() == nil)
        try store.apply(
            height: Height(0), stateRoot: root(0),
            writes: [StateWrite(key: [1, 1], value: [10]), StateWrite(key: [1, 2], value: [20])])
        try store.apply(
            height: Height(1), stateRoot: root(1),
            writes: [
                StateWrite(key: [1, 1], value: [11]), StateWrite(key: [1, 2], value: nil),
                StateWrite(key: [2], value: [30]),
            ],
            transactions: [
                .init(hash: txHash(1, 0), result: .ok),
                .init(hash: txHash(1, 1), result: TransactionResult(code: "consent.expired", detail: "at 9")),
            ])
        #expect(try store.applied() == StateStore.Applied(height: Height(1), stateRoot: root(1)))
        #expect(try store.get([1, 1]) == [11])
        #expect(try store.get([1, 2]) == nil)
        #expect(try store.get([2]) == [30])
        #expect(try store.stateRoot(at: Height(0)) == root(0))
        #expect(try store.stateRoot(at: Height(1)) == root(1))
        #expect(try store.stateRoot(at: Height(2)) == nil)
        let t = try #require(try store.transaction(hash: txHash(1, 1)))
        #expect(t.height == Height(1) && t.index == 1)
        #expect(t.result == TransactionResult(code: "consent.expired", detail: "at 9"))
        #expect(try store.transaction(hash: txHash(9, 9)) == nil)
        try store.close()

        let reopened = try StateStore(path: dir.file("state/state.sqlite"))
        #expect(try reopened.appliedHeight() == Height(1))
        #expect(try reopened.get([1, 1]) == [11])
    }

    @Test func theWriterGetsTheConfiguredPageCacheAndReadersSQLitesDefault() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try StateStore(path: dir.file("state.sqlite"), options: .init(cacheBytes: 8 << 20))
        // A negative cache_size is in KiB.
        #expect(try store.pool.write { try Int.fetchOne($0, sql: "PRAGMA cache_size") } == -8192)
        #expect(try store.pool.read { try Int.fetchOne($0, sql: "PRAGMA cache_size") } == -2000)
    }

    @Test func emptyValuesAndTextRoundTrip() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try StateStore(path: dir.file("state.sqlite"))
        try store.apply(
            height: Height(0), stateRoot: root(0), writes: [StateWrite(key: [5], value: [])],
            transactions: [
                .init(hash: txHash(0, 0), result: TransactionResult(code: "", detail: "")),
                .init(hash: txHash(0, 1), result: TransactionResult(code: "order.refused", detail: "征信 ✓ end")),
            ])
        #expect(try store.get([5]) == [])
        #expect(try store.transaction(hash: txHash(0, 0))?.result == TransactionResult(code: "", detail: ""))
        // Short strings (stored inline by Swift) and longer ones, keys and values of every size.
        let results = (0..<300).map { i in
            TransactionResult(code: "c\(i)", detail: String(repeating: "d", count: i % 40) + "\(i)")
        }
        try store.apply(
            height: Height(1), stateRoot: root(1),
            writes: (0..<300).map { i in
                StateWrite(
                    key: [UInt8](repeating: UInt8(i % 251), count: 1 + i % 70), value: [UInt8](repeating: 7, count: i))
            },
            transactions: results.enumerated().map { .init(hash: txHash(1, $0.offset), result: $0.element) })
        for (i, r) in results.enumerated() {
            #expect(
                try store.transaction(hash: txHash(1, i))
                    == .init(hash: txHash(1, i), height: Height(1), index: i, result: r))
        }
        for i in 0..<300 {
            #expect(
                try store.get([UInt8](repeating: UInt8(i % 251), count: 1 + i % 70)) == [UInt8](repeating: 7, count: i))
        }
        #expect(
            try store.transaction(hash: txHash(0, 1))?.result
                == TransactionResult(code: "order.refused", detail: "征信 ✓ end"))
    }

    @Test func consecutiveBlocksApplyInOneTransaction() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try StateStore(path: dir.file("state.sqlite"))
        try store.apply(height: Height(0), stateRoot: root(0), writes: [StateWrite(key: [1], value: [1])])
        // Not consecutive: refused, nothing applied.
        #expect(throws: StorageError.self) {
            try store.apply([
                .init(height: Height(1), stateRoot: root(1), writes: [StateWrite(key: [2], value: [2])]),
                .init(height: Height(3), stateRoot: root(3), writes: []),
            ])
        }
        #expect(try store.applied()?.height == Height(0))
        #expect(try store.get([2]) == nil)
        try store.apply([
            .init(
                height: Height(1), stateRoot: root(1), writes: [StateWrite(key: [1], value: [11])],
                transactions: [.init(hash: txHash(1, 0), result: .ok)]),
            .init(height: Height(2), stateRoot: root(1), writes: []),
            .init(
                height: Height(3), stateRoot: root(3),
                writes: [StateWrite(key: [1], value: [13]), StateWrite(key: [3], value: [3])],
                transactions: [.init(hash: txHash(3, 0), result: .ok), .init(hash: txHash(3, 1), result: .ok)],
                meta: [.init(name: "node.test", value: [9])]),
        ])
        #expect(try store.applied() == StateStore.Applied(height: Height(3), stateRoot: root(3)))
        #expect(try store.get([1]) == [13])
        #expect(try store.get([3]) == [3])
        #expect(try store.meta("node.test") == [9])
        #expect(try store.stateRoot(at: Height(1)) == root(1))
        #expect(try store.stateRoot(at: Height(2)) == root(1))
        #expect(try store.stateRoot(at: Height(3)) == root(3))
        #expect(try store.transaction(hash: txHash(1, 0))?.height == Height(1))
        #expect(try store.transaction(hash: txHash(3, 1))?.index == 1)
        // The next block follows the last of the batch.
        #expect(throws: StorageError.self) {
            try store.apply(height: Height(3), stateRoot: root(3), writes: [])
        }
        try store.apply(height: Height(4), stateRoot: root(4), writes: [])
        #expect(try store.applied()?.height == Height(4))
    }

    /// A batch is recorded with its writes merged in key order and its transactions in hash
    /// order; the result must be exactly that of applying the blocks one by one: each key's last
    /// write (a delete included), every transaction at its first inclusion.
    @Test(arguments: [UInt64(1), 2, 3])
    func aMergedBatchEqualsBlockByBlock(seed: UInt64) throws {
        let dir = TempDir()
        defer { dir.remove() }
        // A linear congruential generator: deterministic cases, seeded per argument.
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var blocks: [StateStore.AppliedBlock] = []
        for h in 1...40 {
            var writes: [[UInt8]: [UInt8]?] = [:]
            for _ in 0..<Int(next() % 12) {
                // Few distinct keys, so blocks overwrite and delete each other's entries.
                let key: [UInt8] = [UInt8(next() % 3), UInt8(next() % 40)]
                writes[key] = next() % 4 == 0 ? .some(nil) : .some([UInt8(h), UInt8(next() % 256)])
            }
            let txs = (0..<Int(next() % 5)).map { i in
                // Every 7th block repeats a hash of block 1: it must keep its first inclusion.
                StateStore.AppliedTransaction(
                    hash: h % 7 == 0 && i == 0 ? txHash(1, 0) : txHash(UInt64(h), i),
                    result: TransactionResult(code: "c\(h)", detail: "\(i)"))
            }
            blocks.append(
                .init(
                    height: Height(UInt64(h)), stateRoot: root(UInt64(h)),
                    writes: writes.map { StateWrite(key: $0.key, value: $0.value) }.sorted {
                        $0.key.lexicographicallyPrecedes($1.key)
                    }, transactions: h == 1 ? [.init(hash: txHash(1, 0), result: .ok)] + txs : txs))
        }
        let oneByOne = try StateStore(path: dir.file("one.sqlite"))
        for b in blocks { try oneByOne.apply([b]) }
        let batched = try StateStore(path: dir.file("batched.sqlite"))
        try batched.apply(Array(blocks[0..<25]))
        try batched.apply(Array(blocks[25...]))
        var a: [StateEntry] = []
        var b: [StateEntry] = []
        try oneByOne.forEachEntry { _, e in a.append(e) }
        try batched.forEachEntry { _, e in b.append(e) }
        #expect(!a.isEmpty && a == b)
        #expect(try batched.applied() == oneByOne.applied())
        for block in blocks {
            #expect(try batched.stateRoot(at: block.height) == root(block.height.value))
            for t in block.transactions {
                #expect(try batched.transaction(hash: t.hash) == oneByOne.transaction(hash: t.hash))
            }
        }
        #expect(try batched.transaction(hash: txHash(1, 0))?.height == Height(1))
    }

    @Test func aVersion1DatabaseLosesItsUnusedHeightIndex() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let path = dir.file("state.sqlite")
        do {
            let store = try StateStore(path: path)
            try store.apply(
                height: Height(0), stateRoot: root(0), writes: [StateWrite(key: [1], value: [1])],
                transactions: [.init(hash: txHash(0, 0), result: .ok)])
            // What version 1 of the schema left behind.
            try store.pool.write { db in
                try db.execute(sql: "CREATE INDEX tx_by_height ON tx(height, idx)")
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v2'")
            }
            try store.close()
        }
        let store = try StateStore(path: path)
        let indexes = try store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tx'")
        }
        #expect(!indexes.contains("tx_by_height"))
        #expect(try store.transaction(hash: txHash(0, 0))?.height == Height(0))
        #expect(try store.get([1]) == [1])
    }

    @Test func scanIsOrderedAndBoundedByPrefix() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try StateStore(path: dir.file("state.sqlite"))
        let keys: [[UInt8]] = [
            [0x01], [0x01, 0x00], [0x01, 0xFF], [0x01, 0xFF, 0xFF], [0x02], [0x00, 0x01], [0xFF], [0xFF, 0xFF],
            [0xFF, 0x00], [0x01, 0x80, 0x01],
        ]
        try store.apply(
            height: Height(1), stateRoot: root(1), writes: keys.map { StateWrite(key: $0, value: $0 + [9]) })
        let all = try store.scan(prefix: [], limit: 100)
        #expect(all.map(\.key) == keys.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(all.allSatisfy { $0.value == $0.key + [9] })
        #expect(
            try store.scan(prefix: [0x01], limit: 100).map(\.key) == [
                [0x01], [0x01, 0x00], [0x01, 0x80, 0x01], [0x01, 0xFF], [0x01, 0xFF, 0xFF],
            ])
        #expect(try store.scan(prefix: [0x01, 0xFF], limit: 100).map(\.key) == [[0x01, 0xFF], [0x01, 0xFF, 0xFF]])
        // All-0xFF prefixes have no upper bound key.
        #expect(try store.scan(prefix: [0xFF], limit: 100).map(\.key) == [[0xFF], [0xFF, 0x00], [0xFF, 0xFF]])
        #expect(try store.scan(prefix: [0x03], limit: 100).isEmpty)
        // Paging.
        let page1 = try store.scan(prefix: [0x01], limit: 2)
        #expect(page1.map(\.key) == [[0x01], [0x01, 0x00]])
        let page2 = try store.scan(prefix: [0x01], startAfter: page1.last?.key, limit: 2)
        #expect(page2.map(\.key) == [[0x01, 0x80, 0x01], [0x01, 0xFF]])
        #expect(try store.scan(prefix: [0x01], limit: 0).isEmpty)
    }

    @Test func metaValuesGoInTheBlocksTransaction() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try StateStore(path: dir.file("state.sqlite"))
        try store.apply(
            height: Height(1), stateRoot: root(1), writes: [StateWrite(key: [1], value: [1])],
            meta: [.init(name: "node.schedule", value: [7, 7])])
        #expect(try store.meta("node.schedule") == [7, 7])
        // A refused block (wrong height) writes none of its meta either.
        #expect(throws: StorageError.self) {
            try store.apply(
                height: Height(5), stateRoot: root(5), writes: [], meta: [.init(name: "node.schedule", value: [9])])
        }
        #expect(try store.meta("node.schedule") == [7, 7])
        let reserved = #expect(throws: StorageError.self) {
            try store.apply(
                height: Height(2), stateRoot: root(2), writes: [],
                meta: [.init(name: "storage.applied_height", value: [0])])
        }
        #expect(reserved?.code == StorageError.invalidArgument)
        #expect(try store.appliedHeight() == Height(1))
    }

    @Test func aDataDirectoryHasOneHolder() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let lock = try DataDirectoryLock(directory: dir.file("data"))
        let second = #expect(throws: StorageError.self) { try DataDirectoryLock(directory: dir.file("data")) }
        #expect(second?.code == StorageError.locked)
        lock.release()
        let again = try DataDirectoryLock(directory: dir.file("data"))
        again.release()
    }

    @Test func prefixEnd() {
        #expect(StateStore.prefixEnd([]) == nil)
        #expect(StateStore.prefixEnd([0xFF, 0xFF]) == nil)
        #expect(StateStore.prefixEnd([0x01, 0xFF]) == [0x02])
        #expect(StateStore.prefixEnd([0x01, 0x02]) == [0x01, 0x03])
    }

    @Test func wrongHeightAppliesNothing() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try StateStore(path: dir.file("state.sqlite"))
        try store.apply(height: Height(5), stateRoot: root(5), writes: [StateWrite(key: [1], value: [1])])
        for h: UInt64 in [5, 7, 4] {
            let e = #expect(throws: StorageError.self) {
                try store.apply(
                    height: Height(h), stateRoot: root(h), writes: [StateWrite(key: [1], value: [2])],
                    transactions: [.init(hash: txHash(h, 0), result: .ok)])
            }
            #expect(e?.code == StorageError.heightMismatch)
        }
        #expect(try store.get([1]) == [1])
        #expect(try store.applied() == StateStore.Applied(height: Height(5), stateRoot: root(5)))
        #expect(try store.transaction(hash: txHash(7, 0)) == nil)
    }

    @Test func oversizeWritesAreRefused() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try StateStore(
            path: dir.file("state.sqlite"), options: StateStore.Options(keyBytesMax: 4, valueBytesMax: 8))
        let e = #expect(throws: StorageError.self) {
            try store.apply(
                height: Height(1), stateRoot: root(1), writes: [StateWrite(key: [1, 2, 3, 4, 5], value: [])])
        }
        #expect(e?.code == StorageError.tooLarge)
        #expect(throws: StorageError.self) {
            try store.apply(height: Height(1), stateRoot: root(1), writes: [StateWrite(key: [1], value: Array(0..<9))])
        }
        #expect(try store.applied() == nil)
    }

    @Test func metaValues() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try StateStore(path: dir.file("state.sqlite"))
        #expect(try store.meta("node.chain_id") == nil)
        try store.setMeta("node.chain_id", [1, 2])
        #expect(try store.meta("node.chain_id") == [1, 2])
        try store.setMeta("node.chain_id", nil)
        #expect(try store.meta("node.chain_id") == nil)
        #expect(throws: StorageError.self) { try store.setMeta("storage.applied_height", [0]) }
    }

    @Test func forEachEntryStreamsInOrderWithItsHeight() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try StateStore(path: dir.file("state.sqlite"))
        let writes: [StateWrite] = (0..<300).map { (i: Int) -> StateWrite in
            StateWrite(key: [UInt8(i % 256), UInt8(i / 256)], value: [UInt8(i % 7)])
        }
        try store.apply(height: Height(3), stateRoot: root(3), writes: writes)
        var seen: [[UInt8]] = []
        try store.forEachEntry { applied, entry in
            #expect(applied?.height == Height(3))
            seen.append(entry.key)
        }
        let expected: [[UInt8]] = writes.map { $0.key }.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(seen == expected)
    }
}
