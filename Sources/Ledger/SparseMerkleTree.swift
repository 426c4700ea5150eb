import ChainCore

/// The state commitment: a compressed (Patricia-style) binary sparse Merkle tree over
/// H("creditchain/state-key/v1", key).
///
/// Internal nodes exist only where the paths of two or more keys diverge, so a tree of n entries
/// holds n leaves and n − 1 internal nodes and a path is about log2(n) nodes long. A block's
/// writes are applied as one sorted batch: every changed node is rehashed exactly once, so the
/// cost of a block grows with its writes, never with the size of the state.
///
/// Hashes (docs/encoding.md, "State tree"):
/// - leaf = H("creditchain/state-leaf/v1", keyHash ‖ valueHash), valueHash = H("creditchain/state-value/v1", value)
/// - node = H("creditchain/state-node/v1", u8 depth ‖ left ‖ right), depth = the bit where the paths split
/// - empty tree = 32 zero bytes.
///
/// Nodes live in chunked arenas (value semantics) so that millions of entries cost no per-node
/// heap allocation and growing the tree never copies it. An inner node keeps its children's hashes
/// (not its own): rehashing a changed path reads each sibling's hash from the parent already
/// loaded, where reading it from the sibling itself was a cache miss per level in a large tree
/// (most of the tree's time, measured with `creditchain bench-apply`).
public struct SparseMerkleTree: Sendable {
    public static let keyDomain = Domain("creditchain/state-key/v1")
    public static let valueDomain = Domain("creditchain/state-value/v1")
    public static let leafDomain = Domain("creditchain/state-leaf/v1")
    public static let nodeDomain = Domain("creditchain/state-node/v1")

    /// One write of a batch: the key's hash and the value's hash, nil to delete.
    public struct Update: Sendable, Hashable {
        public var keyHash: Hash
        public var valueHash: Hash?
        public init(keyHash: Hash, valueHash: Hash?) {
            self.keyHash = keyHash
            self.valueHash = valueHash
        }
    }

    // A node reference: 0 = empty, > 0 = inner index + 1, < 0 = -(leaf index + 1).
    typealias Ref = Int32

    struct Inner {
        var leftHash: Hash
        var rightHash: Hash
        // Any key below this node; only its bits before `depth` are meaningful (they are shared
        // by every key below).
        var prefix: Hash
        var left: Ref
        var right: Ref
        var depth: UInt16
    }

    /// A subtree as its parent sees it: its reference and its hash.
    struct Child {
        var ref: Ref
        var hash: Hash
        static let empty = Child(ref: 0, hash: .zero)
    }

    /// A leaf's own hash lives in its parent (`Inner.leftHash`/`rightHash`) or in `rootHash`.
    struct Leaf {
        var key: Hash
        var valueHash: Hash
    }

    public let hasher: any ChainHasher
    private var inners = ChunkedArray<Inner>()
    private var leaves = ChunkedArray<Leaf>()
    private var freeInners: [Int32] = []
    private var freeLeaves: [Int32] = []
    private var rootRef: Ref = 0
    private var rootHash = Hash.zero
    private var scratch: [UInt8] = []
    private var leafPrefix: [UInt8]
    private var nodePrefix: [UInt8]
    private var pending: [Update] = []

    public init(hasher: any ChainHasher) {
        self.hasher = hasher
        leafPrefix = Self.leafDomain.prefix
        nodePrefix = Self.nodeDomain.prefix
        scratch.reserveCapacity(128)
    }

    /// Number of entries.
    public var count: Int { leaves.count - freeLeaves.count }

    /// The root hash (zero for the empty tree).
    public var root: Hash { rootHash }

    /// H("creditchain/state-key/v1", key).
    public func keyHash(_ key: [UInt8]) -> Hash { hasher.hash(Self.keyDomain, key) }

    /// H("creditchain/state-value/v1", value).
    public func valueHash(_ value: [UInt8]) -> Hash { hasher.hash(Self.valueDomain, value) }

    /// The value hash stored for a key hash, or nil.
    public func valueHash(forKeyHash key: Hash) -> Hash? {
        var ref = rootRef
        while ref > 0 {
            let n = inners[Int(ref) - 1]
            ref = key.bit(Int(n.depth)) ? n.right : n.left
        }
        guard ref < 0 else { return nil }
        let leaf = leaves[Int(-ref) - 1]
        return leaf.key == key ? leaf.valueHash : nil
    }

    /// Applies raw key/value writes (value nil = delete) as one batch.
    public mutating func apply(writes: [StateWrite]) {
        apply(writes.map { Update(keyHash: keyHash($0.key), valueHash: $0.value.map { valueHash($0) }) })
    }

