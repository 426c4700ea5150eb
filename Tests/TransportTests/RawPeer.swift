import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Transport

/// A hand-driven client for hostile-input tests: it completes mutual TLS with whatever
/// certificate the test gives it (trusting any server), then writes raw bytes.
struct RawPeer {
    let channel: any Channel
    /// Succeeds when this side's TLS handshake completed; fails if it did not.
    let handshake: EventLoopFuture<Void>

    static func clientContext(_ credential: TestCredential) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateVerification = .none
        configuration.certificateChain = [.certificate(credential.nioCertificate)]
        configuration.privateKey = .privateKey(credential.nioKey)
        configuration.shutdownTimeout = .milliseconds(100)
        return try NIOSSLContext(configuration: configuration)
    }

    /// Connects with TLS (`context`) or plain TCP (`nil`). With `pauseReading` the client stops
    /// reading right after the handshake: a slow reader.
    static func connect(
        to address: SocketAddress, context: NIOSSLContext?, pauseReading: Bool = false,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> RawPeer {
        let promise = group.next().makePromise(of: Void.self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: context, serverHostname: nil))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        HandshakeWatcher(promise: promise, tls: context != nil, pauseReading: pauseReading))
                }
            }
            .connect(to: address).get()
        return RawPeer(channel: channel, handshake: promise.futureResult)
    }

    func write(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Writes one well-formed message frame.
    func writeMessage(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(WireMessage.message(ByteBuffer(bytes: bytes)).encodedFrame(allocator: .init()))
    }

    /// True once the server closed the connection (within `seconds`).
    func closed(within seconds: Double = 30) async -> Bool {
        await eventually(within: seconds) { !channel.isActive }
    }
}

private final class HandshakeWatcher: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let promise: EventLoopPromise<Void>
    let tls: Bool
    let pauseReading: Bool

    init(promise: EventLoopPromise<Void>, tls: Bool, pauseReading: Bool) {
        self.promise = promise
        self.tls = tls
        self.pauseReading = pauseReading
    }

    func channelActive(context: ChannelHandlerContext) {
        if !tls { promise.succeed() }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            if pauseReading { try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false) }
            promise.succeed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }
}
