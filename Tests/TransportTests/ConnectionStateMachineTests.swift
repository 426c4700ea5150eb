import ChainCrypto
import NIOCore
import Testing

@testable import Transport

@Suite struct ConnectionStateMachineTests {
    let peer = MemberIdentity(member: member("validator-b"), role: .bureau)

    @Test func registersThenDeliversThenUnregistersOnce() {
        var machine = ConnectionStateMachine()
        #expect(machine.handshakeCompleted(identity: peer) == .register(peer))
        let body = ByteBuffer(bytes: [1, 0xAB])
        #expect(machine.frameReceived(body) == .deliver(peer, .message(ByteBuffer(bytes: [0xAB])), frameBytes: 6))
        #expect(machine.frameReceived(ByteBuffer(bytes: [4])) == .none)
        #expect(machine.writeIdle() == .sendKeepalive)
        #expect(machine.channelInactive() == .unregister(peer))
        #expect(machine.channelInactive() == .none)
    }

    @Test func violationAfterRegistrationStillUnregisters() {
        var machine = ConnectionStateMachine()
        _ = machine.handshakeCompleted(identity: peer)
        guard case .close(let error, violation: true) = machine.frameReceived(ByteBuffer(bytes: [77])) else {
            Issue.record("a malformed frame closes the connection")
            return
        }
        #expect(error.code == "frame.malformed")
        #expect(machine.frameReceived(ByteBuffer(bytes: [1])) == .none)
        #expect(machine.channelInactive() == .unregister(peer))
    }

    @Test func dataBeforeAuthenticationIsAViolation() {
        var machine = ConnectionStateMachine()
        guard case .close(_, violation: true) = machine.frameReceived(ByteBuffer(bytes: [1])) else {
            Issue.record("expected close")
            return
        }
        #expect(machine.channelInactive() == .none)
    }

    @Test func handshakeTimeoutOnlyWhileHandshaking() {
        var machine = ConnectionStateMachine()
        _ = machine.handshakeCompleted(identity: peer)
        #expect(machine.handshakeTimedOut(after: .seconds(1)) == .none)
        var slow = ConnectionStateMachine()
        guard case .close(let error, violation: false) = slow.handshakeTimedOut(after: .seconds(1)) else {
            Issue.record("expected close")
            return
        }
        #expect(error.code == "peer.handshake_timeout")
        #expect(slow.handshakeCompleted(identity: peer) == .none)
    }

    @Test func handshakeWithoutIdentityCloses() {
        var machine = ConnectionStateMachine()
        guard case .close(let error, _) = machine.handshakeCompleted(identity: nil) else {
            Issue.record("expected close")
            return
        }
        #expect(error.code == "peer.unverified")
    }

    @Test func readIdleCloses() {
        var machine = ConnectionStateMachine()
        _ = machine.handshakeCompleted(identity: peer)
        guard case .close(let error, violation: false) = machine.readIdle(after: .seconds(30)) else {
            Issue.record("expected close")
            return
        }
        #expect(error.code == "peer.idle")
        #expect(machine.channelInactive() == .unregister(peer))
    }
}
