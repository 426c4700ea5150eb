import API
import ArgumentParser
import AsyncHTTPClient
import ChainCore
import ChainCrypto
import ClusterSimulation
import CreditRules
import Foundation
import Ledger
import NIOCore
import NIOPosix
import Node

/// `creditchain bench load`: drives signed transactions at a running local cluster and reports
/// throughput and commit latency.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks against a running cluster.", subcommands: [Load.self])

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Closed-loop (or fixed-rate) load of signed ~300-byte transactions; waits for each commit.")

        @Option(help: "Cluster directory (cluster.json, consortium keys).") var dir: String
        @Option(help: "Seconds of load.") var duration: Double = 60
        @Option(help: "Fixed offered rate in transactions per second (open loop) instead of closed loop.")
        var rate: Double?
        @Option(help: "Concurrent clients of the closed loop.") var clients: Int = 256
        @Option(help: "Append the hash of every acknowledged (committed) transaction to this file.")
        var ackLog: String?
        @Option(help: "Only validators' APIs (default) or every node.") var targets: String = "validators"
        @Flag(help: "Do not wait for commit (measure admission only).") var noWait = false

        func run() async throws {
            // The load generator shares the machine with the nodes: its tasks run on its event
            // loops, as a node's do (docs/node.md, "Threads").
            _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
            let dir = absolutePath(dir)
            let manifest = try ClusterManifest.load(dir: dir)
            let setup = try LoadSetup(dir: dir, manifest: manifest, allNodes: targets == "all")
            await setup.waitForTokens()
            let stats = LoadStats()
            let ackHandle: FileHandle? = try ackLog.map { path in
                if !FileManager.default.fileExists(atPath: path) {
                    _ = FileManager.default.createFile(atPath: path, contents: nil)
                }
                let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
                h.seekToEndOfFile()
                return h
            }
            let acks = AckLog(handle: ackHandle)
            let deadline = ContinuousClock.now + .milliseconds(Int(duration * 1000))
            let started = ContinuousClock.now
            let expiry = LoadExpiry(setup: setup, tip: await setup.currentHeight())
            let refresher = Task { await expiry.follow() }
            defer { refresher.cancel() }
            if let rate {
                // Open loop: one request every 1/rate seconds, each in its own task (bounded).
                let interval = Duration.nanoseconds(Int64(1e9 / max(rate, 0.1)))
                let idle = IdleConnections(targets: setup.targets.count)
                await withTaskGroup(of: Void.self) { group in
                    var next = ContinuousClock.now
                    var i = 0
                    var inFlight = 0
                    while ContinuousClock.now < deadline {
                        if inFlight >= 4096 {
                            await group.next()
                            inFlight -= 1
                        }
                        let n = i
                        group.addTask {
                            var rng = SimulationRandom.seededBySystem()
                            var connections = await idle.take()
                            await setup.submitOne(
                                index: n, expiry: expiry.height, wait: !noWait, stats: stats, acks: acks,
                                rng: &rng, connections: &connections)
                            await idle.put(connections)
                        }
                        inFlight += 1
                        i += 1
                        next += interval
                        try? await Task.sleep(until: next)
                    }
                }
            } else {
                await setup.runClosedLoop(
                    clients: clients, until: deadline, expiry: expiry, wait: !noWait, stats: stats, acks: acks)
            }
            let elapsed = ContinuousClock.now - started
            try? ackHandle?.close()
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let r = await stats.report()
            print(
                "sent: \(r.sent), committed: \(r.ok), busy: \(r.busy), errors: \(r.errors), seconds: \(String(format: "%.1f", seconds))"
            )
            if let first = r.firstError { print("first error: \(first)") }
            print(
                "throughput: \(String(format: "%.1f", Double(r.ok) / seconds)) tx/s, p50: \(String(format: "%.1f", r.p50)) ms, p99: \(String(format: "%.1f", r.p99)) ms"
            )
        }
    }
}

/// Appends acknowledged hashes, one per line.
actor AckLog {
    nonisolated let handle: FileHandle?
    var buffer = ""
    init(handle: FileHandle?) { self.handle = handle }
    func append(_ hash: String) {
        guard let handle else { return }
        // Written at once: a test kills nodes and the client mid-run; what was acknowledged must be on file.
        handle.write(Data((hash + "\n").utf8))
    }
}

/// Counters and latencies of a load run.
actor LoadStats {
    var sent = 0
    var ok = 0
    var busy = 0
    var errors = 0
    var firstError: String?
    var latenciesMs: [Double] = []

    func record(ok: Bool, busy: Bool, latencyMs: Double, error: String?) {
        sent += 1
        if ok {
            self.ok += 1
            latenciesMs.append(latencyMs)
        } else if busy {
            self.busy += 1
        } else {
            errors += 1
            if firstError == nil { firstError = error }
        }
    }

    func report() -> (sent: Int, ok: Int, busy: Int, errors: Int, p50: Double, p99: Double, firstError: String?) {
        let sorted = latenciesMs.sorted()
        func pct(_ p: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }
        return (sent, ok, busy, errors, pct(0.5), pct(0.99), firstError)
    }
}

