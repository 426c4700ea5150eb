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
    /// Committed replay records by expiry height: derived from the entries (rebuilt on load), so
    /// pruning needs no index entries in the state.
    private var transactionRecords: [UInt64: [[UInt8]]] = [:]

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
        // Replay records deleted by these writes, by expiry: pruning on this copy already dropped
        // them from the index, but a copy that only applies another's writes must drop them here.
        var deletedRecords: [UInt64: Set<[UInt8]>] = [:]
        for w in writes {
            if let v = w.value {
                if committed.updateValue(v, forKey: KeyBytes(w.key)) == nil { indexTransactionRecord(w.key) }
            } else if committed.removeValue(forKey: KeyBytes(w.key)) != nil, let h = Self.recordExpiry(w.key) {
                deletedRecords[h, default: []].insert(w.key)
            }
            updates.append(.init(keyHash: tree.keyHash(w.key), valueHash: w.value.map { tree.valueHash($0) }))
        }
        for (h, keys) in deletedRecords {
            guard let bucket = transactionRecords[h] else { continue }
            let left = bucket.filter { !keys.contains($0) }
            transactionRecords[h] = left.isEmpty ? nil : left
        }
        tree.apply(updates)
    }

    /// Replay record keys are `tx/` ‖ u64 expiry ‖ …
    private mutating func indexTransactionRecord(_ key: [UInt8]) {
        guard let h = Self.recordExpiry(key) else { return }
        transactionRecords[h, default: []].append(key)
    }

    /// The expiry height of a replay record's key, nil for any other key.
    private static func recordExpiry(_ key: [UInt8]) -> UInt64? {
        let tag = Keys.transactionTag
        guard key.count >= tag.count + 8, key.starts(with: tag) else { return nil }
        var h: UInt64 = 0
        for b in key[tag.count..<(tag.count + 8)] { h = h << 8 | UInt64(b) }
        return h
    }

    /// Deletes up to `budget` replay records that expired before `height`, lowest height first.
    mutating func pruneTransactionRecords(before height: UInt64, budget: Int) {
        var left = budget
        for h in transactionRecords.keys.filter({ $0 < height }).sorted() {
            guard left > 0, let bucket = transactionRecords[h] else { break }
            // Sorted, so that a replica that loaded a snapshot prunes the same keys.
            let keys = bucket.sorted { KeyBytes.precedes($0, $1) }
            let n = min(left, keys.count)
            for k in keys[..<n] { put(k, nil) }
            left -= n
            transactionRecords[h] = n == keys.count ? nil : Array(keys[n...])
        }
    }

    /// Every committed entry, sorted by key (snapshots, tests).
    public func entries() -> [(key: [UInt8], value: [UInt8])] {
        committed.map { (key: $0.key.bytes, value: $0.value) }.sorted { KeyBytes.precedes($0.key, $1.key) }
    }

    /// A proof of a key's committed value (or absence) against `root`.
    public func proof(for key: [UInt8]) -> SparseMerkleProof { tree.proof(forKeyHash: tree.keyHash(key)) }

    /// Loads entries (a snapshot or the node's store) into an empty state.
    public mutating func load(_ entries: [(key: [UInt8], value: [UInt8])]) {
        precondition(committed.isEmpty && block.isEmpty, "loading into a non-empty state")
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
