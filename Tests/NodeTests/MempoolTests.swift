import ChainCore
import Ledger
import Node
import Testing

struct MempoolTests {
    let chainID = ChainID(TestSHA256().hash(Domain.genesis, [1, 2, 3]))
    let signer = TestEd25519Signer()

    func admission(_ limits: MempoolLimits = MempoolLimits()) -> TransactionAdmission {
        TransactionAdmission(
            chainID: chainID, suite: .standard, verifier: TestEd25519Verifier(), hasher: TestSHA256(),
            memberKeys: MemberKeyDirectory([member("bank-1"): signer.publicKey]),
            transactionBytesMax: limits.transactionBytesMax)
    }

    func envelope(_ n: UInt8, expiry: UInt64 = 100, payload: [UInt8] = [1, 2, 3]) throws -> TransactionEnvelope {
        var e = TransactionEnvelope(
            suite: .standard, signer: member("bank-1"), uniqueID: [UInt8](repeating: n, count: 16),
            expiry: Height(expiry), kind: 1, payload: payload)
        try e.sign(with: signer, chainID: chainID)
        return e
    }

    func verified(_ e: TransactionEnvelope, _ a: TransactionAdmission? = nil) throws -> VerifiedTransaction {
        try (a ?? admission()).verify(e).get()
    }

    @Test func acceptsOnceThenReportsDuplicate() throws {
        var pool = Mempool(limits: MempoolLimits(), height: Height(0))
        let tx = try verified(try envelope(1))
        #expect(pool.admit(tx) == .accepted(tx.hash))
        #expect(pool.admit(tx) == .duplicate(tx.hash))
        #expect(pool.count == 1)
    }

    @Test func refusesAReplayedUniqueIDWithDifferentContent() throws {
        var pool = Mempool(limits: MempoolLimits(), height: Height(0))
        let a = try verified(try envelope(1, payload: [1]))
        let b = try verified(try envelope(1, payload: [2]))
        #expect(pool.admit(a) == .accepted(a.hash))
        guard case .rejected(let error) = pool.admit(b) else { Issue.record("replay accepted"); return }
        #expect(error.code == "mempool.replayed")
    }

    @Test func rememberCommittedIDsUntilExpiry() throws {
        var pool = Mempool(limits: MempoolLimits(), height: Height(0))
        let a = try verified(try envelope(1, expiry: 5))
        #expect(pool.admit(a) == .accepted(a.hash))
        pool.committed([a.hash], envelopes: [a.envelope], at: Height(1))
        #expect(pool.count == 0)
        // Re-submitting after commit is a duplicate, not a new transaction.
        #expect(pool.admit(a) == .duplicate(a.hash))
        pool.committed([], envelopes: [], at: Height(5))
        // Past its expiry it is refused as expired, never re-admitted.
        guard case .rejected(let error) = pool.admit(a) else { Issue.record("expired accepted"); return }
        #expect(error.code == "mempool.expired")
    }

    @Test func expiryBounds() throws {
        var pool = Mempool(limits: MempoolLimits(expiryAheadMax: 10), height: Height(3))
        guard case .rejected(let past) = pool.admit(try verified(try envelope(1, expiry: 3))) else {
            Issue.record("expired accepted")
            return
        }
        #expect(past.code == "mempool.expired")
        guard case .rejected(let far) = pool.admit(try verified(try envelope(2, expiry: 14))) else {
            Issue.record("far expiry accepted")
            return
        }
        #expect(far.code == "mempool.expiry_too_far")
        let ok = try verified(try envelope(3, expiry: 13))
        #expect(pool.admit(ok) == .accepted(ok.hash))
    }

    @Test func fullPoolAnswersBusyAndNeverGrows() throws {
        var pool = Mempool(limits: MempoolLimits(transactionsMax: 2), height: Height(0))
        for n in UInt8(1)...2 { _ = pool.admit(try verified(try envelope(n))) }
        guard case .rejected(let error) = pool.admit(try verified(try envelope(3))) else {
            Issue.record("over-full pool accepted")
            return
        }
        #expect(error.code == "mempool.busy")
        #expect(pool.count == 2)
    }

