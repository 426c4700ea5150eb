import ChainCore
import NIOCore

/// Where a configured peer listens.
public struct PeerEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}

/// Every bound the transport enforces. Defaults suit a consortium of tens of nodes exchanging
/// blocks of a few MiB; each is named by what it bounds.
public struct TransportLimits: Sendable, Equatable {
    /// Largest frame body accepted or sent, checked before allocation.
    public var maxFrameLength = FrameDecoder.defaultMaxFrameLength
    /// Per-peer send queue bounds (oldest frames dropped beyond them).
    public var sendQueueMessages = 4096
    public var sendQueueBytes = 64 * 1024 * 1024
    /// Unread inbound messages and bytes; beyond either, connections stop reading until the node
    /// catches up (TCP pushes back on the senders).
    public var inboundBufferMessages = 8192
    public var inboundBufferBytes = 64 * 1024 * 1024
    /// Per-member inbound rate limits, shared by all of that member's connections.
    public var inboundMessagesPerSecond: Double = 5000
    public var inboundMessageBurst: Double = 10000
    public var inboundBytesPerSecond: Double = 64 * 1024 * 1024
    public var inboundByteBurst: Double = 32 * 1024 * 1024
    /// A connection that has received nothing (not even a keepalive) for this long is closed.
    public var idleTimeout: TimeAmount = .seconds(30)
    /// Keepalive sent after this long without writing; well under the peer's idle timeout.
    public var keepaliveInterval: TimeAmount = .seconds(10)
    /// TCP accepted but no authenticated TLS session after this long: closed.
    public var handshakeTimeout: TimeAmount = .seconds(10)
    /// How long a closing connection waits for the peer's TLS close_notify.
    public var tlsShutdownTimeout: TimeAmount = .seconds(1)
    /// Connect attempt timeout for outbound links.
    public var connectTimeout: TimeAmount = .seconds(5)
    /// All inbound connections at once, authenticated or not; beyond it new ones are closed at accept.
    public var maxConnections = 4096
    /// Inbound connections of one member; a new one beyond it closes that member's oldest (a
    /// restarted peer's new link replaces its half-dead old one).
    public var maxInboundConnectionsPerMember = 4
    /// Outstanding `request` calls; beyond it `request` fails at once with `request.too_many`.
    public var maxPendingRequests = 1024
    /// Reconnect backoff for configured peers.
    public var reconnectInitialDelay: TimeAmount = .milliseconds(100)
    public var reconnectMaxDelay: TimeAmount = .seconds(10)
    /// NIO write-buffer watermarks: above `high` a connection stops taking frames from its queue.
    public var writeBufferLowWatermark = 256 * 1024
    public var writeBufferHighWatermark = 1024 * 1024

    public init() {}
}

/// Everything a `PeerNetwork` needs besides the authorizer: who we are, where we listen, whom we
/// dial, who may dial us, and the bounds.
public struct PeerNetworkConfiguration: Sendable {
    /// This node's member id (never dialled, and a connection claiming it is refused).
    public var localMember: MemberID
    public var tls: TLSIdentity
    /// Address to listen on (`nil`: dial only, e.g. an observer behind NAT). Port 0 = ephemeral.
    public var listenHost: String?
    public var listenPort: Int
    /// Peers to keep a connection to; usually the other validators.
    public var peers: [MemberID: PeerEndpoint]
    public var policy: LinkPolicy
    public var limits: TransportLimits

    public init(
        localMember: MemberID, tls: TLSIdentity, listenHost: String? = "127.0.0.1", listenPort: Int = 0,
        peers: [MemberID: PeerEndpoint] = [:], policy: LinkPolicy, limits: TransportLimits = TransportLimits()
    ) {
        self.localMember = localMember
        self.tls = tls
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.peers = peers
        self.policy = policy
        self.limits = limits
    }
}
