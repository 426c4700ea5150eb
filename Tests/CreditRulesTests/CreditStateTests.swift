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
    @Test func loadedStateContinuesIdentically() throws {
        var f = Fixture()
        f.register(acme)
        for i in 0..<3 {
            f.run(
                Fixture.hub,
                PublishCommitmentsPayload(items: [Fixture.commitment(acme, type: "AMR-REG-001", record: "r\(i)")]))
        }
        var copy = f
        copy.app = try CreditRulesApplication(
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

    /// A block keeps one replay record per expiry height, however many envelopes it remembers
    /// with it; the ids are refused within the block and after it, and forgotten with the record.
    @Test func oneReplayRecordPerBlockAndExpiry() {
        var f = Fixture()
        let tag = Array("tx/".utf8)
        func records() -> Int { f.app.state.entries().filter { $0.key.starts(with: tag) }.count }
        let expiry = f.height + 4
        let txs = (0..<5).map { i in
            f.envelope(
                Fixture.hub, RegisterEnterprisePayload(subject: acme.subject, publicKey: acme.publicKey),
                unique: 100 + UInt64(i), expiry: expiry)
        }
        let other = f.envelope(
            Fixture.supervisor, SuspendTypePayload(typeCode: "AMR-REG-001", suspended: true), unique: 200,
            expiry: expiry + 2)
        // The second envelope of the block fails its rules (already registered) and is remembered
        // all the same; the repeat of the first within the block is a replay.
        let codes = f.block(txs + [txs[0], other]).results.map(\.code)
        #expect(
            codes == [
                "ok", "enterprise.already_registered", "enterprise.already_registered", "enterprise.already_registered",
                "enterprise.already_registered",
                "tx.replayed", "ok",
            ])
        #expect(records() == 2)
        #expect(f.block([txs[1]]).results[0].code == "tx.replayed")
        #expect(records() == 2)
        // Until the expiry height the ids stay remembered; after it the record is gone.
        while f.height < expiry { f.block([]) }
        #expect(records() == 2)
        f.block([])
        #expect(records() == 1)
        #expect(f.block([txs[2]]).results[0].code == "tx.expired")
        while f.height <= expiry + 2 { f.block([]) }
        #expect(records() == 0)
    }

    /// A copy that applies another's writes (a node's committed copy), and one loaded from the
    /// entries (a snapshot, a restart), remember and forget the same ids as the copy that executed.
    @Test func replayRecordsFollowAppliedAndLoadedCopies() throws {
        var f = Fixture()
        var applied = f.app
        let txs = (0..<3).map { i in
            f.envelope(
                Fixture.supervisor, SuspendTypePayload(typeCode: "AMR-REG-001", suspended: i % 2 == 0),
                unique: 300 + UInt64(i), expiry: f.height + 3)
        }
        let first = f.block(txs)
        let firstApplied = applied.applyExecuted(first)
        #expect(firstApplied)
        var loaded = try CreditRulesApplication(
            entries: f.app.state.entries(), hasher: TestHasher(), verifier: TestVerifier())
        #expect(applied.stateRoot == f.app.stateRoot && loaded.stateRoot == f.app.stateRoot)
        let ctx = BlockContext(
            chainID: Fixture.chainID, height: Height(f.height + 1), timestampMillis: f.time + 5_000,
            proposer: Fixture.hub)
        for app in [f.app, applied, loaded] {
            #expect(app.precheck(txs[1], context: ctx)?.code == "tx.replayed")
        }
        for _ in 0..<5 {
            let exec = f.block([])
            let didApply = applied.applyExecuted(exec)
            #expect(didApply)
            #expect(
                loaded.executeBlock(
                    BlockContext(
                        chainID: Fixture.chainID, height: Height(f.height), timestampMillis: f.time,
                        proposer: Fixture.hub), transactions: []
                ).stateRoot == exec.stateRoot)
            #expect(applied.stateRoot == exec.stateRoot)
        }
        #expect(f.app.state.entries().filter { $0.key.starts(with: Array("tx/".utf8)) }.isEmpty)
        #expect(applied.state.entries().map(\.key) == f.app.state.entries().map(\.key))
    }

    /// A state whose replay record does not decode (another layout, damage) is refused with a
    /// clear error when loaded, not by stopping the process.
    @Test func anUnreadableReplayRecordIsRefusedOnLoad() throws {
        let f = Fixture()
        var entries = f.app.state.entries()
        let good = try CreditRulesApplication(entries: entries, hasher: TestHasher(), verifier: TestVerifier())
        #expect(good.stateRoot == f.app.stateRoot)
        entries.append((key: Keys.replayRecord(expiry: 9, height: 1), value: [0xFF, 1, 2]))
        #expect(throws: CreditRulesError.self) {
            _ = try CreditRulesApplication(entries: entries, hasher: TestHasher(), verifier: TestVerifier())
        }
        do {
            _ = try CreditRulesApplication(entries: entries, hasher: TestHasher(), verifier: TestVerifier())
        } catch let error as CreditRulesError {
            #expect(error.code == "state.unreadable_entry")
        }
    }

    /// `sweep_max` bounds the replay records forgotten per block; the rest go in later blocks.
    @Test func replayRecordPruningIsBounded() {
        var parameters = CreditParameters()
        parameters.sweepMax = 1
        var f = Fixture(parameters: parameters)
        let tag = Array("tx/".utf8)
        func records() -> Int { f.app.state.entries().filter { $0.key.starts(with: tag) }.count }
        for i in 0..<3 {
            f.block([
                f.envelope(
                    Fixture.supervisor, SuspendTypePayload(typeCode: "AMR-REG-001", suspended: i % 2 == 0),
                    unique: 400 + UInt64(i), expiry: 5)
            ])
        }
        #expect(records() == 3)
        f.block([])
        f.block([])
        #expect(f.height == 5 && records() == 3)
        f.block([])
        #expect(records() == 2)
        f.block([])
        #expect(records() == 1)
        f.block([])
        #expect(records() == 0)
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
