import ChainCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import X509

/// The node's peer-to-peer network over mutual TLS: it listens for members, keeps a link to every
/// configured peer (reconnecting with jittered exponential backoff), sends frames through bounded
/// per-peer queues and delivers what authenticated peers send on one bounded `AsyncStream`.
///
/// Every connection is TLS 1.3 with a client certificate. The peer's identity is the member id and
/// role in its certificate's SAN URIs, verified by the `PeerAuthorizer` from NIOSSL's custom
/// verification callback and checked against the link: the member expected on an outbound link, an
/// allowed role on an inbound one. See docs/transport.md for the wire format and the bounds.
public final class PeerNetwork: Sendable {
    public let configuration: PeerNetworkConfiguration
    /// Messages and requests from authenticated peers, in arrival order; iterate from one task.
    /// Bounded by `inboundBufferMessages`/`inboundBufferBytes`: when the node falls behind,
    /// connections stop reading until it catches up, so nothing is dropped and memory stays bounded.
    public var inbound: InboundMessages { InboundMessages(base: registry.stream, registry: registry) }

    private let authorizer: any PeerAuthorizer
    private let group: any EventLoopGroup
    private let logger: Logger
    private let registry: PeerRegistry
    private let serverContext: NIOSSLContext
    private let clientContext: NIOSSLContext
    private let serverChannel = NIOLockedValueBoxChannel()

