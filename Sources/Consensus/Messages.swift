import ChainCore
import Ledger

/// A leader's proposal: the block, the certificate of its parent (`justify`) and, when the block
/// does not directly follow that certificate's round, the timeout certificate of the previous
/// round that allowed it. Signed by the proposer over (height, round, header hash) with domain
/// `creditchain/proposal/v1`, so two proposals for one round are attributable evidence.
public struct Proposal: Hashable, Sendable, CanonicalCodable {
    public static let signingDomain = Domain("creditchain/proposal/v1")

    public var block: Block
    public var justify: QuorumCertificate
    public var timeoutCertificate: TimeoutCertificate?
    public var signature: [UInt8]

    public init(block: Block, justify: QuorumCertificate, timeoutCertificate: TimeoutCertificate?, signature: [UInt8]) {
        self.block = block
        self.justify = justify
        self.timeoutCertificate = timeoutCertificate
        self.signature = signature
    }

    /// The bytes the proposer signs for `reference`.
    public static func signingBytes(_ reference: BlockReference, chainID: ChainID) -> [UInt8] {
        DomainSeparation.signingBytes(signingDomain, chainID: chainID, reference.canonicalBytes)
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(block)
        e.value(justify)
        e.optional(timeoutCertificate) { e, tc in e.value(tc) }
        e.lengthPrefixed(signature, max: ValidatorSignature.signatureMax)
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("proposal.version", supported: 1...1)
        block = try d.value()
        justify = try d.value()
        timeoutCertificate = try d.optional("proposal.tc") { try $0.value() }
        signature = try d.lengthPrefixed("proposal.signature", max: ValidatorSignature.signatureMax)
    }
}

/// A validator's vote, sent to the leader of the next round.
public struct Vote: Hashable, Sendable, CanonicalCodable {
    public var data: VoteData
    public var voter: MemberID
    public var signature: [UInt8]

    public init(data: VoteData, voter: MemberID, signature: [UInt8]) {
        self.data = data
        self.voter = voter
        self.signature = signature
    }

    public var round: Round { data.block.round }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(data)
        e.value(voter)
        e.lengthPrefixed(signature, max: ValidatorSignature.signatureMax)
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("vote.version", supported: 1...1)
        data = try d.value()
        voter = try d.value()
        signature = try d.lengthPrefixed("vote.signature", max: ValidatorSignature.signatureMax)
    }
}

/// What a timeout signs: the round given up and the round of the signer's highest certificate.
/// Signed bytes: `signingBytes("creditchain/timeout/v1", chainID, 0x01 ‖ round ‖ high QC round)`.
public struct TimeoutData: Hashable, Sendable, CanonicalCodable {
    public static let signingDomain = Domain("creditchain/timeout/v1")
    public var round: Round
    public var highQCRound: Round

    public init(round: Round, highQCRound: Round) {
        self.round = round
        self.highQCRound = highQCRound
    }

    public func signingBytes(chainID: ChainID) -> [UInt8] {
        DomainSeparation.signingBytes(Self.signingDomain, chainID: chainID, canonicalBytes)
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(round)
        e.value(highQCRound)
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("timeout_data.version", supported: 1...1)
        round = try d.value()
        highQCRound = try d.value()
    }
}

/// A validator's timeout for a round, with its highest certificate (so the timeout certificate
/// carries the highest certified block any of its signers knew) and, to help laggards, the
/// timeout certificate through which it entered the round.
public struct TimeoutVote: Hashable, Sendable, CanonicalCodable {
    public var data: TimeoutData
    public var highQC: QuorumCertificate
    public var lastRoundCertificate: TimeoutCertificate?
    public var voter: MemberID
    public var signature: [UInt8]

    public init(
        data: TimeoutData, highQC: QuorumCertificate, lastRoundCertificate: TimeoutCertificate?, voter: MemberID,
        signature: [UInt8]
    ) {
        self.data = data
        self.highQC = highQC
        self.lastRoundCertificate = lastRoundCertificate
        self.voter = voter
        self.signature = signature
    }

