import ChainCore
import Ledger
import Node
import Testing

/// A faulty leader can put any bytes in a block: execution must refuse transactions their
/// signer did not sign, identically on every replica.
struct BlockExecutorTests {
    let chainID = ChainID(TestSHA256().hash(Domain.genesis, [1]))
    let alice = TestEd25519Signer()
    let mallory = TestEd25519Signer()

    func put(_ signer: TestEd25519Signer, as member: MemberID, key: UInt8) throws
        -> TransactionEnvelope
    {
        var tx = TransactionEnvelope(
            suite: .standard, signer: member, uniqueID: [UInt8](repeating: key, count: 16), expiry: Height(100),
            kind: KeyValueTestApplication.putKind, payload: KeyValueTestApplication.putPayload(key: [key], value: [1]))
        try tx.sign(with: signer, chainID: chainID)
        return tx
    }

    func block(_ txs: [TransactionEnvelope], parent: Hash) -> Block {
        Block(
            chainID: chainID, height: Height(1), round: Round(1), parentHash: parent, proposer: member("validator-1"),
            timestampMillis: 1_000, stateRoot: .zero, transactions: txs, hasher: TestSHA256())
    }

    func executor(_ genesisHash: Hash) -> BlockExecutor {
        BlockExecutor(
            application: KeyValueTestApplication(hasher: TestSHA256()), committedHash: genesisHash, chainID: chainID,
            hasher: TestSHA256(), verifier: TestEd25519Verifier(), genesisKeys: [member("alice"): alice.publicKey])
    }

    @Test func forgedAndUnknownSignersAreRefusedAndNotExecuted() throws {
        let genesisHash = TestSHA256().hash(Domain.genesis, [0])
        let good = try put(alice, as: member("alice"), key: 1)
        // Mallory signs in Alice's name, and as a member genesis does not know.
        let forged = try put(mallory, as: member("alice"), key: 2)
        let stranger = try put(mallory, as: member("mallory"), key: 3)
        let mixed = block([good, forged, stranger], parent: genesisHash)
        var a = executor(genesisHash)
        let execution = a.commit(mixed, hash: mixed.hash(using: TestSHA256())).execution
        #expect(execution.results.map(\.code) == ["ok", "tx.bad_signature", "tx.unknown_signer"])
        // The state is exactly that of the one genuine transaction.
        var b = executor(genesisHash)
        let onlyGood = block([good], parent: genesisHash)
        let reference = b.commit(onlyGood, hash: onlyGood.hash(using: TestSHA256())).execution
        #expect(execution.stateRoot == reference.stateRoot)
        #expect(execution.stateRoot != KeyValueTestApplication(hasher: TestSHA256()).stateRoot)
    }

    @Test func aTransactionVerifiedAtAdmissionIsTrustedOnlyUnderTheSameKey() throws {
        let genesisHash = TestSHA256().hash(Domain.genesis, [0])
        let forged = try put(mallory, as: member("alice"), key: 2)
        let b = block([forged], parent: genesisHash)
        // Noted as verified under another key than Alice's: still checked, still refused.
        var e = executor(genesisHash)
        e.verifiedSignatures.note(forged.hash(using: TestSHA256()), key: mallory.publicKey)
        #expect(e.commit(b, hash: b.hash(using: TestSHA256())).execution.results.map(\.code) == ["tx.bad_signature"])
    }

    @Test func theHeadFollowsBlocksCommittedWithoutIt() throws {
        let hasher = TestSHA256()
        let genesisHash = hasher.hash(Domain.genesis, [0])
        func block(_ height: UInt64, parent: Hash, key: UInt8) throws -> Block {
            Block(
                chainID: chainID, height: Height(height), round: Round(height), parentHash: parent,
                proposer: member("validator-1"), timestampMillis: 1_000 + Int64(height), stateRoot: .zero,
                transactions: [try put(alice, as: member("alice"), key: key)], hasher: hasher)
        }
        let b1 = try block(1, parent: genesisHash, key: 1)
        let b2 = try block(2, parent: b1.hash(using: hasher), key: 2)
        let b3 = try block(3, parent: b2.hash(using: hasher), key: 3)
        var reference = executor(genesisHash)
        let roots = [b1, b2, b3].map { reference.commit($0, hash: $0.hash(using: hasher)).execution.stateRoot }

        // Committed as sync does, without the head; then consensus asks for the next block.
        var e = executor(genesisHash)
        _ = e.commit(b1, hash: b1.hash(using: hasher))
        let second = e.executeSpeculatively(b2, hash: b2.hash(using: hasher))
        #expect(second?.0 == roots[1])
        // A sync batch resets the head while it ran ahead; the next block runs on the committed copy.
        e.resetHead()
        _ = e.commit(b2, hash: b2.hash(using: hasher))
        let third = e.executeSpeculatively(b3, hash: b3.hash(using: hasher))
        #expect(third?.0 == roots[2])
        #expect(e.commit(b3, hash: b3.hash(using: hasher)).execution.stateRoot == roots[2])
        #expect(e.committedStateRoot == roots[2])
    }
}
