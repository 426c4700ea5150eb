import Ledger

/// A transaction as `GET /v1/transactions/{hash}` and `POST …?wait=commit` show it.
public struct TransactionView: Codable, Hashable, Sendable {
    /// Where the transaction is in its life.
    public enum Status: String, Codable, Hashable, Sendable {
        /// Admitted to the mempool, not yet committed.
        case pending
        /// In a committed block (`height`, `index`, `result` are set).
        case committed
        /// Never seen by this node, or dropped from the mempool uncommitted.
        case unknown
    }

    /// Transaction hash, 64 hex characters.
    public var hash: String
    public var status: Status
    /// Height of the committing block.
    public var height: UInt64?
    /// Position in that block.
    public var index: UInt32?
    public var result: ResultView?
    /// RFC 6962 inclusion proof in the block's transaction root, when committed.
    public var proof: InclusionProofView?

    public init(
        hash: String, status: Status, height: UInt64? = nil, index: UInt32? = nil, result: ResultView? = nil,
        proof: InclusionProofView? = nil
    ) {
        self.hash = hash
        self.status = status
        self.height = height
        self.index = index
        self.result = result
        self.proof = proof
    }
}

/// A transaction's outcome: `ok` or a stable rejection code with a short detail.
public struct ResultView: Codable, Hashable, Sendable {
    public var code: String
    public var detail: String

    public init(code: String, detail: String = "") {
        self.code = code
        self.detail = detail
    }

    public init(_ result: TransactionResult) {
        self.init(code: result.code, detail: result.detail)
    }
}

/// An RFC 6962 audit path: `leaf_index` of `tree_size` leaves, sibling hashes from the leaf
/// upwards (hex), and the root they lead to (the block header's transaction root).
public struct InclusionProofView: Codable, Hashable, Sendable {
    public var leafIndex: UInt64
    public var treeSize: UInt64
    public var path: [String]
    public var root: String

    public init(leafIndex: UInt64, treeSize: UInt64, path: [String], root: String) {
        self.leafIndex = leafIndex
        self.treeSize = treeSize
        self.path = path
        self.root = root
    }

    enum CodingKeys: String, CodingKey {
        case leafIndex = "leaf_index"
        case treeSize = "tree_size"
        case path, root
    }
}
