/// `GET /v1/status`: what a node knows about itself and the chain, in plain JSON fields.
public struct NodeStatus: Codable, Hashable, Sendable {
    /// Chain id, 64 hex characters.
    public var chainID: String
    /// `standard` or `gm`.
    public var suite: String
    /// The member this node serves, and its role.
    public var member: MemberView
    /// Height of the last committed block (0 before the first block).
    public var height: UInt64
    /// The consensus round the replica is in.
    public var round: UInt64
    /// Hash of the last committed block, hex; absent at height 0.
    public var lastBlockHash: String?
    /// Proposer timestamp of the last committed block, milliseconds since the Unix epoch.
    public var lastBlockTimeMillis: Int64?
    public var peers: [PeerView]
    /// The validator set in force at the next height, sorted by member id.
    public var validators: [ValidatorView]
    public var sync: SyncView
    /// Transactions waiting in the mempool.
    public var mempoolSize: Int
    /// The node software version.
    public var version: String

    public init(
        chainID: String, suite: String, member: MemberView, height: UInt64, round: UInt64,
        lastBlockHash: String? = nil, lastBlockTimeMillis: Int64? = nil, peers: [PeerView],
        validators: [ValidatorView], sync: SyncView, mempoolSize: Int, version: String
    ) {
        self.chainID = chainID
        self.suite = suite
        self.member = member
        self.height = height
        self.round = round
        self.lastBlockHash = lastBlockHash
        self.lastBlockTimeMillis = lastBlockTimeMillis
        self.peers = peers
        self.validators = validators
        self.sync = sync
        self.mempoolSize = mempoolSize
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case chainID = "chain_id"
        case suite, member, height, round
        case lastBlockHash = "last_block_hash"
        case lastBlockTimeMillis = "last_block_time_ms"
        case peers, validators, sync
        case mempoolSize = "mempool_size"
        case version
    }
}

/// A consortium member as the API shows it: id and role (`validator`, `observer`, `bank`, …).
public struct MemberView: Codable, Hashable, Sendable {
    public var id: String
    public var role: String

    public init(id: String, role: String) {
        self.id = id
        self.role = role
    }
}

/// One peer link of the node.
public struct PeerView: Codable, Hashable, Sendable {
    public var member: String
    public var role: String
    public var connected: Bool
    /// `host:port` of the link, when known.
    public var address: String?

    public init(member: String, role: String, connected: Bool, address: String? = nil) {
        self.member = member
        self.role = role
        self.connected = connected
        self.address = address
    }
}

/// A validator in force: member id and consensus public key (hex).
public struct ValidatorView: Codable, Hashable, Sendable {
    public var member: String
    public var publicKey: String

    public init(member: String, publicKey: String) {
        self.member = member
        self.publicKey = publicKey
    }

    enum CodingKeys: String, CodingKey {
        case member
        case publicKey = "public_key"
    }
}

/// Whether the node follows the chain tip or is still catching up.
public struct SyncView: Codable, Hashable, Sendable {
    /// The three states a node reports.
    public enum State: String, Codable, Hashable, Sendable {
        /// At the tip seen from peers; participates (validators) or serves reads (observers).
        case synced
        /// Fetching and verifying blocks from peers before participating.
        case catchingUp = "catching_up"
        /// No peer reachable to learn the tip from.
        case isolated
    }

    public var state: State
    /// The highest height a peer reported, when catching up.
    public var targetHeight: UInt64?

    public init(state: State, targetHeight: UInt64? = nil) {
        self.state = state
        self.targetHeight = targetHeight
    }

    enum CodingKeys: String, CodingKey {
        case state
        case targetHeight = "target_height"
    }
}
