import ChainCore

/// One message received from an authenticated peer, as the node reads it from
/// `PeerNetwork.inbound`. The payload is copied out of the connection's buffers so holding a
/// message never pins a large read buffer.
public struct InboundMessage: Sendable, Equatable {
    /// Plain message or a request the node should answer with `PeerNetwork.respond(to:with:)`.
    public enum Kind: Sendable, Equatable {
        case message
        case request(id: UInt64)
    }

    public let from: MemberID
    public let role: PeerRole
    public let kind: Kind
    public let bytes: [UInt8]

    public init(from: MemberID, role: PeerRole, kind: Kind, bytes: [UInt8]) {
        self.from = from
        self.role = role
        self.kind = kind
        self.bytes = bytes
    }
}

/// What happened to a frame handed to `send`/`broadcast`/`respond`.
public enum SendOutcome: Sendable, Equatable {
    /// Queued for the peer (delivered when its link is writable, after a reconnect if need be).
    case queued
    /// Queued, and this many older frames were dropped to keep the queue within its bounds.
    case queuedDroppingOldest(Int)
    /// The member is neither configured nor connected: nowhere to queue.
    case notConnected
    /// The frame is larger than `maxFrameLength`: not sent.
    case tooLarge
    /// The network is shutting down.
    case shutDown
}

/// Counters since start, for the node's `/metrics` and for tests. A snapshot value.
public struct TransportMetrics: Sendable, Equatable {
    public var connectionsAccepted = 0
    public var connectionsRefusedAtLimit = 0
    public var handshakesFailed = 0
    public var peersRefused = 0
    public var authenticatedConnections = 0
    public var framesReceived = 0
    public var bytesReceived = 0
    public var framesSent = 0
    public var bytesSent = 0
    /// Frames dropped from send queues (oldest first) because a peer did not keep up.
    public var sendQueueDrops = 0
    /// Messages dropped because the node did not read `inbound` fast enough.
    public var inboundDrops = 0
    /// Times a connection stopped reading to honour its member's rate limit.
    public var rateLimitPauses = 0
    /// Connections closed for a protocol violation (oversize frame, malformed frame).
    public var protocolViolations = 0
    public var idleTimeouts = 0

    public init() {}
}

/// The state of one peer, for `/v1/status`.
public struct PeerStatus: Sendable, Equatable {
    public var member: MemberID
    public var role: PeerRole?
    public var endpoint: PeerEndpoint?
    public var outboundConnected: Bool
    public var inboundConnections: Int
    public var queuedMessages: Int
    public var queuedBytes: Int
    public var droppedMessages: Int
}
