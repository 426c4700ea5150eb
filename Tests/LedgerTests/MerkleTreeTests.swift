import ChainCore
import Testing

@testable import Ledger

@Suite struct MerkleTreeTests {
    let hasher = SHA256Hasher()
    // RFC 6962 / certificate-transparency test leaves and roots (checked independently with Python).
    let leaves: [[UInt8]] = [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ].map { Hex.decode($0) ?? [] }
    let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    @Test func rootsMatchRFC6962Vectors() {
        #expect(
            MerkleTree.root(leaves: [], hasher: hasher).hex
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        for n in 1...8 {
            #expect(MerkleTree.root(leaves: Array(leaves[0..<n]), hasher: hasher).hex == roots[n - 1])
        }
    }

    @Test func everyProofOfEverySizeVerifies() {
        for n in 1...33 {
            let data = (0..<n).map { [UInt8(truncatingIfNeeded: $0), 0xAB] }
            let hashes = data.map { MerkleTree.leafHash($0, hasher: hasher) }
            let root = MerkleTree.root(leafHashes: hashes, hasher: hasher)
            for i in 0..<n {
                let proof = MerkleTree.proof(index: i, leafHashes: hashes, hasher: hasher)
                #expect(proof.verify(leafData: data[i], root: root, hasher: hasher))
                // The same proof does not prove another leaf, index or tree size.
                #expect(!proof.verify(leafData: data[(i + 1) % n] + [1], root: root, hasher: hasher))
                var moved = proof
                moved.leafIndex = UInt64((i + 1) % n)
                if n > 1 { #expect(!moved.verify(leafData: data[i], root: root, hasher: hasher)) }
                // A tree size smaller than the index, or a path of the wrong length, never verifies.
                var resized = proof
                resized.leafCount = UInt64(i)
                #expect(!resized.verify(leafData: data[i], root: root, hasher: hasher))
            }
        }
    }

    @Test func allProofsAtOnceEqualTheProofsOneByOne() {
        #expect(MerkleTree.proofs(leafHashes: [], hasher: hasher).isEmpty)
        for n in 1...70 {
            let data = (0..<n).map { [UInt8(truncatingIfNeeded: $0), 0xCD] }
            let hashes = data.map { MerkleTree.leafHash($0, hasher: hasher) }
            let root = MerkleTree.root(leafHashes: hashes, hasher: hasher)
            let all = MerkleTree.proofs(leafHashes: hashes, hasher: hasher)
            #expect(all.count == n)
            for i in 0..<n {
                #expect(all[i] == MerkleTree.proof(index: i, leafHashes: hashes, hasher: hasher))
                #expect(all[i].verify(leafData: data[i], root: root, hasher: hasher))
            }
        }
    }

    @Test func innerNodeCannotBePresentedAsLeaf() {
        // Attack: take the two children of the root's left subtree, concatenate them and present
        // the result as a leaf of a 2-leaf tree with the same root. The 0x00/0x01 prefixes make the
        // leaf hash differ from the inner hash.
        let hashes = leaves[0..<4].map { MerkleTree.leafHash($0, hasher: hasher) }
        let root = MerkleTree.root(leafHashes: hashes, hasher: hasher)
        let left = MerkleTree.nodeHash(hashes[0], hashes[1], hasher: hasher)
        let right = MerkleTree.nodeHash(hashes[2], hashes[3], hasher: hasher)
        #expect(MerkleTree.nodeHash(left, right, hasher: hasher) == root)
        let forgedLeaf = left.bytes + right.bytes
        #expect(MerkleTree.root(leaves: [forgedLeaf], hasher: hasher) != root)
        let proof = MerkleProof(leafIndex: 0, leafCount: 2, path: [right])
        #expect(!proof.verify(leafData: left.bytes, root: root, hasher: hasher))
        // Presenting the inner hash itself as a leaf hash at a shorter depth does not verify either.
        #expect(!MerkleProof(leafIndex: 0, leafCount: 1, path: []).verify(leafHash: left, root: root, hasher: hasher))
    }

    @Test func duplicatedLastLeafChangesTheRoot() {
        // Bitcoin's tree duplicates an odd last node, so [a, b, c] and [a, b, c, c] share a root.
        let three = Array(leaves[1..<4])
        let four = three + [leaves[3]]
        #expect(MerkleTree.root(leaves: three, hasher: hasher) != MerkleTree.root(leaves: four, hasher: hasher))
        let five = four + [leaves[3]]
        #expect(MerkleTree.root(leaves: five, hasher: hasher) != MerkleTree.root(leaves: four, hasher: hasher))
    }

    @Test func concatenationIsNotAmbiguous() {
        // ["ab", "c"] and ["a", "bc"] concatenate to the same bytes but hash leaf by leaf.
        let a = MerkleTree.root(leaves: [Array("ab".utf8), Array("c".utf8)], hasher: hasher)
        let b = MerkleTree.root(leaves: [Array("a".utf8), Array("bc".utf8)], hasher: hasher)
        #expect(a != b)
    }

    @Test func paddedOrTruncatedPathsFail() {
        let hashes = leaves.map { MerkleTree.leafHash($0, hasher: hasher) }
        let root = MerkleTree.root(leafHashes: hashes, hasher: hasher)
        let proof = MerkleTree.proof(index: 5, leafHashes: hashes, hasher: hasher)
        #expect(proof.verify(leafHash: hashes[5], root: root, hasher: hasher))
        var padded = proof
        padded.path.append(root)
        #expect(!padded.verify(leafHash: hashes[5], root: root, hasher: hasher))
        var short = proof
        short.path.removeLast()
        #expect(!short.verify(leafHash: hashes[5], root: root, hasher: hasher))
        let outOfRange = MerkleProof(leafIndex: 8, leafCount: 8, path: proof.path)
        #expect(!outOfRange.verify(leafHash: hashes[5], root: root, hasher: hasher))
    }

    @Test func proofRoundTripsCanonically() throws {
        let hashes = leaves.map { MerkleTree.leafHash($0, hasher: hasher) }
        let proof = MerkleTree.proof(index: 3, leafHashes: hashes, hasher: hasher)
        let decoded = try MerkleProof(canonicalBytes: proof.canonicalBytes)
        #expect(decoded == proof)
        var tooLong = CanonicalEncoder()
        tooLong.version(1)
        tooLong.u64(0)
        tooLong.u64(1)
        tooLong.u32(33)
        #expect(throws: ChainCoreError.self) { try MerkleProof(canonicalBytes: tooLong.bytes) }
    }
}
