import ChainCrypto
import NIOCore
import NIOEmbedded
import NIOTLS
import Testing

@testable import Transport

/// The connection handler driven through an `EmbeddedChannel`: no sockets, no TLS, time advanced
/// by hand. TLS is represented by the handshake event and the verification outcome it follows.
@Suite struct PeerConnectionHandlerTests {
    let identity = MemberIdentity(member: member("bureau-b"), role: .bureau)

    private func makeChannel(
        limits: TransportLimits = TransportLimits(), verified: Bool = true
    ) throws -> (EmbeddedChannel, PeerRegistry) {
        let registry = PeerRegistry(limits: limits, logger: quietLogger)
        let connection = registry.makeConnection(link: .inbound)
        if verified { connection.verification = .accepted(identity) }
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(FrameDecoder(maxFrameLength: limits.maxFrameLength)))
        try channel.pipeline.syncOperations.addHandler(
            PeerConnectionHandler(connection: connection, registry: registry, logger: quietLogger))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7001)).wait()
        return (channel, registry)
    }

    private func completeHandshake(_ channel: EmbeddedChannel) {
        channel.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))
    }

    private func frame(_ message: WireMessage) -> ByteBuffer { message.encodedFrame(allocator: .init()) }

    @Test func registersDeliversAndDrainsTheSendQueue() async throws {
        let (channel, registry) = try makeChannel()
        completeHandshake(channel)
        #expect(registry.status().map(\.inboundConnections) == [1])

        try channel.writeInbound(frame(.message(ByteBuffer(bytes: [1, 2]))))
        var inbound = InboundMessages(base: registry.stream, registry: registry).makeAsyncIterator()
        #expect(
            await inbound.next() == InboundMessage(from: identity.member, role: .bureau, kind: .message, bytes: [1, 2]))

        let outgoing = frame(.message(ByteBuffer(bytes: [9])))
        #expect(registry.enqueue(outgoing, to: identity.member) == .queued)
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == outgoing)

        try await channel.close().get()
        #expect(registry.status().isEmpty)
    }

    @Test func oversizeFrameClosesOnlyThisChannel() throws {
        var limits = TransportLimits()
        limits.maxFrameLength = 16
        let (channel, registry) = try makeChannel(limits: limits)
        completeHandshake(channel)
        var header = ByteBuffer()
        header.writeInteger(UInt32(17))
        try channel.writeInbound(header)
        #expect(!channel.isActive)
        #expect(registry.state.withLockedValue { $0.metrics.protocolViolations } == 1)
        #expect(registry.status().isEmpty)
    }

    @Test func dataBeforeTheHandshakeClosesTheChannel() throws {
        let (channel, registry) = try makeChannel()
        try channel.writeInbound(frame(.message(ByteBuffer(bytes: [1]))))
        #expect(!channel.isActive)
        #expect(registry.status().isEmpty)
    }

    @Test func handshakeTimeoutFiresOnTheEventLoopClock() throws {
        var limits = TransportLimits()
        limits.handshakeTimeout = .seconds(3)
        let (channel, _) = try makeChannel(limits: limits)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(2999))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }

    @Test func handshakeWithoutAVerifiedIdentityIsClosed() throws {
        let (channel, registry) = try makeChannel(verified: false)
        completeHandshake(channel)
        #expect(!channel.isActive)
        #expect(registry.status().isEmpty)
    }

    @Test func keepaliveOnWriteIdleAndCloseOnReadIdle() throws {
        let (channel, registry) = try makeChannel()
        completeHandshake(channel)
        channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.write)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == frame(.keepalive))
        channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.read)
        #expect(!channel.isActive)
        #expect(registry.state.withLockedValue { $0.metrics.idleTimeouts } == 1)
    }
}
