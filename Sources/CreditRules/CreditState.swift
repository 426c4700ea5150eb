import ChainCore
import Ledger

/// The credit state: ordered key-value entries with a state root every replica computes
/// identically.
///
/// Reads go through a transaction overlay, then the block overlay, then the committed entries;
/// a transaction's writes join the block only when it succeeds, so a rejected transaction
/// changes nothing. At the end of a block the block's writes are sorted by key, applied to the
/// committed entries and to the sparse Merkle tree in one batch. No logic depends on dictionary
/// order: dictionaries are only looked up, and the writes are sorted before use.
public struct CreditState: Sendable {
    private(set) var committed: [KeyBytes: [UInt8]] = [:]
    private(set) var tree: SparseMerkleTree
    private var block: [KeyBytes: [UInt8]?] = [:]
    private var transaction: [KeyBytes: [UInt8]?] = [:]
    /// Replay records are one entry per block and expiry height (`Keys.replayRecord`), holding the
    /// ids the block remembered with that expiry. Derived from the committed entries (rebuilt on
    /// load): every id they hold, and the entries' keys by expiry height for pruning.
    private var rememberedIDs: Set<KeyBytes> = []
    private var replayRecords: [UInt64: [[UInt8]]] = [:]
    /// Ids remembered by the block being executed, by expiry height; written as replay records
    /// by `writeReplayRecords`.
    private var blockIDs: Set<KeyBytes> = []
    private var blockRecords: [UInt64: [ReplayRecord.Entry]] = [:]

    public init(hasher: any ChainHasher) {
        tree = SparseMerkleTree(hasher: hasher)
    }

    /// The root of the committed state.
    public var root: Hash { tree.root }

    /// Number of committed entries.
    public var count: Int { committed.count }

    /// The current value of a key (including uncommitted writes of this block and transaction).
    public func get(_ key: [UInt8]) -> [UInt8]? {
        let k = KeyBytes(key)
        if let v = transaction[k] { return v }
        if let v = block[k] { return v }
        return committed[k]
    }

    /// The committed value of a key (what the last executed block left).
    public func committedValue(_ key: [UInt8]) -> [UInt8]? { committed[KeyBytes(key)] }

    public mutating func put(_ key: [UInt8], _ value: [UInt8]?) {
        transaction[KeyBytes(key)] = .some(value)
    }

    /// Decodes the current value of a key.
    func read<T: CanonicalCodable>(_ key: [UInt8], as type: T.Type = T.self) -> T? {
        guard let bytes = get(key) else { return nil }
        // State values were encoded by these rules; a value that does not decode is a bug.
        guard let v = try? T(canonicalBytes: bytes) else {
            preconditionFailure("state value under a key of \(T.self) does not decode")
        }
        return v
    }

    mutating func write<T: CanonicalCodable>(_ key: [UInt8], _ value: T) {
        put(key, value.canonicalBytes)
    }

    /// Keeps the transaction's writes.
    mutating func commitTransaction() {
        // Merged rather than swapped in: each map keeps the capacity it grew to, so neither
        // resizes again block after block.
        for (k, v) in transaction { block[k] = v }
        transaction.removeAll(keepingCapacity: true)
    }

    /// Drops the transaction's writes.
    mutating func discardTransaction() {
        transaction.removeAll(keepingCapacity: true)
    }

    /// Applies the block's writes (sorted by key) to the committed entries and the tree.
    mutating func finishBlock() -> [StateWrite] {
        precondition(transaction.isEmpty, "a transaction is still open at the end of a block")
        precondition(blockIDs.isEmpty, "remembered ids not written as replay records")
        var writes: [StateWrite] = []
        writes.reserveCapacity(block.count)
        for (k, v) in block { writes.append(StateWrite(key: k.bytes, value: v)) }
        writes.sort { KeyBytes.precedes($0.key, $1.key) }
        block.removeAll(keepingCapacity: true)
        applyCommitted(writes)
        return writes
    }

