import ChainCore
import Testing

@testable import Ledger

@Suite struct QuorumCertificateTests {
    let hasher = SHA256Hasher()
    let verifier = Ed25519TestVerifier()
    let signers = (1...7).map { Ed25519TestSigner(seed: UInt8($0)) }
    var names: [MemberID] { (1...7).map { member("validator-\($0)") } }

    func validatorSet(_ count: Int) throws -> ValidatorSet {
        try ValidatorSet((0..<count).map { Validator(member: names[$0], publicKey: signers[$0].publicKey) })
    }

    func certificate(signedBy indices: [Int], data: VoteData) throws -> QuorumCertificate {
        let message = data.signingBytes(chainID: testChainID)
        return QuorumCertificate(
            voteData: data,
            signatures: try indices.map {
                ValidatorSignature(signer: names[$0], signature: try signers[$0].sign(message))
            })
    }

    var parent: BlockReference { BlockReference(height: Height(4), round: Round(6), hash: hasher.digest([4])) }
    var child: BlockReference { BlockReference(height: Height(5), round: Round(7), hash: hasher.digest([5])) }

    @Test func quorumIsTwoThirdsPlusOneOfTheSetInForce() throws {
        #expect(try validatorSet(1).quorum == 1)
        #expect(try validatorSet(4).quorum == 3)
        #expect(try validatorSet(5).quorum == 4)
        #expect(try validatorSet(6).quorum == 5)
        #expect(try validatorSet(7).quorum == 5)
        #expect(try validatorSet(7).faultsTolerated == 2)
    }

    @Test func verifiesWithAQuorumOfRealEd25519Signatures() throws {
        let set = try validatorSet(4)
        let qc = try certificate(signedBy: [0, 2, 3], data: VoteData(block: child, committed: parent))
        try qc.verify(chainID: testChainID, validators: set, verifier: verifier)
        let decoded = try QuorumCertificate(canonicalBytes: qc.canonicalBytes)
        #expect(decoded == qc)
        let commit = try CommitCertificate(qc)
        #expect(commit.committed == parent)
    }

    /// A signature the caller holds as valid (its own vote) is skipped only when signer and bytes
    /// are both equal; any other signature is still checked.
    @Test func aKnownSignatureIsSkippedOnlyWhenIdentical() throws {
        let set = try validatorSet(4)
        var qc = try certificate(signedBy: [0, 2, 3], data: VoteData(block: child, committed: parent))
        let own = qc.signatures[0]
        try qc.verify(chainID: testChainID, validators: set, verifier: verifier, known: [own])
        // A bad signature under the known signer's name is checked (and refused).
        qc.signatures[0].signature[0] ^= 1
        #expect(throws: LedgerError.self) {
            try qc.verify(chainID: testChainID, validators: set, verifier: verifier, known: [own])
        }
        // The same bad bytes given as known are taken as known: the caller vouches for them.
        try qc.verify(chainID: testChainID, validators: set, verifier: verifier, known: [qc.signatures[0]])
        // Another signer's bad signature is refused whatever is known.
        var other = try certificate(signedBy: [0, 2, 3], data: VoteData(block: child, committed: parent))
        other.signatures[1].signature[0] ^= 1
        #expect(throws: LedgerError.self) {
            try other.verify(chainID: testChainID, validators: set, verifier: verifier, known: [own])
        }
    }

    @Test func aQuorumForFourIsNotAQuorumForSeven() throws {
        // Three signatures are a quorum of 4 but not of 7: the set in force decides.
        let qc = try certificate(signedBy: [0, 1, 2], data: VoteData(block: child, committed: nil))
        try qc.verify(chainID: testChainID, validators: try validatorSet(4), verifier: verifier)
        #expect(throws: LedgerError.self) {
            try qc.verify(chainID: testChainID, validators: try validatorSet(7), verifier: verifier)
        }
    }

    @Test func rejectsForeignSignersTamperingAndOtherChains() throws {
        let set = try validatorSet(4)
        let data = VoteData(block: child, committed: parent)
        let foreign = try certificate(signedBy: [0, 1, 5], data: data)
        #expect(throws: LedgerError(code: "certificate.unknown_signer", reason: "validator-6 is not a validator here"))
        {
            try foreign.verify(chainID: testChainID, validators: set, verifier: verifier)
        }
        var tampered = try certificate(signedBy: [0, 1, 2], data: data)
        tampered.voteData.block.round = Round(8)
        #expect(throws: LedgerError.self) {
            try tampered.verify(chainID: testChainID, validators: set, verifier: verifier)
        }
        let good = try certificate(signedBy: [0, 1, 2], data: data)
        #expect(throws: LedgerError.self) {
            try good.verify(chainID: ChainID(.zero), validators: set, verifier: verifier)
        }
        // A repeated signer cannot make up a quorum.
        var repeated = good
        repeated.signatures = [good.signatures[0], good.signatures[0], good.signatures[1]]
        #expect(throws: LedgerError.self) {
            try repeated.verify(chainID: testChainID, validators: set, verifier: verifier)
        }
    }

    @Test func voteSigningBytesAreDomainSeparated() {
        let data = VoteData(block: child, committed: parent)
        let bytes = data.signingBytes(chainID: testChainID)
        let domain = Array("creditchain/vote/v1".utf8)
        #expect(bytes[0] == UInt8(domain.count))
        #expect(Array(bytes[1...domain.count]) == domain)
        #expect(Array(bytes[(domain.count + 1)..<(domain.count + 33)]) == testChainID.hash.bytes)
        #expect(Array(bytes[(domain.count + 33)...]) == data.canonicalBytes)
        // 1 version + 48 block + 1 tag + 48 committed.
        #expect(data.canonicalBytes.count == 98)
    }

    @Test func commitCertificateProvesAncestorsThroughHeaders() throws {
        let set = try validatorSet(4)
        func header(_ h: UInt64, _ r: UInt64, parent: Hash) -> BlockHeader {
            BlockHeader(
                chainID: testChainID, height: Height(h), round: Round(r), parentHash: parent,
                proposer: names[Int(r) % 4], timestampMillis: Int64(h), transactionRoot: .zero, stateRoot: .zero)
        }
        let h3 = header(3, 3, parent: .zero)
        let h4 = header(4, 5, parent: h3.hash(using: hasher))
        let h5 = header(5, 6, parent: h4.hash(using: hasher))
        let committed = BlockReference(height: Height(5), round: Round(6), hash: h5.hash(using: hasher))
        let qc = try certificate(
            signedBy: [1, 2, 3],
            data: VoteData(block: BlockReference(height: Height(6), round: Round(7), hash: .zero), committed: committed)
        )
        let cert = try CommitCertificate(qc)
        try cert.proves(h5, descendants: [], chainID: testChainID, validators: set, hasher: hasher, verifier: verifier)
        try cert.proves(
            h3, descendants: [h4, h5], chainID: testChainID, validators: set, hasher: hasher, verifier: verifier)
        #expect(throws: LedgerError.self) {
            try cert.proves(
                h3, descendants: [h5], chainID: testChainID, validators: set, hasher: hasher, verifier: verifier)
        }
        var forged = h4
        forged.stateRoot = hasher.digest([9])
        #expect(throws: LedgerError.self) {
            try cert.proves(
                forged, descendants: [h5], chainID: testChainID, validators: set, hasher: hasher, verifier: verifier)
        }
        #expect(throws: LedgerError.self) {
            try CommitCertificate(try certificate(signedBy: [0, 1, 2], data: VoteData(block: child, committed: nil)))
        }
    }
}
