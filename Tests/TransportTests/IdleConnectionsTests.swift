import ChainCore
import Foundation
import NIOCore
import NIOSSL
import Testing

@testable import Transport

#if canImport(Glibc)
    import Glibc
#endif

/// Idle TLS connections must not exhaust the node. The default run keeps 200 open (seconds);
/// `CREDITCHAIN_IDLE_CONNECTIONS=2000 swift test --filter IdleConnections` is the measurement
/// reported in BENCHMARKS.md.
@Suite struct IdleConnectionsTests {
    static let count = ProcessInfo.processInfo.environment["CREDITCHAIN_IDLE_CONNECTIONS"].flatMap(Int.init) ?? 200

    /// Resident set size of this process in KiB, from /proc/self/status.
    static func residentKiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }
        return nil
    }

    /// Each connection costs two descriptors here (both ends live in this process).
    static func raiseDescriptorLimit(to needed: Int) -> Bool {
        #if canImport(Glibc)
            var limit = rlimit()
            guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return false }
            if limit.rlim_cur >= rlim_t(needed) { return true }
            limit.rlim_cur = min(limit.rlim_max, rlim_t(needed))
            return setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 && limit.rlim_cur >= rlim_t(needed)
        #else
            return true
        #endif
    }

    @Test func listenerKeepsServingWithManyIdleTLSConnections() async throws {
        let count = Self.count
        #expect(Self.raiseDescriptorLimit(to: 2 * count + 512), "raise `ulimit -n` to \(2 * count + 512)")
        let consortium = try TestConsortium()
        var limits = testLimits()
        limits.maxInboundConnectionsPerMember = count + 1
        limits.idleTimeout = .seconds(120)
        limits.keepaliveInterval = .seconds(60)
        let nodeA = try consortium.node("validator-a", limits: limits)
        try await nodeA.start()
        let address = try #require(nodeA.listeningAddress)
        let idle = try consortium.pki.issue(member: "observer-idle", role: "observer")
        let context = try RawPeer.clientContext(idle)

        let before = Self.residentKiB() ?? 0
        let started = ContinuousClock.now
        var peers: [RawPeer] = []
        let batch = 50
        while peers.count < count {
            let size = min(batch, count - peers.count)
            try await withThrowingTaskGroup(of: RawPeer.self) { group in
                for _ in 0..<size {
                    group.addTask {
                        let peer = try await RawPeer.connect(to: address, context: context)
                        try await peer.handshake.get()
                        return peer
                    }
                }
                for try await peer in group { peers.append(peer) }
            }
        }
        let registered = await eventually(within: 60) { nodeA.metrics().authenticatedConnections == count }
        #expect(registered)
        let opened = ContinuousClock.now - started
        let after = Self.residentKiB() ?? 0

        // A real peer still links, and a request round trip works while all of them stay open.
        let nodeB = try consortium.node("validator-b", peers: [member("validator-a"): nodeA.endpoint], limits: limits)
        try await nodeB.start()
        let answerer = Task {
            for await message in nodeA.inbound where message.from == member("validator-b") {
                nodeA.respond(to: message, with: message.bytes)
            }
        }
        #expect(await eventually { nodeB.isLinked(to: member("validator-a")) })
        let echo = try await nodeB.request([1, 2, 3], to: member("validator-a"), timeout: .seconds(10))
        #expect(echo == [1, 2, 3])
        #expect(peers.allSatisfy { $0.channel.isActive })
        #expect(nodeA.metrics().authenticatedConnections == count + 1)

        let perConnection = count > 0 ? Double(after - before) / Double(count) : 0
        print(
            "idle-connections: \(count) open in \(opened), rss before \(before / 1024) MiB, after \(after / 1024) MiB, "
                + "\(String(format: "%.1f", perConnection)) KiB per connection (both TLS ends in this process)")

        answerer.cancel()
        for peer in peers { peer.channel.close(promise: nil) }
        await nodeB.shutdown()
        await nodeA.shutdown()
    }
}
