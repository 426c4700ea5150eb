import ChainCore

/// The consensus parameters of a chain (from genesis). Every bound a hostile peer could push on is
/// here, named `…Max`/`…Window`.
public struct ConsensusConfig: Sendable {
    public var chainID: ChainID
    /// The genesis header hash (the only block certified without signatures).
    public var genesisHash: Hash
    /// Batching: a proposal carries at most this many transactions…
    public var blockTransactionsMax: Int
    /// …and at most this many bytes of encoded transactions.
    public var blockBytesMax: Int
    /// Base round timeout; doubles per consecutive timed-out round up to `timeoutBackoffMax` times.
    public var roundTimeoutMillis: Int64
    public var timeoutBackoffMax: Int
    /// Messages for rounds beyond current + this are not stored (their certificates still count).
    public var roundWindow: UInt64
    /// Blocks above committed height + this are refused (bounds the pending tree).
    public var heightWindow: UInt64
    /// A proposal's timestamp may be at most this far ahead of the voter's clock.
    public var timestampDriftMaxMillis: Int64
    /// Most uncommitted blocks kept.
    public var pendingBlocksMax: Int
    /// Most committed blocks kept in memory to serve block requests.
    public var committedCacheMax: Int
    /// Most transactions waiting in the replica's pool.
    public var mempoolMax: Int
    /// Most blocks returned per block request.
    public var fetchBlocksMax: Int
    /// Idle pacing (genesis `block_interval_ms`): a leader with no transaction to propose, and
    /// none in its parent or grandparent still to be committed, waits until its parent is this
    /// old before proposing an empty block. 0 proposes at once (continuous empty blocks). Must
    /// stay well below the round timeout, or idle rounds would time out.
    public var idleBlockIntervalMillis: Int64
    /// Leader reputation (`LeaderReputation`): committed blocks whose proposers and certificate
    /// signers count as active; 0 is plain round-robin.
    public var reputationWindow: Int
    /// The window ends this many heights below the parent of the block whose leader is elected,
    /// so replicas a few commits apart still agree.
    public var reputationLagHeights: UInt64

    public init(
        chainID: ChainID, genesisHash: Hash, blockTransactionsMax: Int = 256, blockBytesMax: Int = 1 << 20,
        roundTimeoutMillis: Int64 = 1000, timeoutBackoffMax: Int = 3, roundWindow: UInt64 = 200,
        heightWindow: UInt64 = 200, timestampDriftMaxMillis: Int64 = 2000, pendingBlocksMax: Int = 1024,
        committedCacheMax: Int = 1024, mempoolMax: Int = 20_000, fetchBlocksMax: Int = 64,
        idleBlockIntervalMillis: Int64 = 0, reputationWindow: Int = 10, reputationLagHeights: UInt64 = 3
    ) {
        self.chainID = chainID
        self.genesisHash = genesisHash
        self.blockTransactionsMax = blockTransactionsMax
        self.blockBytesMax = blockBytesMax
        self.roundTimeoutMillis = roundTimeoutMillis
        self.timeoutBackoffMax = timeoutBackoffMax
        self.roundWindow = roundWindow
        self.heightWindow = heightWindow
        self.timestampDriftMaxMillis = timestampDriftMaxMillis
        self.pendingBlocksMax = pendingBlocksMax
        self.committedCacheMax = committedCacheMax
        self.mempoolMax = mempoolMax
        self.fetchBlocksMax = fetchBlocksMax
        self.idleBlockIntervalMillis = idleBlockIntervalMillis
        self.reputationWindow = reputationWindow
        self.reputationLagHeights = reputationLagHeights
    }
}
