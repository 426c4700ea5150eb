import ChainCore
import Crypto
import Testing

@testable import Ledger

/// SHA-256 for the tests (the standard suite's hash), independent of ChainCrypto.
struct SHA256TestHasher: ChainHasher {
    func digest(_ data: [UInt8]) -> Hash {
        // swift-format-ignore: NeverForceTry
        try! Hash(bytes: Array(SHA256.hash(data: data)))
    }
}

/// A small seeded generator so failures replay.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The root computed from scratch by the definition in docs/encoding.md, as an independent
/// reference for the incremental tree.
func referenceRoot(_ entries: [Hash: Hash], hasher: any ChainHasher) -> Hash {
    let sorted = entries.sorted { $0.key < $1.key }
    func leaf(_ k: Hash, _ v: Hash) -> Hash {
        hasher.hash(SparseMerkleTree.leafDomain, k.bytes + v.bytes)
    }
    func firstDiff(_ a: Hash, _ b: Hash) -> Int {
        for i in 0..<256 where a.bit(i) != b.bit(i) { return i }
        return 256
    }
    func root(_ s: ArraySlice<(key: Hash, value: Hash)>) -> Hash {
        if s.isEmpty { return .zero }
        if s.count == 1 { return leaf(s.first!.key, s.first!.value) }
        let d = firstDiff(s.first!.key, s.last!.key)
        let mid = s.firstIndex { $0.key.bit(d) }!
        return hasher.hash(
            SparseMerkleTree.nodeDomain, [UInt8(d)] + root(s[s.startIndex..<mid]).bytes + root(s[mid...]).bytes)
    }
    return root(sorted[...])
}

func randomHash(_ rng: inout SplitMix64) -> Hash {
    Hash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next())
}

@Suite struct SparseMerkleTreeTests {
    let hasher = SHA256TestHasher()

    @Test func emptyTreeHasZeroRoot() {
        let tree = SparseMerkleTree(hasher: hasher)
        #expect(tree.root == .zero)
        #expect(tree.count == 0)
        let k = tree.keyHash([1, 2, 3])
        #expect(tree.proof(forKeyHash: k).verify(root: tree.root, keyHash: k, valueHash: nil, hasher: hasher))
    }

    @Test func singleLeafRootIsLeafHash() {
        var tree = SparseMerkleTree(hasher: hasher)
        tree.apply(writes: [StateWrite(key: Array("a".utf8), value: Array("1".utf8))])
        let k = tree.keyHash(Array("a".utf8))
        let v = tree.valueHash(Array("1".utf8))
        #expect(tree.root == hasher.hash(SparseMerkleTree.leafDomain, k.bytes + v.bytes))
        #expect(tree.valueHash(forKeyHash: k) == v)
    }

    @Test func rootIsIndependentOfInsertionOrderAndBatching() {
        var rng = SplitMix64(seed: 7)
        let entries = (0..<300).map { _ in (randomHash(&rng), randomHash(&rng)) }
        var one = SparseMerkleTree(hasher: hasher)
        one.apply(entries.map { .init(keyHash: $0.0, valueHash: $0.1) })
        var many = SparseMerkleTree(hasher: hasher)
        for e in entries.reversed() { many.apply([.init(keyHash: e.0, valueHash: e.1)]) }
        #expect(one.root == many.root)
        #expect(one.root == referenceRoot(Dictionary(uniqueKeysWithValues: entries), hasher: hasher))
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func randomBatchesMatchReferenceAndProofsVerify(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var tree = SparseMerkleTree(hasher: hasher)
        var model: [Hash: Hash] = [:]
        var keys: [Hash] = []
        for _ in 0..<40 {
            var batch: [SparseMerkleTree.Update] = []
            for _ in 0..<Int.random(in: 0...30, using: &rng) {
                let r = rng.next() % 10
                if r < 5 || keys.isEmpty {
                    let k = randomHash(&rng)
                    keys.append(k)
                    batch.append(.init(keyHash: k, valueHash: randomHash(&rng)))
                } else if r < 7 {
                    batch.append(
                        .init(keyHash: keys[Int(rng.next() % UInt64(keys.count))], valueHash: randomHash(&rng)))
                } else if r < 9 {
                    batch.append(.init(keyHash: keys[Int(rng.next() % UInt64(keys.count))], valueHash: nil))
                } else {
                    batch.append(.init(keyHash: randomHash(&rng), valueHash: nil))  // delete of an absent key
                }
            }
            tree.apply(batch)
            for u in batch { model[u.keyHash] = u.valueHash }
            #expect(tree.root == referenceRoot(model, hasher: hasher))
            #expect(tree.count == model.count)
        }
        for k in keys.prefix(50) {
            let proof = tree.proof(forKeyHash: k)
            #expect(proof.verify(root: tree.root, keyHash: k, valueHash: model[k], hasher: hasher))
            if let v = model[k] {
                // A wrong value or a claim of absence must fail.
                #expect(!proof.verify(root: tree.root, keyHash: k, valueHash: randomHash(&rng), hasher: hasher))
                #expect(!proof.verify(root: tree.root, keyHash: k, valueHash: nil, hasher: hasher))
                #expect(tree.valueHash(forKeyHash: k) == v)
            } else {
                #expect(!proof.verify(root: tree.root, keyHash: k, valueHash: randomHash(&rng), hasher: hasher))
            }
        }
    }

    @Test func deletingEverythingReturnsToEmptyRoot() {
        var rng = SplitMix64(seed: 11)
        var tree = SparseMerkleTree(hasher: hasher)
        let keys = (0..<100).map { _ in randomHash(&rng) }
        tree.apply(keys.map { .init(keyHash: $0, valueHash: $0) })
        tree.apply(keys.prefix(50).map { .init(keyHash: $0, valueHash: nil) })
        tree.apply(keys.suffix(50).map { .init(keyHash: $0, valueHash: nil) })
        #expect(tree.root == .zero)
        #expect(tree.count == 0)
    }

    @Test func lastWriteOfAKeyInABatchWins() {
        var tree = SparseMerkleTree(hasher: hasher)
        let k = tree.keyHash([9])
        tree.apply([.init(keyHash: k, valueHash: .zero), .init(keyHash: k, valueHash: nil)])
        #expect(tree.root == .zero)
        tree.apply([.init(keyHash: k, valueHash: nil), .init(keyHash: k, valueHash: .zero)])
        #expect(tree.valueHash(forKeyHash: k) == .zero)
    }

    @Test func tamperedProofFailsAndProofRoundTrips() throws {
        var rng = SplitMix64(seed: 3)
        var tree = SparseMerkleTree(hasher: hasher)
        let keys = (0..<64).map { _ in randomHash(&rng) }
        tree.apply(keys.map { .init(keyHash: $0, valueHash: $0) })
        var proof = tree.proof(forKeyHash: keys[5])
        #expect(!proof.steps.isEmpty)
        let decoded = try SparseMerkleProof(canonicalBytes: proof.canonicalBytes)
        #expect(decoded == proof)
        proof.steps[0].sibling = randomHash(&rng)
        #expect(!proof.verify(root: tree.root, keyHash: keys[5], valueHash: keys[5], hasher: hasher))
        var reordered = tree.proof(forKeyHash: keys[5])
        reordered.steps.reverse()
        #expect(!reordered.verify(root: tree.root, keyHash: keys[5], valueHash: keys[5], hasher: hasher))
    }
}