    public var round: Round { data.round }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(data)
        e.value(highQC)
        e.optional(lastRoundCertificate) { e, tc in e.value(tc) }
        e.value(voter)
        e.lengthPrefixed(signature, max: ValidatorSignature.signatureMax)
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("timeout.version", supported: 1...1)
        data = try d.value()
        highQC = try d.value()
        lastRoundCertificate = try d.optional("timeout.tc") { try $0.value() }
        voter = try d.value()
        signature = try d.lengthPrefixed("timeout.signature", max: ValidatorSignature.signatureMax)
    }
}

/// A quorum of timeouts for one round: each signer with the high-QC round it signed, and the
/// highest of the certificates they reported. A block justified by this certificate must extend a
/// certificate at least that high (the voting rule), which is what keeps committed blocks safe.
public struct TimeoutCertificate: Hashable, Sendable, CanonicalCodable {
    /// One signer's entry.
    public struct Entry: Hashable, Sendable, CanonicalCodable {
        public var signer: MemberID
        public var highQCRound: Round
        public var signature: [UInt8]

        public init(signer: MemberID, highQCRound: Round, signature: [UInt8]) {
            self.signer = signer
            self.highQCRound = highQCRound
            self.signature = signature
        }

        public func encode(to e: inout CanonicalEncoder) {
            e.value(signer)
            e.value(highQCRound)
            e.lengthPrefixed(signature, max: ValidatorSignature.signatureMax)
        }

        public init(from d: inout CanonicalDecoder) throws {
            signer = try d.value()
            highQCRound = try d.value()
            signature = try d.lengthPrefixed("tc.signature", max: ValidatorSignature.signatureMax)
        }
    }

    public var round: Round
    public var entries: [Entry]
    public var highQC: QuorumCertificate

    public init(round: Round, entries: [Entry], highQC: QuorumCertificate) {
        self.round = round
        self.entries = entries.sorted { $0.signer < $1.signer }
        self.highQC = highQC
    }

    /// The highest high-QC round among the signers (what the voting rule compares against).
    public var highestQCRound: Round { entries.map(\.highQCRound).max() ?? Round(0) }

    /// Quorum of distinct validators of `validators`, every signature valid, and `highQC` the
    /// certificate of the highest reported round (its own signatures are checked by the caller).
    public func verify(chainID: ChainID, validators: ValidatorSet, verifier: any ChainVerifier) throws {
        guard entries.count >= validators.quorum else {
            throw ConsensusError(code: "tc.no_quorum", reason: "\(entries.count) timeouts, quorum \(validators.quorum)")
        }
        var previous: MemberID?
        for entry in entries {
            if let previous, !(previous < entry.signer) {
                throw ConsensusError(code: "tc.unsorted_signers", reason: "signers must be sorted and distinct")
            }
            previous = entry.signer
            guard let key = validators.publicKey(of: entry.signer) else {
                throw ConsensusError(code: "tc.unknown_signer", reason: "\(entry.signer) is not a validator")
            }
            let bytes = TimeoutData(round: round, highQCRound: entry.highQCRound).signingBytes(chainID: chainID)
            guard verifier.verify(signature: entry.signature, message: bytes, publicKey: key) else {
                throw ConsensusError(code: "tc.bad_signature", reason: "timeout of \(entry.signer) does not verify")
            }
        }
        guard highQC.round == highestQCRound else {
            throw ConsensusError(
                code: "tc.wrong_high_qc", reason: "the carried certificate is not the highest reported")
        }
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(round)
        e.array(entries, max: ValidatorSet.sizeMax)
        e.value(highQC)
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("tc.version", supported: 1...1)
        round = try d.value()
        entries = try d.array("tc.entries", max: ValidatorSet.sizeMax, minElementSize: 14)
        highQC = try d.value()
    }
}

/// A block with the certificate of its parent, as a proposal carries it (used by block sync).
public struct LinkedBlock: Hashable, Sendable, CanonicalCodable {
    public var block: Block
    public var justify: QuorumCertificate

