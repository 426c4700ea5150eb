import API
import Foundation
import Node
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Real `creditchain node` processes on loopback, killed and restarted by PID. Serialized: they
/// share the machine's two cores, and timing-sensitive failures would only be noise in parallel.
@Suite(.serialized)
struct MultiProcessTests {
    /// Kill-all rounds: 20 in CI (`CREDITCHAIN_KILL_ROUNDS` overrides).
    static var killRounds: Int {
        Int(ProcessInfo.processInfo.environment["CREDITCHAIN_KILL_ROUNDS"] ?? "") ?? 20
    }

    func token(_ h: ClusterHarness, node name: String) throws -> String {
        let config = try NodeConfig.load(path: h.node(name).config)
        var rng = SystemRandomNumberGenerator()
        return try TokenStore(directory: config.dataDir).create(
            staff: "test", scopes: [.operator], createdAt: Date(), using: &rng
        ).token
    }

    /// One operator token per node, returned once every node accepts its token (nodes reload
    /// their token files each second).
    func acceptedTokens(_ h: ClusterHarness) async throws -> [String: String] {
        var tokens: [String: String] = [:]
        for n in h.manifest.nodes { tokens[n.name] = try token(h, node: n.name) }
        let accepted = await h.eventually(timeout: .seconds(10)) {
            for n in h.manifest.nodes {
                guard let t = tokens[n.name], await h.get(n.api + "/v1/blocks/1", token: t)?.0 == 200 else {
                    return false
                }
            }
            return true
        }
        #expect(accepted, "the nodes did not accept their new tokens")
        return tokens
    }

    @Test func fourValidatorsCommitSurviveAKillAndTheRestartedOneCatchesUp() async throws {
        let h = try await ClusterHarness(validators: 4)
        defer { h.killAll() }
        let first = try await h.load(seconds: 3)
        #expect(ClusterHarness.committedCount(first) > 0, "no commits: \(first)")

        // kill -9 one validator during load: the other three keep committing.
        let background = try h.startLoad(seconds: 4, ackLog: h.dir + "-acks-1")
        try await Task.sleep(for: .seconds(1))
        let before = await h.height("validator-1")
        h.kill9("validator-3")
        try await Task.sleep(for: .seconds(3))
        _ = await LocalProcess.stop(background, graceSeconds: 5)
        let after = await h.height("validator-1")
        #expect(after > before, "validator-1 stuck at \(before) with validator-3 down")
        // At speed, not one height per round timeout: the survivors see validator-3's links gone
        // and time its rounds out at once (a full timeout each cost ~1–2 heights a second here).
        #expect(after >= before + 30, "validator-1 only went from \(before) to \(after) in 3 s")

        // Restart it: it catches up to the same chain (same block hash at the same height, so the
        // same state root, which the next header carries).
        try h.restart("validator-3")
        let target = await h.height("validator-1")
        let caught = await h.eventually(timeout: .seconds(60)) { await h.height("validator-3") >= target }
        #expect(caught, "validator-3 did not catch up to \(target): \(h.logTail("validator-3"))")
        let t1 = try token(h, node: "validator-1")
        let t3 = try token(h, node: "validator-3")
        let a = await h.get(h.node("validator-1").api + "/v1/blocks/\(target)", token: t1)
        let b = await h.get(h.node("validator-3").api + "/v1/blocks/\(target)", token: t3)
        #expect(a?.0 == 200 && b?.0 == 200)
        let hashA = a.flatMap { Self.jsonField("hash", $0.1) }
        let hashB = b.flatMap { Self.jsonField("hash", $0.1) }
        #expect(hashA != nil && hashA == hashB, "block \(target) differs between validator-1 and validator-3")
        await h.shutdown()
    }

