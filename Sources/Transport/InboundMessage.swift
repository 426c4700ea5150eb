import ChainCore
import ChainCrypto

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
    public let role: MemberRole
    public let kind: Kind
    public let bytes: [UInt8]

    public init(from: MemberID, role: MemberRole, kind: Kind, bytes: [UInt8]) {
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
    /// Messages dropped from `inbound` past its hard cap (twice `inboundBufferMessages`); normally
    /// zero because connections pause first.
    public var inboundDrops = 0
    /// Times a connection stopped reading to honour its member's rate limit.
    public var rateLimitPauses = 0
    /// Times a connection stopped reading because the node had too much unread inbound.
    public var inboundBackpressurePauses = 0
    /// Gauges: messages and bytes delivered to `inbound` and not yet taken by the node.
    public var unreadInboundMessages = 0
    public var unreadInboundBytes = 0
    /// Connections closed for a protocol violation (oversize frame, malformed frame).
    public var protocolViolations = 0
    public var idleTimeouts = 0

    public init() {}
}

/// The state of one peer, for `/v1/status`.
public struct PeerStatus: Sendable, Equatable {
    public var member: MemberID
    public var role: MemberRole?
    public var endpoint: PeerEndpoint?
    public var outboundConnected: Bool
    public var inboundConnections: Int
    public var queuedMessages: Int
    public var queuedBytes: Int
    public var droppedMessages: Int
}

/// The messages from authenticated peers, in arrival order, for one consumer (the node's receive
/// task). Taking a message frees its room in the inbound budget, which resumes paused connections.
public struct InboundMessages: AsyncSequence, Sendable {
    public typealias Element = InboundMessage

    let base: AsyncStream<InboundMessage>
    let registry: PeerRegistry

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<InboundMessage>.AsyncIterator
        let registry: PeerRegistry

        public mutating func next() async -> InboundMessage? {
            guard let message = await base.next() else { return nil }
            registry.consumed(message)
            return message
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), registry: registry)
    }
}
