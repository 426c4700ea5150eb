import ChainCrypto
import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// The last handler of a peer connection's pipeline (after TLS, the idle-state handler and the
/// frame decoder). It feeds events to a `ConnectionStateMachine` and performs the actions it
/// returns: register, deliver, keepalive, close with one clear log line.
final class PeerConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine = ConnectionStateMachine()
    private let connection: ConnectionContext
    private let registry: PeerRegistry
    private var logger: Logger
    private var handshakeTimer: Scheduled<Void>?
    private var readPaused = false
    /// Frames decoded while the node's inbound budget was exhausted, delivered first on resume.
    private var held = CircularBuffer<(MemberIdentity, WireMessage)>()

    init(connection: ConnectionContext, registry: PeerRegistry, logger: Logger) {
        self.connection = connection
        self.registry = registry
        self.logger = logger
        self.logger[metadataKey: "link"] = "\(connection.link)"
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if let remote = context.channel.remoteAddress { logger[metadataKey: "remote"] = "\(remote)" }
        let timeout = registry.limits.handshakeTimeout
        handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            self.perform(self.machine.handshakeTimedOut(after: timeout), context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        perform(machine.frameReceived(unwrapInboundIn(data)), context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            perform(machine.handshakeCompleted(identity: connection.acceptedIdentity), context: context)
        } else if let idle = event as? IdleStateHandler.IdleStateEvent {
            switch idle {
            case .read: perform(machine.readIdle(after: registry.limits.idleTimeout), context: context)
            case .write: perform(machine.writeIdle(), context: context)
            case .all: break
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let action: ConnectionStateMachine.Action
        switch error {
        case let error as TransportError:
            action = machine.errorCaught(error, violation: true)
        case is ByteToMessageDecoderError.PayloadTooLargeError:
            action = machine.errorCaught(.malformed("decoder buffer limit exceeded"), violation: true)
        case let error as NIOSSLError where machine.state == .handshaking:
            // The verification callback's refusal reason, when there is one, says more than
            // NIOSSL's "handshake failed".
            if case .refused(let reason) = connection.verification {
                registry.count { $0.peersRefused += 1 }
                action = machine.errorCaught(reason, violation: false)
            } else {
                registry.count { $0.handshakesFailed += 1 }
                action = machine.errorCaught(
                    TransportError(code: "tls.handshake_failed", reason: "\(error)"), violation: false)
            }
        case let error as BoringSSLError where machine.state == .handshaking:
            registry.count { $0.handshakesFailed += 1 }
            action = machine.errorCaught(
                TransportError(code: "tls.handshake_failed", reason: "\(error)"), violation: false)
        default:
            action = machine.errorCaught(TransportError(code: "connection.error", reason: "\(error)"), violation: false)
        }
        perform(action, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        perform(machine.channelInactive(), context: context)
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let identity = machine.identity {
            registry.writable(member: identity.member, connectionID: connection.id, channel: context.channel)
        }
        context.fireChannelWritabilityChanged()
    }

    private func perform(_ action: ConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .register(let identity):
            handshakeTimer?.cancel()
            logger[metadataKey: "member"] = "\(identity.member)"
            if registry.register(connection, identity: identity, channel: context.channel) {
                logger.info("peer link up", metadata: ["role": "\(identity.role)"])
            } else {
                logger.debug("peer link not needed (shutting down or peer no longer configured)")
                context.close(promise: nil)
            }
        case .deliver(let identity, let message, let frameBytes):
            if let pause = registry.charge(member: identity.member, frameBytes: frameBytes) {
                pauseReading(for: pause, context: context)
            }
            if case .response = message {
                registry.deliver(message, from: identity)
            } else if !held.isEmpty || registry.inboundOverBudget {
                // Frames the decoder already had when the budget ran out wait here, in order,
                // instead of overfilling the stream; reading stays paused until they are delivered.
                held.append((identity, message))
                if !readPaused { registry.count { $0.inboundBackpressurePauses += 1 } }
                pauseReading(for: Self.backpressurePoll, context: context)
            } else {
                registry.deliver(message, from: identity)
            }
        case .sendKeepalive:
            context.writeAndFlush(
                wrapOutboundOut(WireMessage.keepalive.encodedFrame(allocator: context.channel.allocator)), promise: nil)
        case .close(let reason, let violation):
            handshakeTimer?.cancel()
            if violation {
                registry.count { $0.protocolViolations += 1 }
                logger.warning("closing peer connection: \(reason)")
            } else if reason.code == "peer.idle" {
                registry.count { $0.idleTimeouts += 1 }
                logger.info("closing peer connection: \(reason)")
            } else if reason.code == "connection.error" {
                logger.debug("closing peer connection: \(reason)")
            } else {
                logger.warning("closing peer connection: \(reason)")
            }
            context.close(promise: nil)
        case .unregister(let identity):
            registry.unregister(connection, identity: identity)
            logger.info("peer link down")
        }
    }

    /// How often a connection paused for inbound backpressure looks whether the node caught up.
    static let backpressurePoll = TimeAmount.milliseconds(5)

    /// Stops reading for `pause` (rate-limit debt) and then for as long as the node's inbound
    /// budget is exceeded: TCP pushes back on the sender instead of anything being dropped.
    private func pauseReading(for pause: TimeAmount, context: ChannelHandlerContext) {
        guard !readPaused, let options = context.channel.syncOptions else { return }
        readPaused = true
        try? options.setOption(ChannelOptions.autoRead, value: false)
        scheduleResume(after: pause, context: context)
    }

    private func scheduleResume(after delay: TimeAmount, context: ChannelHandlerContext) {
        context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            guard context.channel.isActive else { return }
            while !self.held.isEmpty, !self.registry.inboundOverBudget {
                let (identity, message) = self.held.removeFirst()
                self.registry.deliver(message, from: identity)
            }
            if !self.held.isEmpty || self.registry.inboundOverBudget {
                self.scheduleResume(after: Self.backpressurePoll, context: context)
                return
            }
            self.readPaused = false
            guard let options = context.channel.syncOptions else { return }
            try? options.setOption(ChannelOptions.autoRead, value: true)
            context.read()
        }
    }
}
