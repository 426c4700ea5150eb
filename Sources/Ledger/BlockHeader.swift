import ChainCore

/// A block header. Its hash, H("creditchain/block/v1", canonical header), is what votes and
/// commit certificates sign, so it fixes the whole block: the transactions through their RFC 6962
/// root and the state through the parent's state root.
///
/// `stateRoot` is the state root after executing the *parent* block, so the state after height h
/// is proven by header h + 1 and its certificate (docs/consensus.md).
public struct BlockHeader: Hashable, Sendable, CanonicalCodable {
    public static let hashDomain = Domain("creditchain/block/v1")
    /// Member id written in the genesis header, which no validator proposes.
    public static let genesisProposer = "genesis"

    public var chainID: ChainID
    public var height: Height
    public var round: Round
    public var parentHash: Hash
    public var proposer: MemberID
    /// Milliseconds since 1970-01-01T00:00:00Z; strictly above the parent's, and at most the
    /// configured drift ahead of each voter's clock.
    public var timestampMillis: Int64
    /// RFC 6962 root over the canonical bytes of the transactions.
    public var transactionRoot: Hash
    /// State root after executing the parent block (for genesis: the genesis state root).
    public var stateRoot: Hash

    public init(
        chainID: ChainID, height: Height, round: Round, parentHash: Hash, proposer: MemberID, timestampMillis: Int64,
        transactionRoot: Hash, stateRoot: Hash
    ) {
        self.chainID = chainID
        self.height = height
        self.round = round
        self.parentHash = parentHash
        self.proposer = proposer
        self.timestampMillis = timestampMillis
        self.transactionRoot = transactionRoot
        self.stateRoot = stateRoot
    }

    /// The header of height 0: no parent, no transactions, the genesis state root.
    public static func genesis(chainID: ChainID, stateRoot: Hash, timestampMillis: Int64, hasher: any ChainHasher)
        -> BlockHeader
    {
        BlockHeader(
            chainID: chainID, height: Height(0), round: Round(0), parentHash: .zero,
            proposer: (try? MemberID(genesisProposer)) ?? Self.unreachableMember(),
            timestampMillis: timestampMillis, transactionRoot: MerkleTree.root(leafHashes: [], hasher: hasher),
            stateRoot: stateRoot)
    }

    private static func unreachableMember() -> MemberID {
        preconditionFailure("the genesis proposer id is well formed")
    }

    /// H("creditchain/block/v1", canonical header).
    public func hash(using hasher: any ChainHasher) -> Hash {
        hasher.hash(Self.hashDomain, canonicalBytes)
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(chainID)
        e.value(height)
        e.value(round)
        e.hash(parentHash)
        e.value(proposer)
        e.i64(timestampMillis)
        e.hash(transactionRoot)
        e.hash(stateRoot)
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("header.version", supported: 1...1)
        chainID = try d.value()
        height = try d.value()
        round = try d.value()
        parentHash = try d.hash("header.parent_hash")
        proposer = try d.value()
        timestampMillis = try d.i64("header.timestamp")
        transactionRoot = try d.hash("header.transaction_root")
        stateRoot = try d.hash("header.state_root")
    }
}
