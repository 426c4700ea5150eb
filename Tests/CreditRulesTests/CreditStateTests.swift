import ChainCore
import Ledger
import Testing

@testable import CreditRules

@Suite struct CreditStateTests {
    let acme = TestEnterprise(uscc: "91440101MA5CYNP25X", seed: 1)

    /// The block's writes are sorted by the word-wise comparison; it must be exactly the byte order.
    @Test func keyOrderIsTheByteOrder() {
        var rng = SeededGenerator(seed: 7)
        // Short alphabets and lengths around the 8-byte word make common prefixes and ties likely.
        func key() -> [UInt8] {
            (0..<Int(rng.next() % 20)).map { _ in UInt8(truncatingIfNeeded: rng.next() % 3) }
        }
        for _ in 0..<20_000 {
            let a = key()
            let b = key()
            #expect(KeyBytes.precedes(a, b) == a.lexicographicallyPrecedes(b))
        }
        #expect(!KeyBytes.precedes([], []))
        #expect(KeyBytes.precedes([], [0]))
    }

    /// A replica that loads the committed entries (a snapshot, or the node's store after a
    /// restart) has the same root and then executes the same blocks to the same roots,
    /// including the pruning of replay records.
    @Test func loadedStateContinuesIdentically() {
        var f = Fixture()
        f.register(acme)
        for i in 0..<3 {
            f.run(
                Fixture.hub,
                PublishCommitmentsPayload(items: [Fixture.commitment(acme, type: "AMR-REG-001", record: "r\(i)")]))
        }
        var copy = f
        copy.app = CreditRulesApplication(
            entries: f.app.state.entries(), hasher: TestHasher(), verifier: TestVerifier())
        #expect(copy.app.stateRoot == f.app.stateRoot)
        for i in 0..<15 {
            let item = Fixture.commitment(acme, type: "AMR-REG-001", record: "s\(i)")
            let a = f.block([f.tx(Fixture.hub, PublishCommitmentsPayload(items: [item]))])
            let b = copy.block([copy.tx(Fixture.hub, PublishCommitmentsPayload(items: [item]))])
            #expect(a.stateRoot == b.stateRoot)
            #expect(a.writes == b.writes)
        }
    }

    /// Replay records are forgotten once their envelope has expired (the state does not grow
    /// with every transaction ever made).
    @Test func replayRecordsArePrunedAfterExpiry() {
        var f = Fixture()
        f.run(Fixture.supervisor, SuspendTypePayload(typeCode: "AMR-REG-001", suspended: true))
        let tag = Array("tx/".utf8)
        #expect(f.app.state.entries().filter { $0.key.starts(with: tag) }.count == 1)
        for _ in 0..<12 { f.block([]) }
        #expect(f.app.state.entries().filter { $0.key.starts(with: tag) }.isEmpty)
    }

    /// The writes of a block are sorted by key and match the committed entries.
    @Test func writesAreSortedAndApplied() {
        var f = Fixture()
        let exec = f.block([
            f.tx(Fixture.hub, RegisterEnterprisePayload(subject: acme.subject, publicKey: acme.publicKey))
        ])
        #expect(!exec.writes.isEmpty)
        #expect(zip(exec.writes, exec.writes.dropFirst()).allSatisfy { $0.key.lexicographicallyPrecedes($1.key) })
        for w in exec.writes { #expect(f.app.state.committedValue(w.key) == w.value) }
    }

    /// Any committed entry can be proven against the state root.
    @Test func entriesAreProvableAgainstTheRoot() {
        var f = Fixture()
        f.register(acme)
        let hasher = TestHasher()
        for (k, v) in f.app.state.entries().prefix(20) {
            let proof = f.app.state.proof(for: k)
            #expect(
                proof.verify(
                    root: f.app.stateRoot, keyHash: hasher.hash(SparseMerkleTree.keyDomain, k),
                    valueHash: hasher.hash(SparseMerkleTree.valueDomain, v), hasher: hasher))
        }
        let absent = Array("record/none".utf8)
        #expect(
            f.app.state.proof(for: absent).verify(
                root: f.app.stateRoot, keyHash: hasher.hash(SparseMerkleTree.keyDomain, absent), valueHash: nil,
                hasher: hasher))
    }
}