    /// Applies a batch. Updates may come in any order; for a key given twice the last one wins.
    public mutating func apply(_ updates: [Update]) {
        guard !updates.isEmpty else { return }
        // Sort stably by key, keep the last write per key.
        let sorted = updates.enumerated().sorted { a, b in
            a.element.keyHash != b.element.keyHash ? a.element.keyHash < b.element.keyHash : a.offset < b.offset
        }
        pending.removeAll(keepingCapacity: true)
        pending.reserveCapacity(sorted.count)
        for (_, u) in sorted {
            if let last = pending.last, last.keyHash == u.keyHash {
                pending[pending.count - 1] = u
            } else {
                pending.append(u)
            }
        }
        let top = update(Child(ref: rootRef, hash: rootHash), lo: 0, hi: pending.count)
        rootRef = top.ref
        rootHash = top.hash
        pending.removeAll(keepingCapacity: true)
    }

    /// An inclusion proof (when the key is present) or a non-inclusion proof.
    public func proof(forKeyHash key: Hash) -> SparseMerkleProof {
        var steps: [SparseMerkleProof.Step] = []
        var ref = rootRef
        while ref > 0 {
            let n = inners[Int(ref) - 1]
            let goRight = key.bit(Int(n.depth))
            steps.append(SparseMerkleProof.Step(depth: UInt8(n.depth), sibling: goRight ? n.leftHash : n.rightHash))
            ref = goRight ? n.right : n.left
        }
        var terminal: SparseMerkleProof.TerminalLeaf?
        if ref < 0 {
            let leaf = leaves[Int(-ref) - 1]
            terminal = SparseMerkleProof.TerminalLeaf(keyHash: leaf.key, valueHash: leaf.valueHash)
        }
        return SparseMerkleProof(steps: steps, leaf: terminal)
    }

    // MARK: - Batch update

    /// Index of the first differing bit of two keys (256 when equal).
    @inline(__always)
    static func firstDifference(_ a: Hash, _ b: Hash) -> Int {
        if a.w0 != b.w0 { return (a.w0 ^ b.w0).leadingZeroBitCount }
        if a.w1 != b.w1 { return 64 + (a.w1 ^ b.w1).leadingZeroBitCount }
        if a.w2 != b.w2 { return 128 + (a.w2 ^ b.w2).leadingZeroBitCount }
        if a.w3 != b.w3 { return 192 + (a.w3 ^ b.w3).leadingZeroBitCount }
        return 256
    }

    /// First index in pending[lo..<hi] whose key has bit `depth` set (keys there share bits < depth).
    private func splitPoint(lo: Int, hi: Int, depth: Int) -> Int {
        var a = lo
        var b = hi
        while a < b {
            let m = (a + b) >> 1
            if pending[m].keyHash.bit(depth) { b = m } else { a = m + 1 }
        }
        return a
    }

    /// Applies pending[lo..<hi] to the subtree `child`; returns the new subtree.
    private mutating func update(_ child: Child, lo: Int, hi: Int) -> Child {
        if lo >= hi { return child }
        let ref = child.ref
        if ref == 0 { return build(lo: lo, hi: hi) }
        if ref < 0 { return updateLeaf(child, lo: lo, hi: hi) }
        let index = Int(ref) - 1
        let node = inners[index]
        let depth = Int(node.depth)
        // Do the updated keys leave this node's compressed path before its branching bit?
        let divergence = min(
            Self.firstDifference(pending[lo].keyHash, node.prefix),
            Self.firstDifference(pending[hi - 1].keyHash, node.prefix))
        if divergence < depth {
            // A new branch point above this node: the node goes to one side, new keys to either.
            let nodeGoesRight = node.prefix.bit(divergence)
            let mid = splitPoint(lo: lo, hi: hi, depth: divergence)
            let sameLo = nodeGoesRight ? mid : lo
            let sameHi = nodeGoesRight ? hi : mid
            let otherLo = nodeGoesRight ? lo : mid
            let otherHi = nodeGoesRight ? mid : hi
            let kept = update(child, lo: sameLo, hi: sameHi)
            let fresh = build(lo: otherLo, hi: otherHi)
            return join(
                depth: divergence, left: nodeGoesRight ? fresh : kept, right: nodeGoesRight ? kept : fresh,
                prefix: node.prefix)
        }
        let mid = splitPoint(lo: lo, hi: hi, depth: depth)
        let newLeft = update(Child(ref: node.left, hash: node.leftHash), lo: lo, hi: mid)
        let newRight = update(Child(ref: node.right, hash: node.rightHash), lo: mid, hi: hi)
        if newLeft.ref == 0 || newRight.ref == 0 {
            freeInner(index)
            return newLeft.ref == 0 ? newRight : newLeft
        }
        inners[index].left = newLeft.ref
        inners[index].right = newRight.ref
        inners[index].leftHash = newLeft.hash
        inners[index].rightHash = newRight.hash
        return Child(ref: ref, hash: nodeHash(depth: depth, left: newLeft.hash, right: newRight.hash))
    }