/// A client's connections, one per target node, opened on first use and dropped after a failure.
struct LoadConnections: Sendable {
    private var byTarget: [LoadConnection?]

    init(count: Int) { byTarget = Array(repeating: nil, count: count) }

    mutating func connection(to target: Int, of setup: LoadSetup) async throws -> LoadConnection {
        if let c = byTarget[target], c.isActive { return c }
        byTarget[target]?.close()
        let c = try await LoadConnection.connect(to: try setup.targets[target].apiAddress())
        byTarget[target] = c
        return c
    }

    mutating func drop(_ target: Int) {
        byTarget[target]?.close()
        byTarget[target] = nil
    }

    mutating func closeAll() {
        for i in byTarget.indices { drop(i) }
    }
}

/// The open loop's idle client connections, shared by its request tasks (at most 4,096 in flight).
actor IdleConnections {
    private var idle: [LoadConnections] = []
    private let targets: Int

    init(targets: Int) { self.targets = targets }

    func take() -> LoadConnections { idle.popLast() ?? LoadConnections(count: targets) }

    func put(_ connections: LoadConnections) { idle.append(connections) }
}

/// Nodes re-read their token file about once a second: waits (up to ~5 s) until `api` accepts a
/// token just created in the node's data directory.
func waitUntilAccepted(token: String, api: String) async {
    for _ in 0..<50 {
        var request = HTTPClientRequest(url: api + "/v1/transactions/" + String(repeating: "0", count: 64))
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let r = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)), r.status.code != 401 {
            return
        }
        try? await Task.sleep(for: .milliseconds(100))
    }
}

/// The expiry height a load's next transaction carries: the chain's tip (re-read every second)
/// plus the setup's horizon, so a long run never signs transactions that are already expired.
final class LoadExpiry: @unchecked Sendable {
    private let lock = NSLock()
    private var tip: UInt64
    private let setup: LoadSetup

    init(setup: LoadSetup, tip: UInt64) {
        self.setup = setup
        self.tip = tip
    }

    var height: UInt64 { lock.withLock { tip } + setup.expiryHorizon }

    /// Follows the tip until cancelled.
    func follow() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let now = await setup.currentHeight()
            lock.withLock { tip = max(tip, now) }
        }
    }
}

/// Keys, tokens and targets of a load run, made from the cluster directory.
struct LoadSetup: Sendable {
    struct Target: Sendable {
        var api: String
        var token: String
        var signer: SigningKey
        var member: MemberID

        /// The address of an `http://host:port` API (as `cluster up` writes it).
        func apiAddress() throws -> NodeAddress {
            guard api.hasPrefix("http://") else {
                throw NodeError(code: "bench.bad_api", reason: "not an http://host:port address: \(api)")
            }
            return try NodeAddress(parsing: String(api.dropFirst("http://".count)))
        }
    }

    /// A data source that signs the commitments of a `credit-rules` load, and the types it publishes.
    struct Publisher: Sendable {
        var member: MemberID
        var signer: SigningKey
        var types: [String]
    }

    let targets: [Target]
    let chainID: ChainID
    let suite: SuiteID
    /// Empty on a `test-kv` chain (each target's member signs key-value puts); on a `credit-rules`
    /// chain every transaction is a one-record commitment batch signed by one of these sources.
    let publishers: [Publisher]

    /// Heights ahead of the tip a load's transactions expire: the credit rules refuse more than
    /// their transaction lifetime (1,000 blocks by default).
    var expiryHorizon: UInt64 { publishers.isEmpty ? 50_000 : 900 }

    init(dir: String, manifest: ClusterManifest, allNodes: Bool) throws {
        let (genesis, chainID) = try Genesis.load(path: dir + "/genesis.json") { CryptoSuites.suite($0).hasher }
        self.chainID = chainID
        self.suite = try genesis.suiteID
        let layout = MemberFiles(dir: dir)
        var targets: [Target] = []
        for node in manifest.nodes where allNodes || node.role == .validator {
            targets.append(
                Target(
                    api: node.api, token: try node.issueOperatorToken(staff: "bench"),
                    signer: try layout.signingKey(of: node.name, suite: CryptoSuites.suite(suite)),
                    member: try MemberID(node.name)))
        }
        guard !targets.isEmpty else { throw NodeError(code: "bench.no_targets", reason: "no nodes in cluster.json") }
        self.targets = targets
        var publishers: [Publisher] = []
        if genesis.application.name == CreditApplicationSection.applicationName {
            let section = try CreditApplicationSection.decode(genesis.application.parameters)
            for m in genesis.members where m.role == "data-source" {
                let types = section.types(publishedBy: try MemberID(m.id)).filter { !$0.negative }.map(\.code)
                guard !types.isEmpty else { continue }
                publishers.append(
                    Publisher(
                        member: try MemberID(m.id),
                        signer: try layout.signingKey(of: m.id, suite: CryptoSuites.suite(suite)),
                        types: types))
            }
            guard !publishers.isEmpty else {
                throw NodeError(code: "bench.no_publishers", reason: "no data source publishes a catalog type")
            }
        }
        self.publishers = publishers
    }

