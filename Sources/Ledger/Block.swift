import ChainCore

/// A block: its header and the transactions in execution order.
///
/// The body is bound to the header by `header.transactionRoot`; `validateBody` recomputes it, so a
/// relayed block cannot have its transactions swapped under a signed header.
public struct Block: Hashable, Sendable, CanonicalCodable {
    /// Hard limit of the encoding; consensus configures a (smaller) batch size.
    public static let transactionsMax = 65_536
    /// Smallest possible encoded envelope (bounds the count before allocating).
    static let envelopeMinSize = 1 + 1 + 5 + TransactionEnvelope.uniqueIDLength + 8 + 2 + 4 + 4

    public var header: BlockHeader
    public var transactions: [TransactionEnvelope]

    public init(header: BlockHeader, transactions: [TransactionEnvelope]) {
        self.header = header
        self.transactions = transactions
    }

    /// Builds a block whose header's transaction root matches `transactions`.
    public init(
        chainID: ChainID, height: Height, round: Round, parentHash: Hash, proposer: MemberID, timestampMillis: Int64,
        stateRoot: Hash, transactions: [TransactionEnvelope], hasher: any ChainHasher
    ) {
        let root = Block.transactionRoot(transactions, hasher: hasher)
        self.header = BlockHeader(
            chainID: chainID, height: height, round: round, parentHash: parentHash, proposer: proposer,
            timestampMillis: timestampMillis, transactionRoot: root, stateRoot: stateRoot)
        self.transactions = transactions
    }

    /// RFC 6962 root over the canonical bytes of each transaction.
    public static func transactionRoot(_ transactions: [TransactionEnvelope], hasher: any ChainHasher) -> Hash {
        MerkleTree.root(leaves: transactions.map(\.canonicalBytes), hasher: hasher)
    }

    /// The header hash.
    public func hash(using hasher: any ChainHasher) -> Hash { header.hash(using: hasher) }

    /// Throws `block.bad_transaction_root` unless the body matches the header.
    public func validateBody(hasher: any ChainHasher) throws {
        guard Block.transactionRoot(transactions, hasher: hasher) == header.transactionRoot else {
            throw LedgerError(
                code: "block.bad_transaction_root", reason: "the transactions do not match the header's root")
        }
    }

    /// The inclusion proof of transaction `index` in this block's transaction root.
    public func inclusionProof(index: Int, hasher: any ChainHasher) -> MerkleProof {
        let leaves = transactions.map { MerkleTree.leafHash($0.canonicalBytes, hasher: hasher) }
        return MerkleTree.proof(index: index, leafHashes: leaves, hasher: hasher)
    }

    /// The inclusion proof of every transaction, in block order (one pass over the tree).
    public func inclusionProofs(hasher: any ChainHasher) -> [MerkleProof] {
        let leaves = transactions.map { MerkleTree.leafHash($0.canonicalBytes, hasher: hasher) }
        return MerkleTree.proofs(leafHashes: leaves, hasher: hasher)
    }

    /// Encoded size in bytes (what batching limits count).
    public var encodedSize: Int { canonicalBytes.count }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(header)
        e.array(transactions, max: Block.transactionsMax)
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("block.version", supported: 1...1)
        header = try d.value()
        transactions = try d.array(
            "block.transactions", max: Block.transactionsMax, minElementSize: Block.envelopeMinSize)
    }
}
