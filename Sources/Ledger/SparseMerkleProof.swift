import ChainCore

/// A proof that a state key has a given value (inclusion) or no value (non-inclusion) under a
/// `SparseMerkleTree` root.
///
/// `steps` are the branch nodes on the key's path from the root down, each with its branching bit
/// and the hash of the other side; `leaf` is the leaf the path ends at (nil only for the empty
/// tree). For inclusion the leaf's key is the key; for non-inclusion it is another key that
/// takes the same branches — since a key's path is unique, the key cannot be in the tree.
public struct SparseMerkleProof: Hashable, Sendable, CanonicalCodable {
    /// At most one branch per key bit.
    public static let stepsMax = 256

    /// One branch node on the path.
    public struct Step: Hashable, Sendable {
        public var depth: UInt8
        public var sibling: Hash
        public init(depth: UInt8, sibling: Hash) {
            self.depth = depth
            self.sibling = sibling
        }
    }

    /// The leaf a path ends at.
    public struct TerminalLeaf: Hashable, Sendable {
        public var keyHash: Hash
        public var valueHash: Hash
        public init(keyHash: Hash, valueHash: Hash) {
            self.keyHash = keyHash
            self.valueHash = valueHash
        }
    }

    public var steps: [Step]
    public var leaf: TerminalLeaf?

    public init(steps: [Step], leaf: TerminalLeaf?) {
        self.steps = steps
        self.leaf = leaf
    }

    /// Checks the proof: with `valueHash` non-nil that the key holds that value, with nil that the
    /// key is absent.
    public func verify(root: Hash, keyHash: Hash, valueHash: Hash?, hasher: any ChainHasher) -> Bool {
        var previous = -1
        for step in steps {
            guard Int(step.depth) > previous else { return false }
            previous = Int(step.depth)
        }
        var current: Hash
        if let leaf {
            if let valueHash {
                guard leaf.keyHash == keyHash, leaf.valueHash == valueHash else { return false }
            } else {
                guard leaf.keyHash != keyHash else { return false }
                // The other leaf must take the same branches as the key.
                for step in steps where leaf.keyHash.bit(Int(step.depth)) != keyHash.bit(Int(step.depth)) {
                    return false
                }
            }
            var input = SparseMerkleTree.leafDomain.prefix
            input.append(contentsOf: leaf.keyHash.bytes)
            input.append(contentsOf: leaf.valueHash.bytes)
            current = hasher.digest(input)
        } else {
            // Only the empty tree has a path ending nowhere.
            guard valueHash == nil, steps.isEmpty else { return false }
            current = .zero
        }
        for step in steps.reversed() {
            var input = SparseMerkleTree.nodeDomain.prefix
            input.append(step.depth)
            if keyHash.bit(Int(step.depth)) {
                input.append(contentsOf: step.sibling.bytes)
                input.append(contentsOf: current.bytes)
            } else {
                input.append(contentsOf: current.bytes)
                input.append(contentsOf: step.sibling.bytes)
            }
            current = hasher.digest(input)
        }
        return current == root
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.array(steps, max: Self.stepsMax) { e, s in
            e.u8(s.depth)
            e.hash(s.sibling)
        }
        e.optional(leaf) { e, l in
            e.hash(l.keyHash)
            e.hash(l.valueHash)
        }
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("smt_proof.version", supported: 1...1)
        steps = try d.array("smt_proof.steps", max: Self.stepsMax, minElementSize: 33) { d in
            Step(depth: try d.u8("smt_proof.depth"), sibling: try d.hash("smt_proof.sibling"))
        }
        leaf = try d.optional("smt_proof.leaf") { d in
            TerminalLeaf(keyHash: try d.hash("smt_proof.leaf_key"), valueHash: try d.hash("smt_proof.leaf_value"))
        }
    }
}