    private mutating func updateLeaf(_ child: Child, lo: Int, hi: Int) -> Child {
        let ref = child.ref
        let index = Int(-ref) - 1
        let leaf = leaves[index]
        if hi - lo == 1 && pending[lo].keyHash == leaf.key {
            guard let value = pending[lo].valueHash else {
                freeLeaf(index)
                return .empty
            }
            let h = leafHash(key: leaf.key, value: value)
            leaves[index].valueHash = value
            return Child(ref: ref, hash: h)
        }
        // Is the existing leaf among the updates?
        var a = lo
        var b = hi
        while a < b {
            let m = (a + b) >> 1
            if pending[m].keyHash < leaf.key { a = m + 1 } else { b = m }
        }
        if a < hi && pending[a].keyHash == leaf.key {
            freeLeaf(index)
            return build(lo: lo, hi: hi)
        }
        // Keep the leaf; it splits off where it first differs from the new keys.
        let divergence = min(
            Self.firstDifference(pending[lo].keyHash, leaf.key), Self.firstDifference(pending[hi - 1].keyHash, leaf.key)
        )
        let leafGoesRight = leaf.key.bit(divergence)
        let mid = splitPoint(lo: lo, hi: hi, depth: divergence)
        let kept = leafGoesRight ? update(child, lo: mid, hi: hi) : update(child, lo: lo, hi: mid)
        let fresh = leafGoesRight ? build(lo: lo, hi: mid) : build(lo: mid, hi: hi)
        return join(
            depth: divergence, left: leafGoesRight ? fresh : kept, right: leafGoesRight ? kept : fresh, prefix: leaf.key
        )
    }

    /// Builds a subtree from pending[lo..<hi] (deletions of absent keys are ignored).
    private mutating func build(lo: Int, hi: Int) -> Child {
        var lo = lo
        var hi = hi
        while lo < hi && pending[lo].valueHash == nil { lo += 1 }
        while hi > lo && pending[hi - 1].valueHash == nil { hi -= 1 }
        if lo >= hi { return .empty }
        if hi - lo == 1 {
            let u = pending[lo]
            guard let value = u.valueHash else { return .empty }
            return newLeaf(key: u.keyHash, value: value)
        }
        let depth = Self.firstDifference(pending[lo].keyHash, pending[hi - 1].keyHash)
        let mid = splitPoint(lo: lo, hi: hi, depth: depth)
        return join(
            depth: depth, left: build(lo: lo, hi: mid), right: build(lo: mid, hi: hi), prefix: pending[lo].keyHash)
    }

    /// A node at `depth` over two subtrees, collapsing when one side is empty. `prefix` is any key
    /// below it (only its bits before `depth` count).
    private mutating func join(depth: Int, left: Child, right: Child, prefix: Hash) -> Child {
        if left.ref == 0 { return right }
        if right.ref == 0 { return left }
        let h = nodeHash(depth: depth, left: left.hash, right: right.hash)
        let node = Inner(
            leftHash: left.hash, rightHash: right.hash, prefix: prefix, left: left.ref, right: right.ref,
            depth: UInt16(depth))
        if let slot = freeInners.popLast() {
            inners[Int(slot)] = node
            return Child(ref: slot + 1, hash: h)
        }
        inners.append(node)
        return Child(ref: Int32(inners.count), hash: h)
    }

    private mutating func newLeaf(key: Hash, value: Hash) -> Child {
        let leaf = Leaf(key: key, valueHash: value)
        let h = leafHash(key: key, value: value)
        if let slot = freeLeaves.popLast() {
            leaves[Int(slot)] = leaf
            return Child(ref: -(slot + 1), hash: h)
        }
        leaves.append(leaf)
        return Child(ref: -Int32(leaves.count), hash: h)
    }

    private mutating func freeInner(_ index: Int) { freeInners.append(Int32(index)) }
    private mutating func freeLeaf(_ index: Int) { freeLeaves.append(Int32(index)) }

    private mutating func leafHash(key: Hash, value: Hash) -> Hash {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: leafPrefix)
        Self.append(key, to: &scratch)
        Self.append(value, to: &scratch)
        return hasher.digest(scratch)
    }

    private mutating func nodeHash(depth: Int, left: Hash, right: Hash) -> Hash {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: nodePrefix)
        scratch.append(UInt8(depth))
        Self.append(left, to: &scratch)
        Self.append(right, to: &scratch)
        return hasher.digest(scratch)
    }

    // Appends a hash's 32 bytes without building an intermediate array (hot path).
    @inline(__always)
    static func append(_ h: Hash, to out: inout [UInt8]) {
        appendWord(h.w0, to: &out)
        appendWord(h.w1, to: &out)
        appendWord(h.w2, to: &out)
        appendWord(h.w3, to: &out)
    }

    @inline(__always)
    static func appendWord(_ w: UInt64, to out: inout [UInt8]) {
        var shift: UInt64 = 56
        while true {
            out.append(UInt8(truncatingIfNeeded: w >> shift))
            if shift == 0 { break }
            shift -= 8
        }
    }
}
