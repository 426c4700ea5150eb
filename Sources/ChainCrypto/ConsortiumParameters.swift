import ChainCore

/// The genesis parameters `consortium init` writes to `DIR/consortium.json`: who the consortium
/// is, its suite, and the consensus and governance parameters the genesis builder copies into the
/// chain section of genesis. Everything here becomes public on chain; secrets never go here.
/// Documented field by field in docs/consortium.md.
public struct ConsortiumParameters: Codable, Hashable, Sendable {
    /// Format version of this file.
    public static let currentVersion = 1

    public var version: Int
    /// Display name (also the root CA's organisation).
    public var name: String
    /// `standard` or `gm` (`SuiteID.name`).
    public var suite: String
    /// When `consortium init` ran, seconds since 1970 (UTC).
    public var createdAtSeconds: Int64
    /// The root CA certificate, relative to the consortium directory.
    public var rootCertificate: String
    public var consensus: ConsensusParameters
    public var governance: GovernanceParameters

    public init(
        name: String, suite: SuiteID, createdAtSeconds: Int64,
        rootCertificate: String = ConsortiumLayout.rootCertificatePath,
        consensus: ConsensusParameters = ConsensusParameters(),
        governance: GovernanceParameters = GovernanceParameters()
    ) {
        version = Self.currentVersion
        self.name = name
        self.suite = suite.name
        self.createdAtSeconds = createdAtSeconds
        self.rootCertificate = rootCertificate
        self.consensus = consensus
        self.governance = governance
    }

    /// The suite, or nil when the file names an unknown one (`validate()` reports it).
    public var suiteID: SuiteID? { SuiteID(name: suite) }

    /// Checks every value is usable; the genesis builder calls it before trusting the file.
    public func validate() throws {
        func fail(_ reason: String) -> ChainCryptoError {
            ChainCryptoError(code: "consortium.invalid_parameters", reason: reason)
        }
        guard version == Self.currentVersion else { throw fail("unsupported version \(version)") }
        guard !name.isEmpty, name.utf8.count <= 256 else { throw fail("the name has 1 to 256 bytes") }
        guard suiteID != nil else { throw fail("unknown suite '\(suite)' (standard or gm)") }
        try consensus.validate()
        try governance.validate()
    }
}

/// Consensus parameters of the chain section of genesis (docs/consortium.md). Defaults suit a
/// consortium of 4–31 validators on a metropolitan network.
public struct ConsensusParameters: Codable, Hashable, Sendable {
    /// Target time between blocks; a leader proposes at most this often when transactions wait.
    public var blockIntervalMillis: Int64
    /// A round's first timeout; after it a validator signs a timeout vote.
    public var roundTimeoutMillis: Int64
    /// Each consecutive failed round multiplies the timeout by this percentage (150 = ×1.5) ...
    public var roundTimeoutBackoffPercent: Int64
    /// ... up to this ceiling.
    public var roundTimeoutMaxMillis: Int64
    /// How far a proposer's timestamp may be ahead of a validator's clock before it refuses to vote.
    public var maxClockDriftMillis: Int64
    /// Limits of one block.
    public var maxBlockBytes: Int64
    public var maxBlockTransactions: Int64
    /// Limit of one transaction envelope (the envelope's payload limit is 1 MiB).
    public var maxTransactionBytes: Int64
    /// Validator-set changes decided at height h take effect at h + this many blocks.
    public var validatorChangeDelayBlocks: Int64
    /// Default lifetime of a transaction (expiry height = current height + this).
    public var transactionExpiryBlocks: Int64

    public init(
        blockIntervalMillis: Int64 = 1_000, roundTimeoutMillis: Int64 = 3_000, roundTimeoutBackoffPercent: Int64 = 150,
        roundTimeoutMaxMillis: Int64 = 60_000, maxClockDriftMillis: Int64 = 2_000, maxBlockBytes: Int64 = 8_388_608,
        maxBlockTransactions: Int64 = 5_000, maxTransactionBytes: Int64 = 1_114_112,
        validatorChangeDelayBlocks: Int64 = 10, transactionExpiryBlocks: Int64 = 600
    ) {
        self.blockIntervalMillis = blockIntervalMillis
        self.roundTimeoutMillis = roundTimeoutMillis
        self.roundTimeoutBackoffPercent = roundTimeoutBackoffPercent
        self.roundTimeoutMaxMillis = roundTimeoutMaxMillis
        self.maxClockDriftMillis = maxClockDriftMillis
        self.maxBlockBytes = maxBlockBytes
        self.maxBlockTransactions = maxBlockTransactions
        self.maxTransactionBytes = maxTransactionBytes
        self.validatorChangeDelayBlocks = validatorChangeDelayBlocks
        self.transactionExpiryBlocks = transactionExpiryBlocks
    }

    func validate() throws {
        func check(_ ok: Bool, _ reason: String) throws {
            if !ok { throw ChainCryptoError(code: "consortium.invalid_parameters", reason: "consensus: \(reason)") }
        }
        try check(blockIntervalMillis > 0, "blockIntervalMillis must be positive")
        try check(roundTimeoutMillis > 0, "roundTimeoutMillis must be positive")
        // An idle leader waits up to the block interval before proposing an empty block.
        try check(
            blockIntervalMillis * 2 <= roundTimeoutMillis, "blockIntervalMillis is at most half of roundTimeoutMillis")
        try check(roundTimeoutBackoffPercent >= 100, "roundTimeoutBackoffPercent is at least 100")
        try check(roundTimeoutMaxMillis >= roundTimeoutMillis, "roundTimeoutMaxMillis is at least roundTimeoutMillis")
        try check(maxClockDriftMillis >= 0, "maxClockDriftMillis must not be negative")
        try check(maxTransactionBytes > 0, "maxTransactionBytes must be positive")
        try check(maxBlockBytes >= maxTransactionBytes, "maxBlockBytes must hold at least one transaction")
        try check(maxBlockTransactions > 0, "maxBlockTransactions must be positive")
        try check(validatorChangeDelayBlocks >= 1, "validatorChangeDelayBlocks is at least 1")
        try check(transactionExpiryBlocks >= 1, "transactionExpiryBlocks is at least 1")
    }
}

/// Governance parameters: how many members must approve a proposal (admission, removal,
/// validator changes, certificate revocation, parameter changes) and for how long it stays open.
public struct GovernanceParameters: Codable, Hashable, Sendable {
    /// A proposal passes when approvals × denominator ≥ members × numerator (default: two thirds
    /// of all members, counted from the membership at the proposal's height).
    public var approvalNumerator: Int64
    public var approvalDenominator: Int64
    /// Blocks after which an undecided proposal expires.
    public var proposalLifetimeBlocks: Int64

    public init(approvalNumerator: Int64 = 2, approvalDenominator: Int64 = 3, proposalLifetimeBlocks: Int64 = 100_800) {
        self.approvalNumerator = approvalNumerator
        self.approvalDenominator = approvalDenominator
        self.proposalLifetimeBlocks = proposalLifetimeBlocks
    }

    func validate() throws {
        guard approvalDenominator > 0, approvalNumerator > 0, approvalNumerator <= approvalDenominator,
            proposalLifetimeBlocks > 0
        else {
            throw ChainCryptoError(
                code: "consortium.invalid_parameters",
                reason: "governance: need 0 < approvalNumerator ≤ approvalDenominator and a positive lifetime")
        }
    }
}
