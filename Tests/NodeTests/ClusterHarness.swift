import AsyncHTTPClient
import Foundation
import NIOCore
import Node
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Real node processes on loopback for the multi-process tests: started with the built
/// `creditchain` binary, stopped by PID (SIGKILL or SIGTERM) by the test itself.
final class ClusterHarness: @unchecked Sendable {
    let dir: String
    let binary: String
    let basePort: Int
    private(set) var manifest: ClusterManifest

    /// The `creditchain` executable next to the test bundle (or `CREDITCHAIN_BIN`).
    static func findBinary() throws -> String {
        if let env = ProcessInfo.processInfo.environment["CREDITCHAIN_BIN"] { return env }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("creditchain").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let cwd = FileManager.default.currentDirectoryPath
        for sub in [".build/debug", ".build/release"] {
            let candidate = cwd + "/" + sub + "/creditchain"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw NodeError(code: "test.no_binary", reason: "build the creditchain executable first (swift build)")
    }

    /// A port range unlikely to collide with other tests running at the same time, below the
    /// kernel's ephemeral range (32768–60999 by default), where any outgoing connection of a
    /// parallel test could hold a port as its source port.
    static func freeBasePort() -> Int {
        20_000 + Int.random(in: 0..<120) * 100
    }

    /// `application` is test-kv by default: these tests load the chain with key-value writes.
    init(validators: Int = 4, observers: Int = 0, application: String = "test-kv") async throws {
        binary = try Self.findBinary()
        dir = temporaryDirectory()
        basePort = Self.freeBasePort()
        let status = try await LocalProcess.run(
            executable: binary,
            arguments: [
                "cluster", "up", "--dir", dir, "--validators", "\(validators)", "--observers", "\(observers)",
                "--base-port", "\(basePort)", "--timeout", "120", "--application", application,
            ], logPath: dir + "-cluster-up.log")
        guard status == 0 else {
            // Stop the nodes that did start (cluster.json is written before the health wait), so a
            // failed start leaves no process behind.
            for n in (try? ClusterManifest.load(dir: dir))?.nodes ?? [] where n.pid > 0 {
                LocalProcess.signal(n.pid, SIGKILL)
            }
            let log = (try? String(contentsOfFile: dir + "-cluster-up.log", encoding: .utf8)) ?? ""
            throw NodeError(code: "test.cluster_up_failed", reason: "cluster up exited \(status): \(log.suffix(2000))")
        }
        manifest = try ClusterManifest.load(dir: dir)
    }

    func node(_ name: String) -> ClusterManifest.Entry {
        guard let n = manifest.nodes.first(where: { $0.name == name }) else { preconditionFailure("no node \(name)") }
        return n
    }

    var validators: [ClusterManifest.Entry] { manifest.nodes.filter { $0.role == .validator } }

    func kill9(_ name: String) {
        let pid = node(name).pid
        LocalProcess.signal(pid, SIGKILL)
        for _ in 0..<200 where LocalProcess.isAlive(pid) { usleep(10_000) }
    }

    /// SIGTERM one node and wait for it to exit.
    func stop(_ name: String) async {
        _ = await LocalProcess.stop(node(name).pid, graceSeconds: 15)
    }

    func restart(_ name: String) throws {
        let n = node(name)
        let pid = try LocalProcess.spawn(executable: binary, arguments: ["node", "--config", n.config], logPath: n.log)
        if let i = manifest.nodes.firstIndex(where: { $0.name == name }) { manifest.nodes[i].pid = pid }
        try manifest.write(dir: dir)
    }

    /// SIGKILL every node (the test's own PIDs) and remove nothing: data dirs stay for restarts.
    func killAll() {
        for n in manifest.nodes { LocalProcess.signal(n.pid, SIGKILL) }
        for n in manifest.nodes { for _ in 0..<200 where LocalProcess.isAlive(n.pid) { usleep(10_000) } }
    }

    /// SIGTERM every node and wait; returns the names of nodes that did not exit 0 in time.
    func shutdown() async {
        await withTaskGroup(of: Void.self) { group in
            for n in manifest.nodes where LocalProcess.isAlive(n.pid) {
                group.addTask { await LocalProcess.stop(n.pid, graceSeconds: 15) }
            }
        }
    }

    /// Runs `creditchain bench load` against the running nodes and returns its output.
    func load(seconds: Double, clients: Int = 16, ackLog: String? = nil, targets: [String]? = nil) async throws
        -> String
    {
        let out = dir + "-load-\(UUID().uuidString).log"
        var args = ["bench", "load", "--dir", dir, "--duration", "\(seconds)", "--clients", "\(clients)"]
        if let ackLog { args += ["--ack-log", ackLog] }
        _ = try await LocalProcess.run(executable: binary, arguments: args, logPath: out)
        return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    }

    /// Starts a load run in the background; returns its PID (kill it to stop).
    func startLoad(seconds: Double, clients: Int = 16, ackLog: String) throws -> Int32 {
        try LocalProcess.spawn(
            executable: binary,
            arguments: [
                "bench", "load", "--dir", dir, "--duration", "\(seconds)", "--clients", "\(clients)", "--ack-log",
                ackLog,
            ], logPath: dir + "-bg-load.log")
    }

    static func committedCount(_ output: String) -> Int {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("sent:") }),
            let part = line.split(separator: ",").first(where: { $0.contains("committed:") }),
            let n = Int(part.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "")
        else { return 0 }
        return n
    }

    /// Cuts the links between the two groups (each node drops the other group's messages).
    func partition(_ a: [String], _ b: [String]) throws {
        for (side, other) in [(a, b), (b, a)] {
            for name in side {
                let config = try NodeConfig.load(path: node(name).config)
                try (other.joined(separator: "\n") + "\n").write(
                    toFile: config.dataDir + "/blocked-peers", atomically: true, encoding: .utf8)
            }
        }
    }

    func heal() throws {
        for n in manifest.nodes {
            let config = try NodeConfig.load(path: n.config)
            try? FileManager.default.removeItem(atPath: config.dataDir + "/blocked-peers")
        }
    }

    // MARK: - HTTP

    struct Status: Decodable {
        var height: UInt64
        var lastBlockHash: String?
    }

    func status(_ name: String) async -> Status? {
        guard let (code, body) = await get(node(name).api + "/v1/status"), code == 200 else { return nil }
        return try? JSONCoding.decoder.decode(Status.self, from: Data(body))
    }

    func height(_ name: String) async -> UInt64 { await status(name)?.height ?? 0 }

    func get(_ url: String, token: String? = nil) async -> (Int, [UInt8])? {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            let body = try await response.body.collect(upTo: 8 << 20)
            return (Int(response.status.code), Array(buffer: body))
        } catch {
            return nil
        }
    }

    func post(_ url: String, body: [UInt8], token: String) async -> (Int, [UInt8])? {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let reply = try await response.body.collect(upTo: 8 << 20)
            return (Int(response.status.code), Array(buffer: reply))
        } catch {
            return nil
        }
    }

    /// Waits until `condition` holds, polling; false on timeout.
    func eventually(timeout: Duration, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    func logTail(_ name: String, bytes: Int = 3000) -> String {
        ((try? String(contentsOfFile: node(name).log, encoding: .utf8)) ?? "").suffix(bytes).description
    }

    deinit {
        for n in manifest.nodes { LocalProcess.signal(n.pid, SIGKILL) }
    }
}
