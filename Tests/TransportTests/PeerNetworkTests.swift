import ChainCore
import ChainCrypto
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing

@testable import Transport

/// Real sockets on 127.0.0.1, ephemeral ports, real mutual TLS.
@Suite struct PeerNetworkTests {
    let a = member("validator-a")
    let b = member("validator-b")

    /// Two validators configured with each other, both started and linked both ways.
    private func linkedPair(
        _ consortium: TestConsortium, limits: TransportLimits = testLimits()
    ) async throws -> (PeerNetwork, PeerNetwork) {
        let nodeB = try consortium.node("validator-b", limits: limits)
        try await nodeB.start()
        let nodeA = try consortium.node("validator-a", peers: [b: nodeB.endpoint], limits: limits)
        try await nodeA.start()
        nodeB.setPeers([a: nodeA.endpoint])
        let linked = await eventually { nodeA.isLinked(to: b) && nodeB.isLinked(to: a) }
        #expect(linked)
        return (nodeA, nodeB)
    }

    @Test func twoPeersExchangeFramesOverMutualTLS() async throws {
        let consortium = try TestConsortium()
        let (nodeA, nodeB) = try await linkedPair(consortium)
        #expect(nodeA.send([1, 2, 3], to: b) == .queued)
        let atB = await next(nodeB.inbound)
        #expect(atB == InboundMessage(from: a, role: .bureau, kind: .message, bytes: [1, 2, 3]))
        #expect(nodeB.broadcast(Array(repeating: 9, count: 100_000))[a] == .queued)
        let atA = await next(nodeA.inbound)
        #expect(atA?.from == b)
        #expect(atA?.bytes == Array(repeating: 9, count: 100_000))
        #expect(nodeA.metrics().framesReceived == 1)
        await nodeA.shutdown()
        await nodeB.shutdown()
    }