    /// Applies a block's writes, sorted by key, to the committed entries and the tree: what
    /// `finishBlock` does after collecting them, for writes that `finishBlock` returned on another
    /// copy of this state.
    mutating func applyCommitted(_ writes: [StateWrite]) {
        precondition(transaction.isEmpty && block.isEmpty, "writes applied inside an open block")
        var updates: [SparseMerkleTree.Update] = []
        updates.reserveCapacity(writes.count)
        for w in writes {
            let old: [UInt8]?
            if let v = w.value {
                old = committed.updateValue(v, forKey: KeyBytes(w.key))
            } else {
                old = committed.removeValue(forKey: KeyBytes(w.key))
            }
            if let expiry = Self.replayExpiry(w.key) {
                indexReplayRecord(w.key, expiry: expiry, old: old, new: w.value)
            }
            updates.append(.init(keyHash: tree.keyHash(w.key), valueHash: w.value.map { tree.valueHash($0) }))
        }
        tree.apply(updates)
    }

    // MARK: - Replay records

    /// Whether an envelope's id (`Keys.replayID`) is remembered: by a committed replay record or
    /// earlier in the block being executed.
    func isRemembered(_ id: [UInt8]) -> Bool {
        let k = KeyBytes(id)
        return rememberedIDs.contains(k) || blockIDs.contains(k)
    }

    /// Remembers an envelope's id until its expiry height has passed (outside the transaction
    /// overlay: an envelope is remembered whatever its outcome).
    mutating func remember(signer: MemberID, uniqueID: [UInt8], expiry: UInt64) {
        let k = KeyBytes(Keys.replayID(signer, uniqueID, expiry: expiry))
        guard !rememberedIDs.contains(k), blockIDs.insert(k).inserted else { return }
        blockRecords[expiry, default: []].append(ReplayRecord.Entry(signer: signer, uniqueID: uniqueID))
    }

    /// Writes the block's remembered ids as one replay record per expiry height.
    mutating func writeReplayRecords(height: UInt64) {
        precondition(transaction.isEmpty, "a transaction is still open")
        for (expiry, entries) in blockRecords {
            transaction[KeyBytes(Keys.replayRecord(expiry: expiry, height: height))] =
                .some(ReplayRecord(entries: entries).canonicalBytes)
        }
        commitTransaction()
        blockRecords.removeAll(keepingCapacity: true)
        blockIDs.removeAll(keepingCapacity: true)
    }

    /// Keeps `rememberedIDs` and `replayRecords` in step with a committed replay record's change.
    private mutating func indexReplayRecord(_ key: [UInt8], expiry: UInt64, old: [UInt8]?, new: [UInt8]?) {
        if let old {
            for id in Self.replayIDs(old, expiry: expiry) { rememberedIDs.remove(id) }
            if new == nil, let keys = replayRecords[expiry] {
                let left = keys.filter { $0 != key }
                replayRecords[expiry] = left.isEmpty ? nil : left
            }
        }
        if let new {
            for id in Self.replayIDs(new, expiry: expiry) { rememberedIDs.insert(id) }
            if old == nil { replayRecords[expiry, default: []].append(key) }
        }
    }

    private static func replayIDs(_ value: [UInt8], expiry: UInt64) -> [KeyBytes] {
        // Replay records were encoded by these rules; one that does not decode is a bug.
        guard let record = try? ReplayRecord(canonicalBytes: value) else {
            preconditionFailure("a replay record does not decode")
        }
        return record.entries.map { KeyBytes(Keys.replayID($0.signer, $0.uniqueID, expiry: expiry)) }
    }

    /// The expiry height of a replay record's key (`tx/` ‖ u64 expiry ‖ …), nil for any other key.
    private static func replayExpiry(_ key: [UInt8]) -> UInt64? {
        let tag = Keys.replayRecordTag
        guard key.count >= tag.count + 8, key.starts(with: tag) else { return nil }
        var h: UInt64 = 0
        for b in key[tag.count..<(tag.count + 8)] { h = h << 8 | UInt64(b) }
        return h
    }

    /// Deletes up to `budget` replay records whose expiry height is below `height`, lowest expiry
    /// first and in key order within one (the same keys on every replica, whatever order this
    /// copy learnt them in).
    mutating func pruneReplayRecords(before height: UInt64, budget: Int) {
        var left = budget
        for expiry in replayRecords.keys.filter({ $0 < height }).sorted() {
            guard left > 0, let keys = replayRecords[expiry] else { break }
            for k in keys.sorted(by: { KeyBytes.precedes($0, $1) }).prefix(left) {
                put(k, nil)
                left -= 1
            }
        }
    }

