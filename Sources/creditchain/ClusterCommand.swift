import API
import ArgumentParser
import AsyncHTTPClient
import Foundation
import Node

#if canImport(Glibc)
    import Glibc
#endif

/// `creditchain cluster up|status|down`: a local cluster of node processes on loopback ports.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Run a local cluster: one OS process per node on loopback ports.",
        subcommands: [Up.self, Status.self, Down.self]
    )

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a consortium in DIR if needed, start its nodes, write DIR/cluster.json.")

        @Option(help: "Cluster directory (also the consortium directory).") var dir: String
        @Option(help: "Number of validators.") var validators: Int = 4
        @Option(help: "Number of observers (non-voting nodes that follow and serve reads).") var observers: Int = 0
        @Option(help: "First loopback port; node i uses base+10i (peer) and base+10i+1 (API).")
        var basePort: Int = 17100
        @Option(help: "Crypto suite of a new consortium: standard or gm.") var suite: String = "standard"
        @Option(help: "Application of a new chain: credit-rules or test-kv.")
        var application: String = CreditApplicationSection.applicationName
        @Option(help: "Seconds to wait for every node to answer /healthz.") var timeout: Double = 120

        func validate() throws {
            guard (1...64).contains(validators) else { throw ValidationError("--validators must be 1...64") }
            guard (0...16).contains(observers) else { throw ValidationError("--observers must be 0...16") }
            guard ["credit-rules", "test-kv"].contains(application) else {
                throw ValidationError("--application must be credit-rules or test-kv")
            }
        }

        func run() async throws {
            let cluster = LocalCluster(dir: absolutePath(dir))
            try await cluster.prepare(
                validators: validators, observers: observers, basePort: basePort, suite: suite,
                application: application)
            let manifest = try await cluster.start()
            try await cluster.waitHealthy(manifest, timeout: .seconds(timeout))
            for node in manifest.nodes {
                print("\(node.name)\t\(node.role.rawValue)\t\(node.api)\tpid \(node.pid)")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show each node's process and chain status.")
        @Option(help: "Cluster directory.") var dir: String

        func run() async throws {
            let cluster = LocalCluster(dir: absolutePath(dir))
            let manifest = try ClusterManifest.load(dir: cluster.dir)
            let client = StatusClient()
            for node in manifest.nodes {
                let alive = LocalProcess.isAlive(node.pid)
                var line = "\(node.name)\t\(node.role.rawValue)\t\(node.api)\tpid \(node.pid) "
                line += alive ? "running" : "stopped"
                if alive, let s = await client.status(node.api) {
                    line += "\theight \(s.height) round \(s.round) sync \(s.sync) mempool \(s.mempool)"
                }
                print(line)
            }
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the cluster's own processes (by PID).")
        @Option(help: "Cluster directory.") var dir: String

        func run() async throws {
            let cluster = LocalCluster(dir: absolutePath(dir))
            try await cluster.stopAll()
        }
    }
}

/// The files and processes of a local cluster in one directory:
///
/// ```
/// DIR/                 consortium directory (consortium init, member add), genesis.json
/// DIR/cluster.json     {"nodes": [{"name", "role", "api", "peer", "pid", "config", "log"}]}
/// DIR/nodes/NAME/      node.json, data/, node.log
/// ```
struct LocalCluster: Sendable {
    let dir: String

    var nodesDir: String { dir + "/nodes" }
    var genesisPath: String { dir + "/genesis.json" }
    func nodeDir(_ name: String) -> String { nodesDir + "/" + name }

    static func validatorName(_ i: Int) -> String { "validator-\(i)" }
    static func observerName(_ i: Int) -> String { "observer-\(i)" }

    /// Creates the consortium, members, genesis and node configs unless they exist.
    ///
    /// A `credit-rules` chain gets the members the credit flows need: validator-1 a registrar
    /// bureau, validator-2 the supervisor, validators 3 and 4 data sources publishing half of the
    /// catalog's sources each, further validators bureaus; observers are banks; `mediator-1` is a
    /// member without a node. A `test-kv` chain has bureau validators and bank observers.
    func prepare(
        validators: Int, observers: Int, basePort: Int, suite: String, application: String = "credit-rules",
        roundTimeoutMs: Int = 1000
    ) async throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: nodesDir, withIntermediateDirectories: true)
        let exe = LocalProcess.currentExecutable
        let log = dir + "/setup.log"
        func cli(_ args: [String]) async throws {
            let status = try await LocalProcess.run(executable: exe, arguments: args, logPath: log)
            guard status == 0 else {
                throw NodeError(
                    code: "cluster.setup_failed",
                    reason: "`creditchain \(args.joined(separator: " "))` failed; see \(log)")
            }
        }
        let names =
            (1...validators).map { (Self.validatorName($0), NodeRole.validator) }
            + (0..<observers).map { (Self.observerName($0 + 1), NodeRole.observer) }
        if !MemberFiles.exists(dir) {
            try await cli(["consortium", "init", "--dir", dir, "--name", "local", "--suite", suite])
            try Self.setRoundTimeout(dir: dir, millis: roundTimeoutMs)
            let credit = application == CreditApplicationSection.applicationName
            let sources = credit ? try BundledCatalog.load().sources.map(\.code) : []
            let half = (sources.count + 1) / 2
            for (i, (name, role)) in names.enumerated() {
                var args = ["member", "add", "--dir", dir, "--name", name]
                switch (role, credit ? i : -1) {
                case (.observer, _): args += ["--role", "bank"]
                case (_, 0): args += ["--role", "bureau", "--validator", "--registrar"]
                case (_, 1): args += ["--role", "supervisor", "--validator"]
                case (_, 2):
                    args += [
                        "--role", "data-source", "--validator", "--sources",
                        sources.prefix(half).joined(separator: ","),
                    ]
                case (_, 3):
                    args += [
                        "--role", "data-source", "--validator", "--sources",
                        sources.dropFirst(half).joined(separator: ","),
                    ]
                default: args += ["--role", "bureau", "--validator"]
                }
                try await cli(args)
            }
            if credit {
                if validators < 2 {
                    try await cli(["member", "add", "--dir", dir, "--name", "supervisor-1", "--role", "supervisor"])
                }
                try await cli(["member", "add", "--dir", dir, "--name", "mediator-1", "--role", "mediator"])
            }
        }
        if !fm.fileExists(atPath: genesisPath) {
            try await cli(["genesis", "--dir", dir, "--application", application])
        }
        let layout = MemberFiles(dir: dir)
        let peerAddress = { (i: Int) in NodeAddress(host: "127.0.0.1", port: basePort + 10 * i) }
        let apiAddress = { (i: Int) in NodeAddress(host: "127.0.0.1", port: basePort + 10 * i + 1) }
        for (i, (name, role)) in names.enumerated() {
            let configPath = nodeDir(name) + "/node.json"
            if fm.fileExists(atPath: configPath) { continue }
            try fm.createDirectory(atPath: nodeDir(name), withIntermediateDirectories: true)
            var peers: [String: NodeAddress] = [:]
            for (j, (other, _)) in names.enumerated() where j != i { peers[other] = peerAddress(j) }
            let config = NodeConfig(
                member: name, role: role, dataDir: nodeDir(name) + "/data", genesis: genesisPath,
                listen: .init(peer: peerAddress(i), api: apiAddress(i)), peers: peers,
                keys: layout.keys(of: name),
                workerThreads: max(1, ProcessInfo.processInfo.activeProcessorCount / names.count))
            try config.write(to: configPath)
        }
    }

    /// A local cluster on loopback times out rounds faster than the consortium default (a dead
    /// leader costs one timeout per rotation), and paces idle blocks at a quarter of that; edits
    /// `consensus.roundTimeoutMillis` and `blockIntervalMillis` before genesis.
    static func setRoundTimeout(dir: String, millis: Int) throws {
        let path = dir + "/consortium.json"
        guard let data = FileManager.default.contents(atPath: path),
            var object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            var consensus = object["consensus"] as? [String: Any]
        else { return }
        consensus["roundTimeoutMillis"] = millis
        consensus["blockIntervalMillis"] = max(1, millis / 4)
        object["consensus"] = consensus
        let out = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try out.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Starts every node of DIR/nodes that is not running and rewrites cluster.json.
    func start() async throws -> ClusterManifest {
        let old = (try? ClusterManifest.load(dir: dir))?.nodes ?? []
        var entries: [ClusterManifest.Entry] = []
        let names = try FileManager.default.contentsOfDirectory(atPath: nodesDir).sorted {
            Self.order($0) < Self.order($1)
        }
        for name in names {
            let configPath = nodeDir(name) + "/node.json"
            guard FileManager.default.fileExists(atPath: configPath) else { continue }
            let config = try NodeConfig.load(path: configPath)
            let logPath = nodeDir(name) + "/node.log"
            var pid = old.first { $0.name == name }?.pid ?? 0
            if !LocalProcess.isAlive(pid) {
                pid = try startNode(configPath: configPath, logPath: logPath)
            }
            entries.append(
                ClusterManifest.Entry(
                    name: name, role: config.role, api: "http://\(config.listen.api)",
                    peer: config.listen.peer.description, pid: pid, config: configPath, log: logPath))
        }
        let manifest = ClusterManifest(nodes: entries)
        try manifest.write(dir: dir)
        return manifest
    }

    /// Starts one node process; its log goes to `logPath`. Unless the environment says otherwise,
    /// glibc's malloc backs large allocations (the state tree's arenas, the state maps) with
    /// transparent huge pages, which cuts the TLB misses of the state-root update (BENCHMARKS.md).
    func startNode(configPath: String, logPath: String) throws -> Int32 {
        try LocalProcess.spawn(
            executable: LocalProcess.currentExecutable, arguments: ["node", "--config", configPath], logPath: logPath,
            environmentDefaults: ["GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"])
    }

    /// Validators first, then observers, each numerically.
    static func order(_ name: String) -> (Int, Int, String) {
        let parts = name.split(separator: "-")
        let n = parts.last.flatMap { Int($0) } ?? 0
        return (name.hasPrefix("validator") ? 0 : 1, n, name)
    }

    func waitHealthy(_ manifest: ClusterManifest, timeout: Duration) async throws {
        let client = StatusClient()
        let deadline = ContinuousClock.now + timeout
        for node in manifest.nodes {
            while await !client.isLive(node.api) {
                guard LocalProcess.isAlive(node.pid) else {
                    throw NodeError(code: "cluster.node_exited", reason: "\(node.name) exited; see \(node.log)")
                }
                guard ContinuousClock.now < deadline else {
                    throw NodeError(code: "cluster.timeout", reason: "\(node.name) did not answer; see \(node.log)")
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    func stopAll() async throws {
        var manifest = try ClusterManifest.load(dir: dir)
        await withTaskGroup(of: Void.self) { group in
            for node in manifest.nodes where node.pid > 0 {
                group.addTask {
                    let killed = await LocalProcess.stop(node.pid, graceSeconds: 15)
                    print("\(node.name)\tpid \(node.pid)\t\(killed ? "killed" : "stopped")")
                }
            }
        }
        for i in manifest.nodes.indices { manifest.nodes[i].pid = 0 }
        try manifest.write(dir: dir)
    }
}

extension ClusterManifest.Entry {
    /// A new operator-scope bearer token for this node's API, written to the node's token file
    /// (the node picks it up within about a second: `waitUntilAccepted`).
    func issueOperatorToken(staff: String) throws -> String {
        let config = try NodeConfig.load(path: self.config)
        var rng = SystemRandomNumberGenerator()
        return try TokenStore(directory: config.dataDir).create(
            staff: staff, scopes: [.operator], createdAt: Date(), using: &rng
        ).token
    }
}

/// Makes a path absolute against the working directory (node configs are read by other processes).
func absolutePath(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    return FileManager.default.currentDirectoryPath + "/" + path
}

/// A tiny HTTP client for node APIs: liveness and status, for the cluster tools and the demo.
struct StatusClient: Sendable {
    /// The fields of `GET /v1/status` the tools print.
    struct Summary: Decodable, Sendable {
        var height: UInt64
        var round: UInt64
        var mempoolSize: Int
        var sync: Sync
        var lastBlockHash: String?
        struct Sync: Decodable, Sendable { var state: String }
        var mempool: Int { mempoolSize }
    }

    func isLive(_ base: String) async -> Bool {
        guard let (status, _) = await get(base + "/healthz") else { return false }
        return status == 200 || status == 503
    }

    func status(_ base: String) async -> (height: UInt64, round: UInt64, sync: String, mempool: Int)? {
        guard let (code, body) = await get(base + "/v1/status"), code == 200,
            let s = try? JSONCoding.decoder.decode(Summary.self, from: Data(body))
        else { return nil }
        return (s.height, s.round, s.sync.state, s.mempool)
    }

    func get(_ url: String) async -> (Int, [UInt8])? {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            let body = try await response.body.collect(upTo: 1 << 20)
            return (Int(response.status.code), Array(buffer: body))
        } catch {
            return nil
        }
    }
}