    @Test func requestAndResponseOverTheSameLinks() async throws {
        let consortium = try TestConsortium()
        let (nodeA, nodeB) = try await linkedPair(consortium)
        let server = Task {
            for await message in nodeB.inbound {
                guard case .request = message.kind else { continue }
                nodeB.respond(to: message, with: message.bytes.reversed())
            }
        }
        let answer = try await nodeA.request([1, 2, 3], to: b, timeout: .seconds(5))
        #expect(answer == [3, 2, 1])
        let error = await #expect(throws: TransportError.self) {
            _ = try await nodeA.request([1], to: member("nobody"), timeout: .seconds(5))
        }
        #expect(error?.code == "request.not_connected")
        await nodeA.shutdown()
        await nodeB.shutdown()
        server.cancel()
    }

    @Test func requestTimesOutWhenNobodyAnswers() async throws {
        let consortium = try TestConsortium()
        let (nodeA, nodeB) = try await linkedPair(consortium)
        let error = await #expect(throws: TransportError.self) {
            _ = try await nodeA.request([1], to: b, timeout: .milliseconds(100))
        }
        #expect(error?.code == "request.timeout")
        await nodeA.shutdown()
        await nodeB.shutdown()
    }

    @Test func certificateFromAnotherCAIsRefused() async throws {
        let consortium = try TestConsortium()
        let logs = LogCapture()
        let nodeA = try consortium.node("validator-a", logger: logs.logger)
        try await nodeA.start()
        let address = try #require(nodeA.listeningAddress)
        let stranger = try TestPKI().issue(member: "validator-x", role: "bureau")
        let peer = try await RawPeer.connect(to: address, context: RawPeer.clientContext(stranger))
        #expect(await peer.closed())
        #expect(await eventually { nodeA.metrics().peersRefused == 1 })
        #expect(logs.contains("cert.untrusted_chain"))
        #expect(nodeA.peerStatus().isEmpty)
        await nodeA.shutdown()
    }

    @Test func wrongRoleIsRefusedInbound() async throws {
        let consortium = try TestConsortium()
        let logs = LogCapture()
        let nodeA = try consortium.node("validator-a", logger: logs.logger)
        try await nodeA.start()
        let bank = try consortium.pki.issue(member: "bank-1", role: "bank")
        let peer = try await RawPeer.connect(
            to: try #require(nodeA.listeningAddress), context: RawPeer.clientContext(bank))
        #expect(await peer.closed())
        #expect(await eventually { logs.contains("cert.wrong_role") })
        #expect(nodeA.peerStatus().isEmpty)
        await nodeA.shutdown()
    }

    @Test func wrongMemberOnAnOutboundLinkIsRefused() async throws {
        let consortium = try TestConsortium()
        let logs = LogCapture()
        let nodeB = try consortium.node("validator-b")
        try await nodeB.start()
        // A expects validator-c at B's address: B's certificate names validator-b.
        let c = member("validator-c")
        let nodeA = try consortium.node("validator-a", peers: [c: nodeB.endpoint], logger: logs.logger)
        try await nodeA.start()
        #expect(await eventually { logs.contains("cert.wrong_member") })
        #expect(!nodeA.isLinked(to: c))
        #expect(!nodeA.isLinked(to: b))
        #expect(nodeA.send([1], to: c) == .queued)  // kept for when the right member answers
        await nodeA.shutdown()
        await nodeB.shutdown()
    }

    @Test func expiredCertificateIsRefused() async throws {
        let consortium = try TestConsortium()
        let logs = LogCapture()
        let nodeA = try consortium.node("validator-a", logger: logs.logger)
        try await nodeA.start()
        let expired = try consortium.pki.issue(
            member: "validator-b", role: "bureau", notValidBefore: Date() - 7200, notValidAfter: Date() - 60)
        let peer = try await RawPeer.connect(
            to: try #require(nodeA.listeningAddress), context: RawPeer.clientContext(expired))
        #expect(await peer.closed())
        #expect(await eventually { logs.contains("cert.expired") })
        await nodeA.shutdown()
    }

    @Test func revokedMemberIsDisconnectedAndRefused() async throws {
        let consortium = try TestConsortium()
        let logs = LogCapture()
        let nodeB = try consortium.node("validator-b", logger: logs.logger)
        try await nodeB.start()
        let nodeA = try consortium.node("validator-a", peers: [b: nodeB.endpoint])
        try await nodeA.start()
        #expect(await eventually { nodeB.isLinked(to: a, outbound: false) })
        consortium.authorizer.revoke(member: a)
        nodeB.closeConnections(of: a)
        #expect(await eventually { !nodeB.isLinked(to: a, outbound: false) })
        // A keeps redialling; every new handshake is refused now.
        #expect(await eventually { logs.contains("cert.revoked") })
        #expect(!nodeB.isLinked(to: a, outbound: false))
        await nodeA.shutdown()
        await nodeB.shutdown()
    }

    @Test func oversizeFrameClosesThatConnectionAndTheListenerKeepsServing() async throws {
        let consortium = try TestConsortium()
        let logs = LogCapture()
        var limits = testLimits()
        limits.maxFrameLength = 64 * 1024
        let nodeA = try consortium.node("validator-a", limits: limits, logger: logs.logger)
        try await nodeA.start()
        let address = try #require(nodeA.listeningAddress)
        let observer = try consortium.pki.issue(member: "observer-1", role: "mediator")
        let peer = try await RawPeer.connect(to: address, context: RawPeer.clientContext(observer))
        try await peer.handshake.get()
        #expect(await eventually { nodeA.isLinked(to: member("observer-1"), outbound: false) })
        try await peer.writeMessage([1, 2, 3])
        #expect(await next(nodeA.inbound)?.bytes == [1, 2, 3])
        try await peer.write([0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3])
        #expect(await peer.closed())
        #expect(logs.contains("frame.too_large: frame of 4294967295 bytes exceeds the limit of 65536 bytes"))
        #expect(nodeA.metrics().protocolViolations == 1)
        // A real peer is still served.
        let nodeB = try consortium.node("validator-b", peers: [a: nodeA.endpoint], limits: limits)
        try await nodeB.start()
        #expect(await eventually { nodeB.isLinked(to: a) })
        nodeB.send([42], to: a)
        #expect(await next(nodeA.inbound)?.bytes == [42])
        await nodeA.shutdown()
        await nodeB.shutdown()
    }

    @Test func garbageBytesOnThePortAreDroppedAndTheListenerKeepsServing() async throws {
        let consortium = try TestConsortium()
        let logs = LogCapture()
        let nodeA = try consortium.node("validator-a", logger: logs.logger)
        try await nodeA.start()
        let address = try #require(nodeA.listeningAddress)
        for garbage: [UInt8] in [Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), (0..<4096).map { UInt8($0 % 251) }] {
            let peer = try await RawPeer.connect(to: address, context: nil)
            try await peer.write(garbage)
            #expect(await peer.closed())
        }
        #expect(await eventually { nodeA.metrics().handshakesFailed == 2 })
        #expect(logs.contains("tls.handshake_failed"))
        let nodeB = try consortium.node("validator-b", peers: [a: nodeA.endpoint])
        try await nodeB.start()
        #expect(await eventually { nodeB.isLinked(to: a) })
        nodeB.send([7], to: a)
        #expect(await next(nodeA.inbound)?.bytes == [7])
        await nodeA.shutdown()
        await nodeB.shutdown()
    }

    @Test func handshakeThatNeverCompletesTimesOut() async throws {
        let consortium = try TestConsortium()
        var limits = testLimits()
        limits.handshakeTimeout = .milliseconds(200)
        let logs = LogCapture()
        let nodeA = try consortium.node("validator-a", limits: limits, logger: logs.logger)
        try await nodeA.start()
        let peer = try await RawPeer.connect(to: try #require(nodeA.listeningAddress), context: nil)
        // 200 ms against the 60 s of the other tests: a close well before that is the timeout's.
        // The wait is generous because CPU-bound suites can starve the test's task for seconds.
        #expect(await peer.closed(within: 30))
        #expect(logs.contains("peer.handshake_timeout"))
        await nodeA.shutdown()
    }

    @Test func shutdownClosesConnectionsStillInTheirHandshake() async throws {
        let consortium = try TestConsortium()
        let nodeA = try consortium.node("validator-a")
        try await nodeA.start()
        // Plain TCP that never says hello: the handshake would wait its full timeout (60 s here).
        let silent = try await RawPeer.connect(to: try #require(nodeA.listeningAddress), context: nil)
        #expect(await eventually { nodeA.metrics().connectionsAccepted == 1 })
        await nodeA.shutdown()
        // Well under the 60 s handshake timeout, so a close in time is the shutdown's. The wait is
        // generous because CPU-bound suites can starve the test's task for seconds (a 10 s wait
        // failed in CI beside the multi-process suite).
        #expect(await silent.closed(within: 30))
    }

    @Test func reconnectsAfterThePeerRestarts() async throws {
        let consortium = try TestConsortium()
        // B listens on a port just below the kernel's ephemeral range (32768–60999 by default) and
        // above the multi-process tests' ports (20000–31941): while B is down, neither an outgoing
        // connection (source port) nor a node process of a parallel test can take it.
        var started: PeerNetwork?
        for _ in 0..<50 where started == nil {
            let candidate = try consortium.node("validator-b", port: Int.random(in: 32_000..<32_700))
            do {
                try await candidate.start()
                started = candidate
            } catch {
                await candidate.shutdown()
            }
        }
        let nodeB = try #require(started)
        let endpoint = nodeB.endpoint
        let nodeA = try consortium.node("validator-a", peers: [b: endpoint])
        try await nodeA.start()
        #expect(await eventually { nodeA.isLinked(to: b) })
        #expect(!nodeA.hasLostLink(b))
        #expect(!nodeA.hasLostAnyLink())
        await nodeB.shutdown()
        #expect(await eventually { !nodeA.isLinked(to: b) })
        // What a replica reads to time out a dead leader's round early.
        #expect(nodeA.hasLostLink(b))
        #expect(nodeA.hasLostAnyLink())
        // Queued while B is down, delivered after it is back on the same port.
        #expect(nodeA.send([5, 5], to: b) == .queued)
        // The old listener's socket may take a moment to release the port (once, on a loaded CI
        // machine, for more than 5 s with nothing listed on it): retry the bind for up to 30 s.
        var restartedNode: PeerNetwork?
        var lastError = ""
        for _ in 0..<300 where restartedNode == nil {
            let candidate = try consortium.node("validator-b", port: endpoint.port)
            do {
                try await candidate.start()
                restartedNode = candidate
            } catch {
                lastError = "\(error)"
                await candidate.shutdown()
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let restarted = try #require(
            restartedNode, "cannot listen on \(endpoint.port) again: \(lastError); \(socketsOnPort(endpoint.port))")
        #expect(await eventually { nodeA.isLinked(to: b) })
        #expect(!nodeA.hasLostLink(b))
        #expect(!nodeA.hasLostAnyLink())
        #expect(await next(restarted.inbound)?.bytes == [5, 5])
        await nodeA.shutdown()
        await restarted.shutdown()
    }

    @Test func aPeerNeverReachedHasNoLostLink() async throws {
        let consortium = try TestConsortium()
        // Nothing listens there: A keeps dialling, but never had a link to lose.
        let nodeA = try consortium.node("validator-a", peers: [b: PeerEndpoint(host: "127.0.0.1", port: 1)])
        try await nodeA.start()
        try await Task.sleep(for: .milliseconds(300))
        #expect(!nodeA.isLinked(to: b))
        #expect(!nodeA.hasLostLink(b))
        #expect(!nodeA.hasLostAnyLink())
        await nodeA.shutdown()
    }

    @Test func sendQueueBoundHoldsUnderASlowReader() async throws {
        let consortium = try TestConsortium()
        var limits = testLimits()
        limits.sendQueueMessages = 64
        limits.sendQueueBytes = 64 * 1024 * 1024
        let nodeA = try consortium.node("validator-a", limits: limits)
        try await nodeA.start()
        let observer = try consortium.pki.issue(member: "observer-1", role: "mediator")
        let slow = try await RawPeer.connect(
            to: try #require(nodeA.listeningAddress), context: RawPeer.clientContext(observer), pauseReading: true)
        try await slow.handshake.get()
        let o = member("observer-1")
        #expect(await eventually { nodeA.isLinked(to: o, outbound: false) })
        let payload = [UInt8](repeating: 0x5A, count: 64 * 1024)
        var dropped = 0
        for _ in 0..<600 {
            if case .queuedDroppingOldest(let n) = nodeA.send(payload, to: o) { dropped += n }
            let status = try #require(nodeA.peerStatus().first { $0.member == o })
            #expect(status.queuedMessages <= 64)
        }
        // 600 × 64 KiB = 37.5 MiB cannot all sit in socket buffers: the queue dropped the oldest.
        #expect(dropped > 0)
        #expect(nodeA.metrics().sendQueueDrops == dropped)
        let status = try #require(nodeA.peerStatus().first { $0.member == o })
        #expect(status.queuedMessages <= 64)
        #expect(status.queuedBytes <= 64 * (64 * 1024 + 5))
        try await slow.channel.close()
        await nodeA.shutdown()
    }

    @Test func inboundRateLimitPausesReadingWithoutLosingMessages() async throws {
        let consortium = try TestConsortium()
        var limits = testLimits()
        limits.inboundMessagesPerSecond = 200
        limits.inboundMessageBurst = 10
        let (nodeA, nodeB) = try await linkedPair(consortium, limits: limits)
        for i in 0..<40 { nodeB.send([UInt8(i)], to: a) }
        var received: [UInt8] = []
        for _ in 0..<40 {
            guard let message = await next(nodeA.inbound) else { break }
            received.append(contentsOf: message.bytes)
        }
        #expect(received == (0..<40).map { UInt8($0) })
        #expect(nodeA.metrics().rateLimitPauses > 0)
        await nodeA.shutdown()
        await nodeB.shutdown()
    }

    @Test func slowConsumerPausesReadingInsteadOfDropping() async throws {
        let consortium = try TestConsortium()
        var limits = testLimits()
        limits.inboundBufferMessages = 8
        limits.inboundBufferBytes = 64 * 1024
        let (nodeA, nodeB) = try await linkedPair(consortium, limits: limits)
        let total = 300
        for i in 0..<total { nodeB.send([UInt8](repeating: UInt8(i % 256), count: 1024), to: a) }
        // Nobody reads A's inbound yet: A must stop reading rather than overfill the stream or drop.
        #expect(await eventually { nodeA.metrics().inboundBackpressurePauses > 0 })
        try await Task.sleep(for: .milliseconds(50))
        // One frame may pass the budget check on each event loop at once.
        #expect(nodeA.metrics().unreadInboundMessages <= 8 + System.coreCount)
        var received = 0
        for await message in nodeA.inbound {
            #expect(message.bytes.first == UInt8(received % 256))
            received += 1
            if received == total { break }
        }
        #expect(received == total)
        #expect(nodeA.metrics().inboundDrops == 0)
        #expect(nodeA.metrics().unreadInboundMessages == 0)
        await nodeA.shutdown()
        await nodeB.shutdown()
    }

    @Test func setPeersFollowsAValidatorSetChange() async throws {
        let consortium = try TestConsortium()
        let nodeB = try consortium.node("validator-b")
        try await nodeB.start()
        let nodeC = try consortium.node("validator-c")
        try await nodeC.start()
        let c = member("validator-c")
        let nodeA = try consortium.node("validator-a", peers: [b: nodeB.endpoint])
        try await nodeA.start()
        #expect(await eventually { nodeA.isLinked(to: b) })
        // Governance adds C and removes B at a decided height.
        nodeA.setPeers([c: nodeC.endpoint])
        #expect(await eventually { nodeA.isLinked(to: c) && !nodeA.isLinked(to: b) })
        #expect(await eventually { !nodeB.isLinked(to: a, outbound: false) })
        #expect(Set(nodeA.broadcast([3]).keys) == [c])
        #expect(await next(nodeC.inbound)?.bytes == [3])
        #expect(nodeA.send([4], to: b) == .notConnected)
        await nodeA.shutdown()
        await nodeB.shutdown()
        await nodeC.shutdown()
    }

    @Test func idleConnectionIsClosedAndKeepalivesKeepALinkUp() async throws {
        let consortium = try TestConsortium()
        var limits = testLimits()
        limits.idleTimeout = .milliseconds(1500)
        limits.keepaliveInterval = .milliseconds(100)
        let (nodeA, nodeB) = try await linkedPair(consortium, limits: limits)
        let observer = try consortium.pki.issue(member: "observer-1", role: "mediator")
        let silent = try await RawPeer.connect(
            to: try #require(nodeA.listeningAddress), context: RawPeer.clientContext(observer))
        try await silent.handshake.get()
        #expect(await silent.closed(within: 10))
        #expect(nodeA.metrics().idleTimeouts >= 1)
        // The validators' links, idle but kept alive, are still up after several timeouts.
        try await Task.sleep(for: .milliseconds(3500))
        #expect(nodeA.isLinked(to: b) && nodeB.isLinked(to: a))
        await nodeA.shutdown()
        await nodeB.shutdown()
    }

    @Test func connectionLimitRefusesBeyondTheBound() async throws {
        let consortium = try TestConsortium()
        var limits = testLimits()
        limits.maxConnections = 2
        let nodeA = try consortium.node("validator-a", limits: limits)
        try await nodeA.start()
        let address = try #require(nodeA.listeningAddress)
        var peers: [RawPeer] = []
        for _ in 0..<3 { peers.append(try await RawPeer.connect(to: address, context: nil)) }
        // Accepted children are initialised on several event loops, so which of the three is
        // refused is not fixed: exactly one is, and the other two stay open.
        #expect(await eventually { peers.filter { !$0.channel.isActive }.count == 1 })
        #expect(nodeA.metrics().connectionsRefusedAtLimit == 1)
        #expect(peers.filter { $0.channel.isActive }.count == 2)
        for peer in peers { try? await peer.channel.close() }
        await nodeA.shutdown()
    }

    @Test func perMemberInboundBoundEvictsTheOldest() async throws {
        let consortium = try TestConsortium()
        var limits = testLimits()
        limits.maxInboundConnectionsPerMember = 2
        let nodeA = try consortium.node("validator-a", limits: limits)
        try await nodeA.start()
        let address = try #require(nodeA.listeningAddress)
        let observer = try consortium.pki.issue(member: "observer-1", role: "mediator")
        let context = try RawPeer.clientContext(observer)
        var peers: [RawPeer] = []
        for count in 1...3 {
            let peer = try await RawPeer.connect(to: address, context: context)
            try await peer.handshake.get()
            peers.append(peer)
            #expect(await eventually { nodeA.metrics().authenticatedConnections == min(count, 2) })
        }
        #expect(await peers[0].closed())
        #expect(peers[1].channel.isActive && peers[2].channel.isActive)
        for peer in peers { try? await peer.channel.close() }
        await nodeA.shutdown()
    }
}

/// The kernel's TCP sockets on a local port (`/proc/net/tcp`: state codes 01 established,
/// 06 time-wait, 08 close-wait, 0A listen…), to explain a failed bind.
func socketsOnPort(_ port: Int) -> String {
    let hex = String(format: "%04X", port)
    var rows: [String] = []
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
        rows += text.split(separator: "\n").dropFirst().compactMap { line -> String? in
            let f = line.split(separator: " ")
            guard f.count > 9, f[1].hasSuffix(":" + hex) else { return nil }
            return "local \(f[1]) remote \(f[2]) state \(f[3]) inode \(f[9]) owner \(socketOwner(inode: String(f[9])))"
        }
    }
    // A socket that is bound but neither listening nor connected is in no table.
    return rows.isEmpty ? "no listening or connected socket on the port" : rows.joined(separator: "; ")
}

/// Which process holds a socket inode: this test process, another pid, or unknown.
func socketOwner(inode: String) -> String {
    let target = "socket:[\(inode)]"
    let me = ProcessInfo.processInfo.processIdentifier
    for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(pid) != nil {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        for fd in fds
        where (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) == target {
            let cmd =
                (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?
                .replacingOccurrences(of: "\u{0}", with: " ").prefix(120) ?? ""
            return Int32(pid) == me ? "this test process (fd \(fd))" : "pid \(pid) \(cmd)"
        }
    }
    return "unknown"
}