    public init(block: Block, justify: QuorumCertificate) {
        self.block = block
        self.justify = justify
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.value(block)
        e.value(justify)
    }

    public init(from d: inout CanonicalDecoder) throws {
        block = try d.value()
        justify = try d.value()
    }
}

/// Asks a peer for the chain that ends at `target`, starting just above `fromHeight`.
public struct BlockRequest: Hashable, Sendable, CanonicalCodable {
    public var target: Hash
    public var fromHeight: Height
    public var limit: UInt16

    public init(target: Hash, fromHeight: Height, limit: UInt16) {
        self.target = target
        self.fromHeight = fromHeight
        self.limit = limit
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.hash(target)
        e.value(fromHeight)
        e.u16(limit)
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("block_request.version", supported: 1...1)
        target = try d.hash("block_request.target")
        fromHeight = try d.value()
        limit = try d.u16("block_request.limit")
    }
}

/// The blocks of a `BlockRequest`, ascending, each linked to the previous by its parent hash.
public struct BlockResponse: Hashable, Sendable, CanonicalCodable {
    public static let blocksMax = 256
    public var blocks: [LinkedBlock]

    public init(blocks: [LinkedBlock]) { self.blocks = blocks }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.array(blocks, max: Self.blocksMax)
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("block_response.version", supported: 1...1)
        blocks = try d.array("block_response.blocks", max: Self.blocksMax, minElementSize: 100)
    }
}

/// A replica's highest certificates, sent to a validator seen acting in an older round so it can
/// enter the current one (both certificates are verified like any other).
public struct SyncInfo: Hashable, Sendable, CanonicalCodable {
    public var highQC: QuorumCertificate
    public var highTC: TimeoutCertificate?

    public init(highQC: QuorumCertificate, highTC: TimeoutCertificate?) {
        self.highQC = highQC
        self.highTC = highTC
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(highQC)
        e.optional(highTC) { e, tc in e.value(tc) }
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("sync_info.version", supported: 1...1)
        highQC = try d.value()
        highTC = try d.optional("sync_info.tc") { try $0.value() }
    }
}

/// Every message validators exchange. Encoded as a one-byte tag then the message.
public enum ConsensusMessage: Hashable, Sendable, CanonicalCodable {
    /// Largest accepted encoded message (a full block plus certificates).
    public static let encodedMax = 32 << 20

    case proposal(Proposal)
    case vote(Vote)
    case timeout(TimeoutVote)
    case blockRequest(BlockRequest)
    case blockResponse(BlockResponse)
    case syncInfo(SyncInfo)

    public func encode(to e: inout CanonicalEncoder) {
        switch self {
        case .proposal(let p):
            e.u8(1)
            e.value(p)
        case .vote(let v):
            e.u8(2)
            e.value(v)
        case .timeout(let t):
            e.u8(3)
            e.value(t)
        case .blockRequest(let r):
            e.u8(4)
            e.value(r)
        case .blockResponse(let r):
            e.u8(5)
            e.value(r)
        case .syncInfo(let s):
            e.u8(6)
            e.value(s)
        }
    }

    public init(from d: inout CanonicalDecoder) throws {
        switch try d.u8("message.kind") {
        case 1: self = .proposal(try d.value())
        case 2: self = .vote(try d.value())
        case 3: self = .timeout(try d.value())
        case 4: self = .blockRequest(try d.value())
        case 5: self = .blockResponse(try d.value())
        case 6: self = .syncInfo(try d.value())
        case let other:
            throw ChainCoreError(code: "codec.unknown_tag", field: "message.kind", reason: "unknown tag \(other)")
        }
    }

    /// Decodes bytes received from the network, refusing oversized input before decoding.
    public static func decode(_ bytes: [UInt8]) throws -> ConsensusMessage {
        guard bytes.count <= encodedMax else {
            throw ChainCoreError(code: "codec.length_exceeded", field: "message", reason: "message too large")
        }
        return try ConsensusMessage(canonicalBytes: bytes)
    }
}