    /// Every committed entry, sorted by key (snapshots, tests).
    public func entries() -> [(key: [UInt8], value: [UInt8])] {
        committed.map { (key: $0.key.bytes, value: $0.value) }.sorted { KeyBytes.precedes($0.key, $1.key) }
    }

    /// A proof of a key's committed value (or absence) against `root`.
    public func proof(for key: [UInt8]) -> SparseMerkleProof { tree.proof(forKeyHash: tree.keyHash(key)) }

    /// Loads entries (a snapshot or the node's store) into an empty state. Entries these rules
    /// index as they load (replay records) must decode: a store written by an older layout, or a
    /// damaged one, gives `state.unreadable_entry` instead of stopping the process.
    public mutating func load(_ entries: [(key: [UInt8], value: [UInt8])]) throws {
        precondition(committed.isEmpty && block.isEmpty, "loading into a non-empty state")
        for e in entries where Self.replayExpiry(e.key) != nil {
            guard (try? ReplayRecord(canonicalBytes: e.value)) != nil else {
                throw CreditRulesError(
                    "state.unreadable_entry",
                    "a replay record (key of \(e.key.count) bytes) does not decode: a state of another layout?")
            }
        }
        for e in entries { block[KeyBytes(e.key)] = .some(e.value) }
        _ = finishBlock()
    }
}

/// A state key as a dictionary key: its bytes are hashed once, as one block (an `[UInt8]` hashes
/// byte by byte, which dominated execution time), and a read that looks in the transaction, block
/// and committed maps reuses that hash.
struct KeyBytes: Hashable, Sendable {
    let bytes: [UInt8]
    private let bytesHash: Int
    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var hasher = Hasher()
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        bytesHash = hasher.finalize()
    }
    func hash(into hasher: inout Hasher) { hasher.combine(bytesHash) }
    /// Byte-wise order, the shorter first on a common prefix (the order of
    /// `lexicographicallyPrecedes`), compared eight bytes at a time.
    static func precedes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                let n = min(pa.count, pb.count)
                var i = 0
                while i + 8 <= n {
                    let x = UInt64(bigEndian: pa.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    let y = UInt64(bigEndian: pb.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    if x != y { return x < y }
                    i += 8
                }
                while i < n {
                    if pa[i] != pb[i] { return pa[i] < pb[i] }
                    i += 1
                }
                return pa.count < pb.count
            }
        }
    }
    static func == (a: KeyBytes, b: KeyBytes) -> Bool { a.bytesHash == b.bytesHash && a.bytes == b.bytes }
}

/// State keys: a short ASCII tag, then fixed-width binary fields or u8-length-prefixed strings
/// (docs/encoding.md, "State keys"), so that keys are unambiguous and sort by their fields.
struct StateKey {
    private(set) var bytes: [UInt8]

    init(_ tag: StaticString) {
        bytes = []
        bytes.reserveCapacity(64)
        tag.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(0x2F)  // "/"
    }

    func text(_ s: String) -> StateKey {
        var k = self
        let utf8 = Array(s.utf8)
        precondition(utf8.count <= 255, "state key component too long")
        k.bytes.append(UInt8(utf8.count))
        k.bytes.append(contentsOf: utf8)
        return k
    }

    func member(_ m: MemberID) -> StateKey { text(m.value) }

    func hash(_ h: Hash) -> StateKey {
        var k = self
        h.appendBytes(to: &k.bytes)
        return k
    }

    func u64(_ v: UInt64) -> StateKey {
        var k = self
        for shift in stride(from: 56, through: 0, by: -8) {
            k.bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift)))
        }
        return k
    }

    /// Signed values sort correctly with the sign bit flipped.
    func i64(_ v: Int64) -> StateKey { u64(UInt64(bitPattern: v) ^ (1 << 63)) }

    func raw(_ b: [UInt8]) -> StateKey {
        var k = self
        k.bytes.append(contentsOf: b)
        return k
    }
}