    /// - Parameters:
    ///   - authorizer: verifies peer certificates (chain to the consortium CA, validity, revocation)
    ///     and names the member; `ConsortiumPeerAuthorizer` over ChainCrypto's verifier.
    ///   - group: the event loops; the process-wide singleton by default.
    public init(
        configuration: PeerNetworkConfiguration, authorizer: any PeerAuthorizer,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "creditchain.transport")
    ) throws {
        let limits = configuration.limits
        precondition(limits.sendQueueBytes >= limits.maxFrameLength + 13, "a send queue must hold one largest frame")
        precondition(limits.keepaliveInterval < limits.idleTimeout, "keepalives must come before the idle timeout")
        self.configuration = configuration
        self.authorizer = authorizer
        self.group = group
        var logger = logger
        logger[metadataKey: "node"] = "\(configuration.localMember)"
        self.logger = logger
        self.registry = PeerRegistry(limits: limits, logger: logger)
        (serverContext, clientContext) = try configuration.tls.makeContexts(shutdownTimeout: limits.tlsShutdownTimeout)
    }

    /// The bound listening address (with the real port when 0 was configured); nil before `start`
    /// or without a listener.
    public var listeningAddress: SocketAddress? { serverChannel.channel?.localAddress }

    /// Binds the listener (if configured) and starts dialling the configured peers.
    public func start() async throws {
        if let host = configuration.listenHost {
            let channel = try await makeServerBootstrap().bind(host: host, port: configuration.listenPort).get()
            serverChannel.channel = channel
            logger.info("listening for peers", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
        }
        setPeers(configuration.peers)
    }

    /// Replaces the set of peers to keep links to (e.g. after a governance change of the validator
    /// set). Removed peers' dialers stop and their outbound links close; new ones are dialled.
    public func setPeers(_ peers: [MemberID: PeerEndpoint]) {
        var peers = peers
        peers[configuration.localMember] = nil
        let (stop, close, start) = registry.configure(peers: peers)
        for task in stop { task.cancel() }
        for channel in close { channel.close(promise: nil) }
        for (member, endpoint) in start {
            let task = Task { await self.dialLoop(member: member, endpoint: endpoint) }
            if !registry.setDialer(task, for: member, endpoint: endpoint) { task.cancel() }
        }
    }

    /// Queues `bytes` as one message for `member`.
    @discardableResult
    public func send(_ bytes: [UInt8], to member: MemberID) -> SendOutcome {
        send(.message(ByteBuffer(bytes: bytes)), to: member)
    }

    /// Queues `bytes` for every configured peer; the frame is encoded once and shared.
    @discardableResult
    public func broadcast(_ bytes: [UInt8]) -> [MemberID: SendOutcome] {
        let message = WireMessage.message(ByteBuffer(bytes: bytes))
        guard message.bodyLength <= configuration.limits.maxFrameLength else {
            return Dictionary(uniqueKeysWithValues: registry.configuredPeers.map { ($0, .tooLarge) })
        }
        let frame = message.encodedFrame(allocator: ByteBufferAllocator())
        var outcomes: [MemberID: SendOutcome] = [:]
        for member in registry.configuredPeers { outcomes[member] = registry.enqueue(frame, to: member) }
        return outcomes
    }

    /// Answers a request received on `inbound` (its `kind` must be `.request`).
    @discardableResult
    public func respond(to request: InboundMessage, with bytes: [UInt8]) -> SendOutcome {
        guard case .request(let id) = request.kind else {
            preconditionFailure("respond(to:with:) needs a request, got a plain message")
        }
        return send(.response(id: id, payload: ByteBuffer(bytes: bytes)), to: request.from)
    }

    /// Sends a request to `member` and waits for its response (e.g. "blocks from height h").
    /// Throws `request.timeout`, `request.not_connected`, `request.too_many` or
    /// `request.cancelled`. Responses travel the same queues, so under overload a request may
    /// time out: the caller retries, possibly with another peer.
    public func request(_ bytes: [UInt8], to member: MemberID, timeout: TimeAmount) async throws -> [UInt8] {
        let idBox = NIOLockedValueBox<UInt64?>(nil)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard let id = registry.addPending(member: member, continuation: continuation) else {
                    continuation.resume(
                        throwing: TransportError(code: "request.too_many", reason: "too many outstanding requests"))
                    return
                }
                idBox.withLockedValue { $0 = id }
                let outcome = send(.request(id: id, payload: ByteBuffer(bytes: bytes)), to: member)
                switch outcome {
                case .queued, .queuedDroppingOldest:
                    let timer = group.next().scheduleTask(in: timeout) {
                        self.registry.failPending(
                            id, with: TransportError(code: "request.timeout", reason: "no response from \(member)"))
                    }
                    registry.setTimer(timer, forRequest: id)
                default:
                    registry.failPending(
                        id,
                        with: TransportError(
                            code: "request.not_connected", reason: "cannot send to \(member): \(outcome)"))
                }
            }
        } onCancel: {
            if let id = idBox.withLockedValue({ $0 }) {
                registry.failPending(id, with: TransportError(code: "request.cancelled", reason: "request cancelled"))
            }
        }
    }

    /// Closes every live connection of `member` (a member revoked by governance). New connections
    /// are refused by the authorizer once it knows the revocation; a configured peer keeps being
    /// dialled until `setPeers` drops it.
    public func closeConnections(of member: MemberID) {
        let channels = registry.channels(of: member)
        if !channels.isEmpty { logger.notice("closing connections of member", metadata: ["member": "\(member)"]) }
        for channel in channels { channel.close(promise: nil) }
    }

    /// The state of every known peer, sorted by member.
    public func peerStatus() -> [PeerStatus] { registry.status() }

    /// Whether `member` had an authenticated link (either direction) and has none now: its
    /// connections closed or reset, as when its process dies, and no reconnect succeeded since.
    public func hasLostLink(_ member: MemberID) -> Bool { registry.hasLostLink(member) }

    /// Whether any member has lost its links (`hasLostLink`): one lock, no per-member question.
    public func hasLostAnyLink() -> Bool { registry.hasLostAnyLink() }

    /// Counters since start.
    public func metrics() -> TransportMetrics {
        registry.state.withLockedValue { s in
            var metrics = s.metrics
            metrics.unreadInboundMessages = s.pendingInboundMessages
            metrics.unreadInboundBytes = s.pendingInboundBytes
            return metrics
        }
    }

    /// Stops dialling, closes the listener and every connection, fails pending requests and
    /// finishes `inbound`.
    public func shutdown() async {
        let (dialers, channels, pending) = registry.beginShutdown()
        for task in dialers { task.cancel() }
        for request in pending {
            request.timer?.cancel()
            request.continuation.resume(
                throwing: TransportError(code: "request.shut_down", reason: "network shut down"))
        }
        // All at once: each close may wait up to `tlsShutdownTimeout` for a silent peer.
        var closing = channels.map { $0.close() }
        if let server = serverChannel.channel { closing.append(server.close()) }
        for future in closing { try? await future.get() }
        for task in dialers { await task.value }
        logger.info("peer network stopped")
    }

    // MARK: Internals

    private func send(_ message: WireMessage, to member: MemberID) -> SendOutcome {
        guard message.bodyLength <= configuration.limits.maxFrameLength else { return .tooLarge }
        return registry.enqueue(message.encodedFrame(allocator: ByteBufferAllocator()), to: member)
    }

    private func makeServerBootstrap() -> ServerBootstrap {
        let limits = configuration.limits
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(
                .writeBufferWaterMark,
                value: .init(low: limits.writeBufferLowWatermark, high: limits.writeBufferHighWatermark)
            )
            .childChannelInitializer { channel in
                if let refusals = self.registry.reserveInbound(channel) {
                    if refusals == 1 || refusals % 1000 == 0 {
                        self.logger.warning(
                            "refusing connections: connection limit reached",
                            metadata: ["limit": "\(limits.maxConnections)", "refused": "\(refusals)"])
                    }
                    return channel.eventLoop.makeFailedFuture(
                        TransportError(code: "connection.limit", reason: "connection limit reached"))
                }
                channel.closeFuture.whenComplete { _ in self.registry.releaseInbound(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    try self.addPipeline(to: channel, link: .inbound)
                }
            }
    }

    private func makeClientBootstrap(member: MemberID, connection: ConnectionContext) -> ClientBootstrap {
        let limits = configuration.limits
        return ClientBootstrap(group: group)
            .connectTimeout(limits.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(
                .writeBufferWaterMark,
                value: .init(low: limits.writeBufferLowWatermark, high: limits.writeBufferHighWatermark)
            )
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.addPipeline(to: channel, link: .outbound(expected: member), connection: connection)
                }
            }
    }

    /// TLS (with the identity check as custom verification), idle detection, frame decoding, then
    /// the connection handler. Runs on the channel's event loop.
    private func addPipeline(to channel: any Channel, link: PeerLink, connection: ConnectionContext? = nil) throws {
        let connection = connection ?? registry.makeConnection(link: link)
        let limits = configuration.limits
        let verify = verificationCallback(for: connection, remote: channel.remoteAddress)
        let sync = channel.pipeline.syncOperations
        if case .inbound = link {
            try sync.addHandler(NIOSSLServerHandler(context: serverContext, customVerificationCallback: verify))
        } else {
            try sync.addHandler(
                NIOSSLClientHandler(context: clientContext, serverHostname: nil, customVerificationCallback: verify))
        }
        try sync.addHandler(IdleStateHandler(readTimeout: limits.idleTimeout, writeTimeout: limits.keepaliveInterval))
        try sync.addHandler(
            ByteToMessageHandler(
                FrameDecoder(maxFrameLength: limits.maxFrameLength),
                maximumBufferSize: limits.maxFrameLength + FrameDecoder.headerLength + 1024 * 1024))
        try sync.addHandler(PeerConnectionHandler(connection: connection, registry: registry, logger: logger))
    }

    /// NIOSSL calls this once per handshake with the peer's chain; it replaces NIOSSL's chain and
    /// hostname checks. The authorizer runs off the event loop; the result completes the promise.
    private func verificationCallback(
        for connection: ConnectionContext, remote: SocketAddress?
    ) -> NIOSSLCustomVerificationCallback {
        let authorizer = self.authorizer
        let policy = configuration.policy
        let local = configuration.localMember
        let logger = self.logger
        return { certificates, promise in
            let ders: [[UInt8]]
            do {
                ders = try certificates.map { try $0.toDERBytes() }
            } catch {
                connection.verification = .refused(
                    TransportError(code: "cert.malformed", reason: "\(error)"))
                promise.succeed(.failed)
                return
            }
            Task {
                do {
                    let chain = try ders.map { try Certificate(derEncoded: $0) }
                    let identity = try await authorizer.authenticate(peerChain: chain)
                    guard identity.member != local else {
                        throw TransportError(code: "peer.self", reason: "peer presents this node's own member id")
                    }
                    try policy.check(identity, on: connection.link)
                    connection.verification = .accepted(identity)
                    promise.succeed(.certificateVerified)
                } catch {
                    let reason =
                        error as? TransportError ?? TransportError(code: "cert.malformed", reason: "\(error)")
                    connection.verification = .refused(reason)
                    logger.warning(
                        "refusing peer: \(reason)",
                        metadata: ["remote": "\(remote.map { "\($0)" } ?? "?")", "link": "\(connection.link)"])
                    promise.succeed(.failed)
                }
            }
        }
    }

    /// Keeps one authenticated link to `member` open, reconnecting with jittered backoff until
    /// cancelled (peer removed or shutdown).
    private func dialLoop(member: MemberID, endpoint: PeerEndpoint) async {
        var backoff = ReconnectBackoff(
            initial: configuration.limits.reconnectInitialDelay, maximum: configuration.limits.reconnectMaxDelay)
        var generator = SystemRandomNumberGenerator()
        var failures = 0
        while !Task.isCancelled && registry.isConfigured(member, at: endpoint) {
            let connection = registry.makeConnection(link: .outbound(expected: member))
            do {
                let channel = try await makeClientBootstrap(member: member, connection: connection)
                    .connect(host: endpoint.host, port: endpoint.port).get()
                // A dial to a local port with no listener can be answered by itself (TCP simultaneous
                // open when the kernel picks the same ephemeral port), which would hold the peer's
                // port until the handshake times out. Drop such a link at once.
                if let local = channel.localAddress, let remote = channel.remoteAddress, local == remote {
                    logger.info("peer.self_connect: dial answered by itself", metadata: ["member": "\(member)"])
                    try? await channel.close()
                }
                await withTaskCancellationHandler {
                    try? await channel.closeFuture.get()
                } onCancel: {
                    channel.close(promise: nil)
                }
            } catch {
                failures += 1
                if failures == 1 {
                    logger.info(
                        "cannot reach peer: \(error)", metadata: ["member": "\(member)", "endpoint": "\(endpoint)"])
                }
            }
            if connection.wasAuthenticated {
                backoff.reset()
                failures = 0
            }
            if Task.isCancelled { break }
            let delay = backoff.nextDelay(using: &generator)
            try? await Task.sleep(nanoseconds: UInt64(delay.nanoseconds))
        }
    }
}

/// The listener channel, set once `start` binds it.
private final class NIOLockedValueBoxChannel: Sendable {
    private let box = NIOLockedValueBox<(any Channel)?>(nil)
    var channel: (any Channel)? {
        get { box.withLockedValue { $0 } }
        set { box.withLockedValue { $0 = newValue } }
    }
}