    @Test func killingEveryNodeDuringLoadLosesNoAcknowledgedTransaction() async throws {
        let h = try await ClusterHarness(validators: 4)
        defer { h.killAll() }
        let acks = h.dir + "-acks"
        for round in 0..<Self.killRounds {
            let load = try h.startLoad(seconds: 30, clients: 32, ackLog: acks)
            try await Task.sleep(for: .milliseconds(1500 + 97 * (round % 7)))
            h.killAll()
            LocalProcess.signal(load, SIGKILL)
            for v in h.validators { try h.restart(v.name) }
            let up = await h.eventually(timeout: .seconds(60)) {
                for v in h.validators where await h.status(v.name) == nil { return false }
                return true
            }
            #expect(up, "round \(round): nodes did not come back")
        }
        // After the last restart the cluster commits again (nothing above checks that it resumed).
        let after = try await h.load(seconds: 3, clients: 8)
        #expect(ClusterHarness.committedCount(after) > 0, "nothing committed after the last kill-all round: \(after)")
        let hashes = ((try? String(contentsOfFile: acks, encoding: .utf8)) ?? "").split(separator: "\n").map(
            String.init)
        #expect(!hashes.isEmpty, "the load acknowledged nothing")
        // Accepted first: a node reads its token file once a second, and a token used before that
        // counted its first transactions as missing.
        let t = try #require(try await acceptedTokens(h)["validator-1"])
        var missing: [String] = []
        for hash in hashes {
            let r = await h.get(h.node("validator-1").api + "/v1/transactions/\(hash)", token: t)
            let body = r.map { String(decoding: $0.1, as: UTF8.self) } ?? ""
            if !(r?.0 == 200 && body.contains("\"committed\"")) { missing.append(hash) }
        }
        #expect(
            missing.isEmpty,
            "\(missing.count) of \(hashes.count) acknowledged transactions missing after \(Self.killRounds) kill-all rounds"
        )
        print(
            "kill-all: \(Self.killRounds) rounds, \(hashes.count) acknowledged transactions, \(missing.count) missing")
        await h.shutdown()
    }

    @Test func aCorruptedBlockStoreTailIsTruncatedAndTheNodeCatchesUp() async throws {
        let h = try await ClusterHarness(validators: 4)
        defer { h.killAll() }
        _ = try await h.load(seconds: 2)
        h.kill9("validator-2")
        let config = try NodeConfig.load(path: h.node("validator-2").config)
        let blocksDir = config.dataDir + "/blocks"
        let segments = try FileManager.default.contentsOfDirectory(atPath: blocksDir).sorted()
        let last = try #require(segments.last)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: blocksDir + "/" + last))
        handle.seekToEndOfFile()
        handle.write(Data("CCBE this is not a block entry, a torn write".utf8))
        try handle.close()
        try h.restart("validator-2")
        let target = await h.height("validator-1")
        let caught = await h.eventually(timeout: .seconds(60)) { await h.height("validator-2") >= target }
        #expect(caught, "\(h.logTail("validator-2"))")
        #expect(h.logTail("validator-2", bytes: 100_000).contains("truncated"))
        await h.shutdown()
    }

    @Test func garbageAndAnotherCAOnThePeerPortAreRefusedAndTheNodeKeepsCommitting() async throws {
        let h = try await ClusterHarness(validators: 4)
        defer { h.killAll() }
        let peer = try NodeAddress(parsing: h.node("validator-1").peer)
        // Plain TCP garbage (no TLS), and an oversize length prefix.
        for payload in [
            [UInt8](repeating: 0x41, count: 4096), [0xFF, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 64),
        ] {
            try sendRaw(payload, host: peer.host, port: peer.port)
        }
        // A peer whose certificate comes from another consortium's CA, under a real validator's
        // member id: the TLS handshake fails and the node names the reason.
        let other = h.dir + "-other-ca"
        for args in [
            ["consortium", "init", "--dir", other, "--name", "other", "--suite", "standard"],
            ["member", "add", "--dir", other, "--name", "validator-2", "--role", "bureau", "--validator"],
        ] {
            let status = try await LocalProcess.run(executable: h.binary, arguments: args, logPath: other + ".log")
            #expect(status == 0, "\(args): see \(other).log")
        }
        let member = other + "/members/validator-2/"
        let handshake = try await LocalProcess.run(
            executable: "/usr/bin/timeout",
            arguments: [
                "20", "openssl", "s_client", "-connect", "\(peer.host):\(peer.port)", "-tls1_3", "-cert",
                member + "tls.pem", "-key", member + "tls-key.pem",
            ], logPath: other + "-s_client.log")
        // In TLS 1.3 the client may finish its side before the server checks its certificate, so
        // s_client's exit code says little; the node's log says why it refused.
        #expect(handshake != 124, "s_client hung: the node neither refused nor closed")
        let refused = await h.eventually(timeout: .seconds(20)) {
            h.logTail("validator-1", bytes: 1 << 20).contains("cert.untrusted_chain")
        }
        #expect(refused, "no cert.untrusted_chain in validator-1's log")
        let out = try await h.load(seconds: 2)
        #expect(ClusterHarness.committedCount(out) > 0, "\(out)")
        #expect(LocalProcess.isAlive(h.node("validator-1").pid))
        await h.shutdown()
    }

    @Test func partitions() async throws {
        let h = try await ClusterHarness(validators: 4)
        defer { h.killAll() }
        _ = try await h.load(seconds: 1)

        // 1 of 4 cut off: the other three keep committing.
        try h.partition(["validator-4"], ["validator-1", "validator-2", "validator-3"])
        try await Task.sleep(for: .seconds(1))
        let before = await h.height("validator-1")
        let out = try await h.load(seconds: 3)
        #expect(ClusterHarness.committedCount(out) > 0, "\(out)")
        #expect(await h.height("validator-1") > before)
        try h.heal()
        let rejoined = await h.eventually(timeout: .seconds(30)) {
            await h.height("validator-4") >= h.height("validator-1")
        }
        #expect(rejoined, "\(h.logTail("validator-4"))")

        // 2 | 2: no quorum anywhere, commits stop; after healing they resume.
        try h.partition(["validator-1", "validator-2"], ["validator-3", "validator-4"])
        try await Task.sleep(for: .seconds(2))
        let stalled = await h.height("validator-1")
        let split = try await h.load(seconds: 3, clients: 4)
        #expect(ClusterHarness.committedCount(split) == 0, "\(split)")
        #expect(await h.height("validator-1") <= stalled + 1)
        try h.heal()
        let resumed = try await h.load(seconds: 8, clients: 8)
        #expect(ClusterHarness.committedCount(resumed) > 0, "\(resumed)")
        await h.shutdown()
    }

    static func jsonField(_ name: String, _ body: [UInt8]) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?[name] as? String
    }

    static func jsonNumber(_ name: String, _ body: [UInt8]) -> UInt64? {
        ((try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?[name] as? NSNumber)?.uint64Value
    }

    func sendRaw(_ bytes: [UInt8], host: String, port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NodeError(code: "test.socket", reason: "socket failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw NodeError(code: "test.connect", reason: "connect failed") }
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        usleep(200_000)
    }
}
