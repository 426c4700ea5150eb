import ChainCore

/// The transaction Merkle tree of a block, exactly as RFC 6962 §2.1 defines it: a leaf hashes as
/// H(0x00 ‖ leaf) and an inner node as H(0x01 ‖ left ‖ right), where H is the suite's plain hash.
///
/// The distinct prefixes mean a leaf can never be presented as an inner node (or the reverse), and
/// the RFC's split at the largest power of two below n means no leaf is ever duplicated to fill a
/// level (the Bitcoin CVE-2012-2459 ambiguity). The empty tree hashes as H("").
public enum MerkleTree {
    /// Leaf prefix (RFC 6962).
    public static let leafPrefix: UInt8 = 0x00
    /// Inner-node prefix (RFC 6962).
    public static let nodePrefix: UInt8 = 0x01
    /// The most leaves a proof may claim (bounds the path length before anything is allocated).
    public static let leafCountMax = 1 << 32

    /// H(0x00 ‖ data).
    public static func leafHash(_ data: [UInt8], hasher: any ChainHasher) -> Hash {
        var input = [UInt8]()
        input.reserveCapacity(data.count + 1)
        input.append(leafPrefix)
        input.append(contentsOf: data)
        return hasher.digest(input)
    }

    /// H(0x01 ‖ left ‖ right).
    public static func nodeHash(_ left: Hash, _ right: Hash, hasher: any ChainHasher) -> Hash {
        var input = [UInt8]()
        input.reserveCapacity(65)
        input.append(nodePrefix)
        left.appendBytes(to: &input)
        right.appendBytes(to: &input)
        return hasher.digest(input)
    }

    /// The root over leaf data items (each item is hashed as a leaf first).
    public static func root(leaves: [[UInt8]], hasher: any ChainHasher) -> Hash {
        root(leafHashes: leaves.map { leafHash($0, hasher: hasher) }, hasher: hasher)
    }

    /// The root over already computed leaf hashes.
    public static func root(leafHashes: [Hash], hasher: any ChainHasher) -> Hash {
        if leafHashes.isEmpty { return hasher.digest([]) }
        return subtreeRoot(leafHashes[...], hasher: hasher)
    }

    /// The inclusion proof of leaf `index` among `leafHashes` (RFC 6962 §2.1.1 audit path).
    public static func proof(index: Int, leafHashes: [Hash], hasher: any ChainHasher) -> MerkleProof {
        precondition(index >= 0 && index < leafHashes.count, "proof index out of range")
        var path = [Hash]()
        var slice = leafHashes[...]
        var m = index
        // Walk down from the root, remembering the sibling subtree at each split; the RFC lists the
        // path bottom-up, so it is reversed at the end.
        while slice.count > 1 {
            let k = splitPoint(slice.count)
            let start = slice.startIndex
            if m < k {
                path.append(subtreeRoot(slice[(start + k)...], hasher: hasher))
                slice = slice[start..<(start + k)]
            } else {
                path.append(subtreeRoot(slice[start..<(start + k)], hasher: hasher))
                slice = slice[(start + k)...]
                m -= k
            }
        }
        return MerkleProof(leafIndex: UInt64(index), leafCount: UInt64(leafHashes.count), path: path.reversed())
    }

    /// Every leaf's inclusion proof at once, in leaf order: O(n log n) where n calls of `proof`
    /// would hash the whole tree n times (a node answers every transaction of a committed block).
    public static func proofs(leafHashes: [Hash], hasher: any ChainHasher) -> [MerkleProof] {
        var paths = [[Hash]](repeating: [], count: leafHashes.count)
        if leafHashes.count > 1 { _ = subtreeRoot(leafHashes[...], collectingInto: &paths, hasher: hasher) }
        let count = UInt64(leafHashes.count)
        return paths.enumerated().map { MerkleProof(leafIndex: UInt64($0.offset), leafCount: count, path: $0.element) }
    }

