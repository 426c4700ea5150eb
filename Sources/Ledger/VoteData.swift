import ChainCore

/// A block reference inside signed consensus data: height, round and header hash.
public struct BlockReference: Hashable, Sendable, CanonicalCodable, CustomStringConvertible {
    public var height: Height
    public var round: Round
    public var hash: Hash

    public init(height: Height, round: Round, hash: Hash) {
        self.height = height
        self.round = round
        self.hash = hash
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.value(height)
        e.value(round)
        e.hash(hash)
    }

    public init(from d: inout CanonicalDecoder) throws {
        height = try d.value()
        round = try d.value()
        hash = try d.hash("block_reference.hash")
    }

    public var description: String { "\(height)/\(round)/\(hash.short)" }
}

/// What a validator's vote signs: the voted block, and — when the voted block directly follows
/// its parent's round (the two-chain commit rule) — the parent it commits.
///
/// Signed bytes: `DomainSeparation.signingBytes("creditchain/vote/v1", chainID, canonical)`, with
/// canonical = 0x01 ‖ height ‖ round ‖ header hash ‖ optional(committed height ‖ round ‖ hash).
/// Every honest validator derives the same `VoteData` from the same block, so votes aggregate.
public struct VoteData: Hashable, Sendable, CanonicalCodable {
    public static let signingDomain = Domain("creditchain/vote/v1")

    /// The certified (voted) block.
    public var block: BlockReference
    /// The block this vote commits when it gathers a quorum, if any.
    public var committed: BlockReference?

    public init(block: BlockReference, committed: BlockReference?) {
        self.block = block
        self.committed = committed
    }

    /// The bytes a vote's signature covers.
    public func signingBytes(chainID: ChainID) -> [UInt8] {
        DomainSeparation.signingBytes(Self.signingDomain, chainID: chainID, canonicalBytes)
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(block)
        e.optional(committed) { e, c in e.value(c) }
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("vote_data.version", supported: 1...1)
        block = try d.value()
        committed = try d.optional("vote_data.committed") { try $0.value() }
    }
}

/// One validator's signature in a certificate.
public struct ValidatorSignature: Hashable, Sendable, CanonicalCodable {
    public static let signatureMax = 128
    public var signer: MemberID
    public var signature: [UInt8]

    public init(signer: MemberID, signature: [UInt8]) {
        self.signer = signer
        self.signature = signature
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.value(signer)
        e.lengthPrefixed(signature, max: Self.signatureMax)
    }

    public init(from d: inout CanonicalDecoder) throws {
        signer = try d.value()
        signature = try d.lengthPrefixed("signature", max: Self.signatureMax)
    }
}