    /// The closed loop: `clients` tasks, each submitting its next transaction as soon as the node
    /// answered the previous one, until `deadline`.
    func runClosedLoop(
        clients: Int, until deadline: ContinuousClock.Instant, expiry: LoadExpiry, wait: Bool, stats: LoadStats,
        acks: AckLog
    ) async {
        await withTaskGroup(of: Void.self) { group in
            for c in 0..<clients {
                group.addTask {
                    var i = c
                    var rng = SimulationRandom.seededBySystem()
                    var connections = LoadConnections(count: targets.count)
                    while ContinuousClock.now < deadline {
                        await submitOne(
                            index: i, expiry: expiry.height, wait: wait, stats: stats, acks: acks, rng: &rng,
                            connections: &connections)
                        i += clients
                    }
                    connections.closeAll()
                }
            }
        }
    }

    /// Waits until every target's new token is accepted.
    func waitForTokens() async {
        for t in targets { await waitUntilAccepted(token: t.token, api: t.api) }
    }

    func currentHeight() async -> UInt64 {
        await StatusClient().status(targets[0].api)?.height ?? 0
    }

    /// One signed transaction: on a `test-kv` chain a ~300-byte put signed by the target's member;
    /// on a `credit-rules` chain a data source's commitment to one record (random pseudonym and
    /// commitment, as a source's gateway would publish them).
    /// `rng` is the client's own generator, seeded once from the system's: the system generator
    /// costs a system call per draw, which made ~24 of them per transaction.
    func transaction(index: Int, target: Target, expiry: UInt64, rng: inout SimulationRandom) throws -> [UInt8] {
        var unique = [UInt8](repeating: 0, count: 16)
        for i in stride(from: 0, to: 16, by: 8) {
            withUnsafeBytes(of: rng.next()) { unique.replaceSubrange(i..<i + 8, with: $0) }
        }
        var envelope: TransactionEnvelope
        if publishers.isEmpty {
            let key = Array("bench/\(index)".utf8)
            let value = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 160)
            envelope = TransactionEnvelope(
                suite: suite, signer: target.member, uniqueID: unique, expiry: Height(expiry),
                kind: KeyValueTestApplication.putKind,
                payload: KeyValueTestApplication.putPayload(key: key, value: value))
            try envelope.sign(with: target.signer, chainID: chainID)
        } else {
            let publisher = publishers[index % publishers.count]
            let item = CommitmentItem(
                typeCode: publisher.types[index / publishers.count % publisher.types.count],
                subject: Hash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()),
                recordID: "L-\(Hex.encode(unique))", version: 1,
                commitment: Hash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()), eventStart: nil,
                eventEnd: nil, negative: false)
            let payload = PublishCommitmentsPayload(items: [item])
            envelope = TransactionEnvelope(
                suite: suite, signer: publisher.member, uniqueID: unique, expiry: Height(expiry),
                kind: PublishCommitmentsPayload.kind.rawValue, payload: payload.canonicalBytes)
            try envelope.sign(with: publisher.signer, chainID: chainID)
        }
        return envelope.canonicalBytes
    }

    func submitOne(
        index: Int, expiry: UInt64, wait: Bool, stats: LoadStats, acks: AckLog, rng: inout SimulationRandom,
        connections: inout LoadConnections
    ) async {
        let targetIndex = index % targets.count
        let target = targets[targetIndex]
        let start = ContinuousClock.now
        do {
            let body = try transaction(index: index, target: target, expiry: expiry, rng: &rng)
            let connection = try await connections.connection(to: targetIndex, of: self)
            let answer = try await connection.post(
                path: "/v1/transactions" + (wait ? "?wait=commit" : ""),
                headers: [("Authorization", "Bearer \(target.token)"), ("Content-Type", "application/octet-stream")],
                body: body, timeout: .seconds(30))
            let elapsed = ContinuousClock.now - start
            let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
            if answer.status == 200 || (!wait && answer.status == 202) {
                if wait, acks.handle != nil, let hash = Self.field("hash", in: answer.body) { await acks.append(hash) }
                await stats.record(ok: true, busy: false, latencyMs: ms, error: nil)
            } else if answer.status == 429 {
                await stats.record(ok: false, busy: true, latencyMs: ms, error: nil)
                try? await Task.sleep(for: .milliseconds(50))
            } else {
                await stats.record(
                    ok: false, busy: false, latencyMs: ms, error: "HTTP \(answer.status): \(answer.body.prefix(200))")
            }
        } catch {
            connections.drop(targetIndex)
            await stats.record(ok: false, busy: false, latencyMs: 0, error: "\(error)")
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// A string field of a flat JSON object (the response is small and machine-made).
    static func field(_ name: String, in json: String) -> String? {
        guard let data = json.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object[name] as? String
    }
}
