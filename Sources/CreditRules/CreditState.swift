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
    private(set) var committed: [[UInt8]: [UInt8]] = [:]
    private(set) var tree: SparseMerkleTree
    private var block: [[UInt8]: [UInt8]?] = [:]
    private var transaction: [[UInt8]: [UInt8]?] = [:]

    public init(hasher: any ChainHasher) {
        tree = SparseMerkleTree(hasher: hasher)
    }

    /// The root of the committed state.
    public var root: Hash { tree.root }

    /// Number of committed entries.
    public var count: Int { committed.count }

    /// The current value of a key (including uncommitted writes of this block and transaction).
    public func get(_ key: [UInt8]) -> [UInt8]? {
        if let v = transaction[key] { return v }
        if let v = block[key] { return v }
        return committed[key]
    }

    /// The committed value of a key (what the last executed block left).
    public func committedValue(_ key: [UInt8]) -> [UInt8]? { committed[key] }

    public mutating func put(_ key: [UInt8], _ value: [UInt8]?) {
        transaction[key] = .some(value)
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
        if block.isEmpty {
            swap(&block, &transaction)
        } else {
            for (k, v) in transaction { block[k] = v }
        }
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
        for (k, v) in block { writes.append(StateWrite(key: k, value: v)) }
        writes.sort { $0.key.lexicographicallyPrecedes($1.key) }
        block.removeAll(keepingCapacity: true)
        var updates: [SparseMerkleTree.Update] = []
        updates.reserveCapacity(writes.count)
        for w in writes {
            if let v = w.value { committed[w.key] = v } else { committed.removeValue(forKey: w.key) }
            updates.append(.init(keyHash: tree.keyHash(w.key), valueHash: w.value.map { tree.valueHash($0) }))
        }
        tree.apply(updates)
        return writes
    }

    /// Every committed entry, sorted by key (snapshots, tests).
    public func entries() -> [(key: [UInt8], value: [UInt8])] {
        committed.map { (key: $0.key, value: $0.value) }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }

    /// A proof of a key's committed value (or absence) against `root`.
    public func proof(for key: [UInt8]) -> SparseMerkleProof { tree.proof(forKeyHash: tree.keyHash(key)) }

    /// Loads entries (a snapshot or the node's store) into an empty state.
    public mutating func load(_ entries: [(key: [UInt8], value: [UInt8])]) {
        precondition(committed.isEmpty && block.isEmpty, "loading into a non-empty state")
        for e in entries { block[e.key] = .some(e.value) }
        _ = finishBlock()
    }
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
