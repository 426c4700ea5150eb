import ChainCore
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing

@testable import Transport

#if canImport(Glibc)
    import Glibc
#endif

/// Idle TLS connections must not exhaust the node. The default run keeps 200 open (seconds);
/// `CREDITCHAIN_IDLE_CONNECTIONS=2000 swift test --filter IdleConnections` is the measurement
/// reported in BENCHMARKS.md.
@Suite(.serialized) struct IdleConnectionsTests {
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
        // Event loops of its own: hundreds of handshakes must not queue behind (or ahead of) the
        // other network tests that share the process-wide loops.
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { loops.shutdownGracefully { _ in } }
        let nodeA = try consortium.node("validator-a", limits: limits, group: loops)
        try await nodeA.start()
        let address = try #require(nodeA.listeningAddress)
        let idle = try consortium.pki.issue(member: "observer-idle", role: "mediator")
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
                        let peer = try await RawPeer.connect(to: address, context: context, group: loops)
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
        let nodeB = try consortium.node(
            "validator-b", peers: [member("validator-a"): nodeA.endpoint], limits: limits, group: loops)
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

    /// The idle clients, in Python's ssl module: TLS 1.3 with the member certificate, then silence.
    static let clientScript = """
        import resource, socket, ssl, sys
        host, port, cert, key, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 256), hard))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_cert_chain(cert, key)
        held = [ctx.wrap_socket(socket.create_connection((host, port))) for _ in range(count)]
        print("ready", len(held), flush=True)
        sys.stdin.read()
        """

    /// The measurement for BENCHMARKS.md: the idle clients live in another process, so this
    /// process's RSS growth is the listener's alone. Runs when CREDITCHAIN_IDLE_CONNECTIONS is set.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CREDITCHAIN_IDLE_CONNECTIONS"] != nil))
    func listenerMemoryWithIdleClientsInAnotherProcess() async throws {
        let count = Self.count
        #expect(Self.raiseDescriptorLimit(to: count + 512), "raise `ulimit -n` to \(count + 512)")
        let consortium = try TestConsortium()
        var limits = testLimits()
        limits.maxInboundConnectionsPerMember = count + 1
        limits.idleTimeout = .seconds(300)
        limits.keepaliveInterval = .seconds(60)
        limits.handshakeTimeout = .seconds(60)
        let nodeA = try consortium.node("validator-a", limits: limits)
        try await nodeA.start()
        let idle = try consortium.pki.issue(member: "observer-idle", role: "mediator")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("creditchain-idle-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("clients.py")
        let cert = directory.appendingPathComponent("cert.pem")
        let key = directory.appendingPathComponent("key.pem")
        try Self.clientScript.write(to: script, atomically: true, encoding: .utf8)
        try idle.certificatePEM.write(to: cert, atomically: true, encoding: .utf8)
        try idle.keyPEM.write(to: key, atomically: true, encoding: .utf8)

        let before = Self.residentKiB() ?? 0
        let process = Process()
        process.executableURL = URL(
            fileURLWithPath: ProcessInfo.processInfo.environment["CREDITCHAIN_PYTHON"] ?? "/usr/bin/python3")
        process.arguments = [script.path, "127.0.0.1", "\(nodeA.endpoint.port)", cert.path, key.path, "\(count)"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        let started = ContinuousClock.now
        try process.run()
        let registered = await eventually(within: 120) { nodeA.metrics().authenticatedConnections == count }
        #expect(registered)
        let opened = ContinuousClock.now - started
        let after = Self.residentKiB() ?? 0

        let nodeB = try consortium.node("validator-b", peers: [member("validator-a"): nodeA.endpoint], limits: limits)
        try await nodeB.start()
        let answerer = Task {
            for await message in nodeA.inbound where message.from == member("validator-b") {
                nodeA.respond(to: message, with: message.bytes)
            }
        }
        #expect(await eventually { nodeB.isLinked(to: member("validator-a")) })
        let roundTripStart = ContinuousClock.now
        let echo = try await nodeB.request([1, 2, 3], to: member("validator-a"), timeout: .seconds(10))
        let roundTrip = ContinuousClock.now - roundTripStart
        #expect(echo == [1, 2, 3])
        #expect(nodeA.metrics().authenticatedConnections == count + 1)
        print(
            "idle-connections (listener only): \(count) open in \(opened), rss before \(before / 1024) MiB, "
                + "after \(after / 1024) MiB, \(String(format: "%.1f", Double(after - before) / Double(max(count, 1)))) "
                + "KiB per connection; real peer request round trip \(roundTrip)")

        try input.fileHandleForWriting.close()
        answerer.cancel()
        await nodeB.shutdown()
        await nodeA.shutdown()
        process.waitUntilExit()
    }
}