    @Test func batchKeepsAdmissionOrderAndRespectsBounds() throws {
        var pool = Mempool(limits: MempoolLimits(), height: Height(0))
        var hashes: [Hash] = []
        for n in UInt8(1)...5 {
            let tx = try verified(try envelope(n))
            hashes.append(tx.hash)
            _ = pool.admit(tx)
        }
        #expect(pool.batch(countMax: 3, bytesMax: 1 << 20).map(\.hash) == Array(hashes[0..<3]))
        let one = pool.batch(countMax: 10, bytesMax: 1 << 20)[0].size
        #expect(pool.batch(countMax: 10, bytesMax: one * 2).count == 2)
        pool.committed([hashes[0], hashes[1]], envelopes: [], at: Height(1))
        #expect(pool.batch(countMax: 10, bytesMax: 1 << 20).map(\.hash) == Array(hashes[2...]))
    }

    @Test func admissionRefusesBadSignaturesAndStrangers() async throws {
        var tampered = try envelope(1)
        tampered.payload = [9, 9, 9]
        var stranger = try envelope(2)
        stranger.signer = member("bank-2")
        let valid = try (3...20).map { try envelope(UInt8($0)) }
        let results = await admission().verify(batch: [tampered, stranger] + valid)
        #expect(results.count == 20)
        guard case .failure(let bad) = results[0], case .failure(let unknown) = results[1] else {
            Issue.record("bad transactions verified")
            return
        }
        #expect(bad.code == "transaction.bad_signature")
        #expect(unknown.code == "transaction.unknown_signer")
        for r in results[2...] { #expect((try? r.get()) != nil) }
    }

    /// The directory is what admission reads: a member added later is admitted from then on, a
    /// rotated key replaces the old one, and a member taken out is unknown.
    @Test func admissionFollowsTheMemberKeyDirectory() throws {
        let a = admission()
        let newcomer = TestEd25519Signer()
        var e = TransactionEnvelope(
            suite: .standard, signer: member("bank-2"), uniqueID: [UInt8](repeating: 9, count: 16),
            expiry: Height(100), kind: 1, payload: [1])
        try e.sign(with: newcomer, chainID: chainID)
        guard case .failure(let unknown) = a.verify(e) else {
            Issue.record("a signer not in the directory was admitted")
            return
        }
        #expect(unknown.code == "transaction.unknown_signer")
        a.memberKeys.replace(with: [member("bank-1"): signer.publicKey, member("bank-2"): newcomer.publicKey])
        // Admitted, and checked against the newcomer's key (what execution will trust it under).
        let admitted = try a.verify(e).get()
        #expect(a.verifiedSignatures.contains(admitted.hash, key: newcomer.publicKey))
        // bank-1 rotates to the newcomer's key: its envelopes signed with the old key are refused.
        a.memberKeys.replace(with: [member("bank-1"): newcomer.publicKey])
        guard case .failure(let stale) = a.verify(try envelope(1)) else {
            Issue.record("an envelope signed with a rotated-out key was admitted")
            return
        }
        #expect(stale.code == "transaction.bad_signature")
        guard case .failure(let gone) = a.verify(e) else {
            Issue.record("a member no longer in the directory was admitted")
            return
        }
        #expect(gone.code == "transaction.unknown_signer")
    }

    @Test func admissionBoundsSizeBeforeDecoding() {
        let a = TransactionAdmission(
            chainID: chainID, suite: .standard, verifier: TestEd25519Verifier(), hasher: TestSHA256(),
            memberKeys: MemberKeyDirectory([:]), transactionBytesMax: 100)
        guard case .failure(let error) = a.verify(bytes: [UInt8](repeating: 0, count: 101)) else {
            Issue.record("oversize accepted")
            return
        }
        #expect(error.code == "mempool.too_large")
        guard case .failure(let garbage) = a.verify(bytes: [7, 7, 7]) else {
            Issue.record("garbage accepted")
            return
        }
        #expect(garbage.code == "transaction.malformed")
    }
}
