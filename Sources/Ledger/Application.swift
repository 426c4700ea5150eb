import ChainCore
import ChainCrypto

/// What a block's execution knows about its block: all time comes from here (block time is the
/// proposer's timestamp, bounded by the other validators), never from a clock.
public struct BlockContext: Hashable, Sendable {
    public var chainID: ChainID
    public var height: Height
    /// Milliseconds since 1970-01-01T00:00:00Z (the proposer's timestamp).
    public var timestampMillis: Int64
    public var proposer: MemberID

    public init(chainID: ChainID, height: Height, timestampMillis: Int64, proposer: MemberID) {
        self.chainID = chainID
        self.height = height
        self.timestampMillis = timestampMillis
        self.proposer = proposer
    }
}

/// The outcome of one transaction: `ok`, or a stable dotted rejection code (docs/errors.md).
/// A rejected transaction changes nothing but its own recorded result.
public struct TransactionResult: Hashable, Sendable, CanonicalCodable {
    public static let codeMax = 96
    public static let detailMax = 512
    public var code: String
    /// Short human detail; never carries credit data or identifiers.
    public var detail: String

    public init(code: String, detail: String = "") {
        self.code = code
        self.detail = detail
    }

    public static let ok = TransactionResult(code: "ok")
    public var isOK: Bool { code == "ok" }

    public func encode(to e: inout CanonicalEncoder) {
        e.string(code, max: Self.codeMax)
        e.string(detail, max: Self.detailMax)
    }

    public init(from d: inout CanonicalDecoder) throws {
        code = try d.string("result.code", max: Self.codeMax)
        detail = try d.string("result.detail", max: Self.detailMax)
    }
}

/// A validator in force: its member id, consensus public key (the suite's signing key) and
/// voting power (1 for every validator today; quorum counts validators, see docs/consensus.md).
public struct Validator: Hashable, Sendable, CanonicalCodable {
    public var member: MemberID
    public var publicKey: [UInt8]

    public init(member: MemberID, publicKey: [UInt8]) {
        self.member = member
        self.publicKey = publicKey
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.value(member)
        e.lengthPrefixed(publicKey, max: 128)
    }

    public init(from d: inout CanonicalDecoder) throws {
        member = try d.value()
        publicKey = try d.lengthPrefixed("validator.public_key", max: 128)
    }
}

/// A change of the validator set decided at one height, taking effect at `effectiveHeight`.
public struct ValidatorSetUpdate: Hashable, Sendable {
    public var effectiveHeight: Height
    /// The complete new set, sorted by member id.
    public var validators: [Validator]

    public init(effectiveHeight: Height, validators: [Validator]) {
        self.effectiveHeight = effectiveHeight
        self.validators = validators.sorted { $0.member < $1.member }
    }
}

/// A certificate revoked by governance, identified as X.509 does: issuer and serial number.
/// Defined in ChainCrypto, whose certificate verifier enforces the revoked set.
public typealias RevokedCertificate = ChainCrypto.RevokedCertificate

/// One state entry written by a block (value nil = deleted). The node persists these in the
/// same database transaction as the applied height.
public struct StateWrite: Hashable, Sendable {
    public var key: [UInt8]
    public var value: [UInt8]?

    public init(key: [UInt8], value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// Everything a block's execution produced.
public struct BlockExecution: Sendable {
    /// One result per transaction, in block order.
    public var results: [TransactionResult]
    /// The state root after this block (it goes into the next block's header).
    public var stateRoot: Hash
    public var validatorUpdates: [ValidatorSetUpdate]
    public var revokedCertificates: [RevokedCertificate]
    /// The state entries this block wrote, sorted by key.
    public var writes: [StateWrite]

    public init(
        results: [TransactionResult], stateRoot: Hash, validatorUpdates: [ValidatorSetUpdate] = [],
        revokedCertificates: [RevokedCertificate] = [], writes: [StateWrite] = []
    ) {
        self.results = results
        self.stateRoot = stateRoot
        self.validatorUpdates = validatorUpdates
        self.revokedCertificates = revokedCertificates
        self.writes = writes
    }
}

/// The deterministic application a replica runs (ABCI-like). Implementations are pure: the same
/// blocks from the same genesis always give the same results, writes and state roots.
public protocol Application: Sendable {
    /// The state root of the current state (after the last executed block, or genesis).
    var stateRoot: Hash { get }

    /// Checks a transaction's application-level admissibility cheaply, for the mempool
    /// (signature and envelope limits are checked by the caller). Returns nil when admissible.
    func precheck(_ transaction: TransactionEnvelope, context: BlockContext) -> TransactionResult?

    /// Executes a block's transactions in order and advances the state.
    mutating func executeBlock(_ context: BlockContext, transactions: [TransactionEnvelope]) -> BlockExecution

    /// The signing key a member's envelopes must verify against in the current state (members'
    /// keys can rotate), or nil when the application does not track keys and the chain's genesis
    /// keys apply.
    func signingKey(of member: MemberID) -> [UInt8]?

    /// Every member's current signing key, for the mempool's admission (members join, rotate
    /// keys and leave by governance); nil when the application does not track keys.
    func signingKeys() -> [MemberID: [UInt8]]?

    /// Whether a block with these writes can have changed `signingKeys()` (the mempool's key
    /// directory is refreshed only then). The default answers true.
    func changesSigningKeys(_ writes: [StateWrite]) -> Bool

    /// Every entry of the current state, sorted by key: the node records genesis' state with it,
    /// so that its state store holds the whole state (to load on restart, and for snapshots).
    func stateEntries() -> [StateWrite]

    /// Advances the state by a block that another copy of this very state executed (a node's
    /// speculative head): applies `execution.writes` without running the rules again. Returns
    /// false, changing nothing, when the application cannot; the caller then executes the block.
    mutating func applyExecuted(_ execution: BlockExecution) -> Bool
}

extension Application {
    public func signingKey(of member: MemberID) -> [UInt8]? { nil }
    public func signingKeys() -> [MemberID: [UInt8]]? { nil }
    public func changesSigningKeys(_ writes: [StateWrite]) -> Bool { true }
    public mutating func applyExecuted(_ execution: BlockExecution) -> Bool { false }
}
