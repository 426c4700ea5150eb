import ChainCrypto
import NIOCore

/// The life of one connection, as a value that returns what to do; `PeerConnectionHandler` only
/// performs the actions. Handshaking → active (authenticated identity) → closed.
struct ConnectionStateMachine {
    enum State: Equatable {
        case handshaking
        case active(MemberIdentity)
        case closed
    }

    enum Action: Equatable {
        case none
        /// TLS finished and the identity passed the checks: register the link.
        case register(MemberIdentity)
        /// Hand a frame to the network (after rate limiting by its size).
        case deliver(MemberIdentity, WireMessage, frameBytes: Int)
        case sendKeepalive
        /// Close the connection, logging why; `violation` counts it as hostile input.
        case close(TransportError, violation: Bool)
        /// The connection ended; remove it from the registry.
        case unregister(MemberIdentity)
    }

    private(set) var state: State = .handshaking
    /// Set once registered, cleared when unregistered: a connection closed for a violation after
    /// authentication must still leave the registry exactly once.
    private var registered: MemberIdentity?

    var identity: MemberIdentity? {
        if case .active(let identity) = state { return identity }
        return nil
    }

    /// `identity` is what the verification callback accepted (nil would be a NIOSSL bug: a
    /// handshake cannot complete without the callback succeeding).
    mutating func handshakeCompleted(identity: MemberIdentity?) -> Action {
        guard case .handshaking = state else { return .none }
        guard let identity else {
            state = .closed
            return .close(
                TransportError(code: "peer.unverified", reason: "handshake completed without a verified identity"),
                violation: false)
        }
        state = .active(identity)
        registered = identity
        return .register(identity)
    }

    mutating func frameReceived(_ body: ByteBuffer) -> Action {
        switch state {
        case .handshaking:
            state = .closed
            return .close(.malformed("data before authentication"), violation: true)
        case .closed:
            return .none
        case .active(let identity):
            do {
                let message = try WireMessage(frameBody: body)
                if case .keepalive = message { return .none }
                return .deliver(identity, message, frameBytes: body.readableBytes + FrameDecoder.headerLength)
            } catch {
                state = .closed
                return .close(error as? TransportError ?? .malformed("\(error)"), violation: true)
            }
        }
    }

    mutating func writeIdle() -> Action {
        guard case .active = state else { return .none }
        return .sendKeepalive
    }

    mutating func readIdle(after timeout: TimeAmount) -> Action {
        guard state != .closed else { return .none }
        state = .closed
        return .close(
            TransportError(code: "peer.idle", reason: "nothing received for \(timeout.nanoseconds / 1_000_000) ms"),
            violation: false)
    }

    mutating func handshakeTimedOut(after timeout: TimeAmount) -> Action {
        guard case .handshaking = state else { return .none }
        state = .closed
        return .close(
            TransportError(
                code: "peer.handshake_timeout",
                reason: "no authenticated TLS session after \(timeout.nanoseconds / 1_000_000) ms"),
            violation: false)
    }

    /// A pipeline error: a `TransportError` from the frame decoder is a violation by the peer.
    mutating func errorCaught(_ error: TransportError, violation: Bool) -> Action {
        guard state != .closed else { return .none }
        state = .closed
        return .close(error, violation: violation)
    }

    mutating func channelInactive() -> Action {
        state = .closed
        guard let identity = registered else { return .none }
        registered = nil
        return .unregister(identity)
    }
}