    /// The root of `slice`; appends to the path of each of its leaves the sibling subtree root at
    /// every split inside it, deepest first (the RFC's bottom-up order).
    static func subtreeRoot(_ slice: ArraySlice<Hash>, collectingInto paths: inout [[Hash]], hasher: any ChainHasher)
        -> Hash
    {
        if slice.count == 1 { return slice[slice.startIndex] }
        let k = splitPoint(slice.count)
        let start = slice.startIndex
        let left = subtreeRoot(slice[start..<(start + k)], collectingInto: &paths, hasher: hasher)
        let right = subtreeRoot(slice[(start + k)...], collectingInto: &paths, hasher: hasher)
        for i in start..<(start + k) { paths[i].append(right) }
        for i in (start + k)..<slice.endIndex { paths[i].append(left) }
        return nodeHash(left, right, hasher: hasher)
    }

    /// The largest power of two strictly below `n` (n ≥ 2).
    static func splitPoint(_ n: Int) -> Int {
        precondition(n >= 2, "split of fewer than two leaves")
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    static func subtreeRoot(_ slice: ArraySlice<Hash>, hasher: any ChainHasher) -> Hash {
        if slice.count == 1 { return slice[slice.startIndex] }
        let k = splitPoint(slice.count)
        let start = slice.startIndex
        let left = subtreeRoot(slice[start..<(start + k)], hasher: hasher)
        let right = subtreeRoot(slice[(start + k)...], hasher: hasher)
        return nodeHash(left, right, hasher: hasher)
    }
}

/// An RFC 6962 inclusion proof: the leaf's index, the tree size, and the audit path bottom-up.
///
/// Verification recomputes the root with the RFC 9162 §2.1.3.2 algorithm, which rejects a path
/// whose length does not match the index and size exactly (so padding or truncating a path, or
/// claiming a different tree size, fails).
public struct MerkleProof: Hashable, Sendable, CanonicalCodable {
    /// A tree of at most 2^32 leaves needs at most 32 path entries.
    public static let pathMax = 32

    public var leafIndex: UInt64
    public var leafCount: UInt64
    public var path: [Hash]

    public init(leafIndex: UInt64, leafCount: UInt64, path: [Hash]) {
        self.leafIndex = leafIndex
        self.leafCount = leafCount
        self.path = path
    }

    /// The root this proof yields for `leafHash`, or nil when the proof is malformed.
    public func root(forLeafHash leafHash: Hash, hasher: any ChainHasher) -> Hash? {
        guard leafIndex < leafCount, leafCount <= UInt64(MerkleTree.leafCountMax), path.count <= Self.pathMax else {
            return nil
        }
        var fn = leafIndex
        var sn = leafCount - 1
        var r = leafHash
        for p in path {
            guard sn != 0 else { return nil }
            if fn & 1 == 1 || fn == sn {
                r = MerkleTree.nodeHash(p, r, hasher: hasher)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = MerkleTree.nodeHash(r, p, hasher: hasher)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { return nil }
        return r
    }

    /// True when `leafData` is the leaf at `leafIndex` of the tree with root `root`.
    public func verify(leafData: [UInt8], root: Hash, hasher: any ChainHasher) -> Bool {
        verify(leafHash: MerkleTree.leafHash(leafData, hasher: hasher), root: root, hasher: hasher)
    }

    /// True when `leafHash` is the leaf hash at `leafIndex` of the tree with root `root`.
    public func verify(leafHash: Hash, root: Hash, hasher: any ChainHasher) -> Bool {
        self.root(forLeafHash: leafHash, hasher: hasher) == root
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.u64(leafIndex)
        e.u64(leafCount)
        e.array(path, max: Self.pathMax)
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("merkle_proof.version", supported: 1...1)
        leafIndex = try d.u64("merkle_proof.leaf_index")
        leafCount = try d.u64("merkle_proof.leaf_count")
        path = try d.array("merkle_proof.path", max: Self.pathMax, minElementSize: Hash.byteCount)
    }
}
