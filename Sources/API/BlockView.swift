/// `GET /v1/blocks/{height}`: a committed block's header, its commit certificate and the hashes
/// of its transactions — enough, with the genesis validator set, to verify it offline.
public struct BlockView: Codable, Hashable, Sendable {
    public var height: UInt64
    /// Header hash, hex.
    public var hash: String
    public var header: BlockHeaderView
    public var commitCertificate: CommitCertificateView
    /// Transaction hashes in block order, hex.
    public var transactions: [String]

    public init(
        height: UInt64, hash: String, header: BlockHeaderView, commitCertificate: CommitCertificateView,
        transactions: [String]
    ) {
        self.height = height
        self.hash = hash
        self.header = header
        self.commitCertificate = commitCertificate
        self.transactions = transactions
    }

    enum CodingKeys: String, CodingKey {
        case height, hash, header
        case commitCertificate = "commit_certificate"
        case transactions
    }
}

/// A block header's fields (architecture.md, "Ledger and state") plus its canonical bytes, so a
/// verifier can hash exactly what the validators signed without re-deriving the layout.
public struct BlockHeaderView: Codable, Hashable, Sendable {
    public var chainID: String
    public var height: UInt64
    public var round: UInt64
    public var parentHash: String
    public var proposer: String
    public var timestampMillis: Int64
    public var transactionRoot: String
    /// State root after the parent block's execution.
    public var stateRoot: String
    /// Canonical header bytes (docs/encoding.md), hex.
    public var canonical: String

    public init(
        chainID: String, height: UInt64, round: UInt64, parentHash: String, proposer: String,
        timestampMillis: Int64, transactionRoot: String, stateRoot: String, canonical: String
    ) {
        self.chainID = chainID
        self.height = height
        self.round = round
        self.parentHash = parentHash
        self.proposer = proposer
        self.timestampMillis = timestampMillis
        self.transactionRoot = transactionRoot
        self.stateRoot = stateRoot
        self.canonical = canonical
    }

    enum CodingKeys: String, CodingKey {
        case chainID = "chain_id"
        case height, round
        case parentHash = "parent_hash"
        case proposer
        case timestampMillis = "timestamp_ms"
        case transactionRoot = "transaction_root"
        case stateRoot = "state_root"
        case canonical
    }
}

/// The quorum of validator signatures that committed a block (over chain id, height and the
/// header hash; docs/consensus.md), plus its canonical bytes.
public struct CommitCertificateView: Codable, Hashable, Sendable {
    public var height: UInt64
    public var round: UInt64
    /// The committed header's hash, hex.
    public var blockHash: String
    public var signatures: [CommitSignatureView]
    /// Canonical certificate bytes, hex.
    public var canonical: String

    public init(height: UInt64, round: UInt64, blockHash: String, signatures: [CommitSignatureView], canonical: String)
    {
        self.height = height
        self.round = round
        self.blockHash = blockHash
        self.signatures = signatures
        self.canonical = canonical
    }

    enum CodingKeys: String, CodingKey {
        case height, round
        case blockHash = "block_hash"
        case signatures, canonical
    }
}

/// One validator's signature in a commit certificate.
public struct CommitSignatureView: Codable, Hashable, Sendable {
    public var validator: String
    /// Signature bytes, hex.
    public var signature: String

    public init(validator: String, signature: String) {
        self.validator = validator
        self.signature = signature
    }
}
