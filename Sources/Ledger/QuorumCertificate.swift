import ChainCore

/// A quorum certificate: the signatures of at least ⌊2n/3⌋ + 1 validators of the set in force at
/// the certified block's height, all over the same `VoteData`.
///
/// Signatures are sorted by member id with no repeats, so a certificate has one canonical
/// encoding. The genesis certificate (height 0) carries no signatures and is accepted only as the
/// exact value every replica derives from genesis.
public struct QuorumCertificate: Hashable, Sendable, CanonicalCodable {
    public var voteData: VoteData
    public var signatures: [ValidatorSignature]

    public init(voteData: VoteData, signatures: [ValidatorSignature]) {
        self.voteData = voteData
        self.signatures = signatures.sorted { $0.signer < $1.signer }
    }

    /// The certificate every chain starts from: genesis certified by definition.
    public static func genesis(_ genesisHash: Hash) -> QuorumCertificate {
        QuorumCertificate(
            voteData: VoteData(
                block: BlockReference(height: Height(0), round: Round(0), hash: genesisHash), committed: nil),
            signatures: [])
    }

    public var block: BlockReference { voteData.block }
    public var round: Round { voteData.block.round }
    public var height: Height { voteData.block.height }
    public var isGenesis: Bool { voteData.block.height == Height(0) && signatures.isEmpty }

    /// Checks quorum and every signature against `validators` (the set in force at the certified
    /// block's height). Throws `certificate.*` errors. `known` are signatures the caller already
    /// holds as valid over this very vote data (a validator's own vote, votes it checked as they
    /// arrived): a signature in the certificate with the same signer and the same bytes as one of
    /// them is not checked again.
    public func verify(
        chainID: ChainID, validators: ValidatorSet, verifier: any ChainVerifier, known: [ValidatorSignature] = []
    ) throws {
        guard signatures.count >= validators.quorum else {
            throw LedgerError(
                code: "certificate.no_quorum",
                reason:
                    "\(signatures.count) signatures, the quorum of \(validators.count) validators is \(validators.quorum)"
            )
        }
        let message = voteData.signingBytes(chainID: chainID)
        var previous: MemberID?
        for s in signatures {
            if let previous, !(previous < s.signer) {
                throw LedgerError(
                    code: "certificate.unsorted_signers", reason: "signers must be sorted and distinct")
            }
            previous = s.signer
            guard let key = validators.publicKey(of: s.signer) else {
                throw LedgerError(code: "certificate.unknown_signer", reason: "\(s.signer) is not a validator here")
            }
            if known.contains(s) { continue }
            guard verifier.verify(signature: s.signature, message: message, publicKey: key) else {
                throw LedgerError(code: "certificate.bad_signature", reason: "signature of \(s.signer) does not verify")
            }
        }
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(voteData)
        e.array(signatures, max: ValidatorSet.sizeMax)
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("qc.version", supported: 1...1)
        voteData = try d.value()
        signatures = try d.array("qc.signatures", max: ValidatorSet.sizeMax, minElementSize: 6)
        for i in signatures.indices.dropFirst() where !(signatures[i - 1].signer < signatures[i].signer) {
            throw ChainCoreError(code: "codec.non_canonical", field: "qc.signatures", reason: "signers not sorted")
        }
    }
}

/// The proof that a block is final: a quorum certificate whose vote data commits it.
///
/// Under the two-chain rule, block B (height h, round r) is committed by the certificate of its
/// child at round r + 1; that certificate's `VoteData.committed` names B. Blocks below B that were
/// committed together with it are proven by this certificate plus the chain of headers from them
/// up to B (each header names its parent's hash).
public struct CommitCertificate: Hashable, Sendable, CanonicalCodable {
    public var certificate: QuorumCertificate

    /// Throws `certificate.commits_nothing` unless the certificate commits a block.
    public init(_ certificate: QuorumCertificate) throws {
        guard certificate.voteData.committed != nil else {
            throw LedgerError(code: "certificate.commits_nothing", reason: "the certificate does not commit a block")
        }
        self.certificate = certificate
    }

    /// The committed block.
    public var committed: BlockReference {
        guard let c = certificate.voteData.committed else { preconditionFailure("checked at creation") }
        return c
    }

    /// Verifies the signatures against `validators`, which must be the set in force at the height
    /// of the certified child (`certificate.height`; the committed height's set unless a change
    /// takes effect exactly there).
    public func verify(chainID: ChainID, validators: ValidatorSet, verifier: any ChainVerifier) throws {
        try certificate.verify(chainID: chainID, validators: validators, verifier: verifier)
    }

    /// Verifies that `header` is final: the certificate verifies, and `header` is the committed
    /// block or an ancestor of it through `descendants` (the headers above `header` up to the
    /// committed one, ascending).
    public func proves(
        _ header: BlockHeader, descendants: [BlockHeader], chainID: ChainID, validators: ValidatorSet,
        hasher: any ChainHasher, verifier: any ChainVerifier
    ) throws {
        try verify(chainID: chainID, validators: validators, verifier: verifier)
        guard header.chainID == chainID else {
            throw LedgerError(code: "certificate.wrong_chain", reason: "the header belongs to another chain")
        }
        var current = header
        var currentHash = header.hash(using: hasher)
        for next in descendants {
            guard next.parentHash == currentHash, next.height == current.height.next else {
                throw LedgerError(
                    code: "certificate.broken_chain", reason: "header \(next.height) does not extend its parent")
            }
            current = next
            currentHash = next.hash(using: hasher)
        }
        guard currentHash == committed.hash, current.height == committed.height, current.round == committed.round else {
            throw LedgerError(code: "certificate.wrong_block", reason: "the certificate commits another block")
        }
    }

    public func encode(to e: inout CanonicalEncoder) { e.value(certificate) }

    public init(from d: inout CanonicalDecoder) throws {
        let qc: QuorumCertificate = try d.value()
        guard qc.voteData.committed != nil else {
            throw ChainCoreError(code: "codec.invalid_value", field: "commit_certificate", reason: "commits nothing")
        }
        certificate = qc
    }
}
