import API
import ArgumentParser
import AsyncHTTPClient
import ChainCore
import ChainCrypto
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
                            await setup.submitOne(
                                index: n, expiry: expiry.height, wait: !noWait, stats: stats, acks: acks)
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
    let handle: FileHandle?
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

extension LoadSetup {
    /// The load's own HTTP client, one connection per request in flight: AsyncHTTPClient's shared
    /// client keeps at most 8 connections per host, which caps a closed loop at 8 requests in
    /// flight per node whatever `--clients` says. Lives as long as the process.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 4096)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()
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
                    while ContinuousClock.now < deadline {
                        await submitOne(index: i, expiry: expiry.height, wait: wait, stats: stats, acks: acks)
                        i += clients
                    }
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
    func transaction(index: Int, target: Target, expiry: UInt64) throws -> [UInt8] {
        var unique = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in unique.indices { unique[i] = rng.next() }
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

    func submitOne(index: Int, expiry: UInt64, wait: Bool, stats: LoadStats, acks: AckLog) async {
        let target = targets[index % targets.count]
        let start = ContinuousClock.now
        do {
            let body = try transaction(index: index, target: target, expiry: expiry)
            var request = HTTPClientRequest(url: target.api + "/v1/transactions" + (wait ? "?wait=commit" : ""))
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(target.token)")
            request.headers.add(name: "Content-Type", value: "application/octet-stream")
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await Self.client.execute(request, timeout: .seconds(30))
            let data = try await response.body.collect(upTo: 1 << 20)
            let elapsed = ContinuousClock.now - start
            let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
            let text = String(buffer: data)
            if response.status.code == 200 || (!wait && response.status.code == 202) {
                if wait, let hash = Self.field("hash", in: text) { await acks.append(hash) }
                await stats.record(ok: true, busy: false, latencyMs: ms, error: nil)
            } else if response.status.code == 429 {
                await stats.record(ok: false, busy: true, latencyMs: ms, error: nil)
                try? await Task.sleep(for: .milliseconds(50))
            } else {
                await stats.record(
                    ok: false, busy: false, latencyMs: ms, error: "HTTP \(response.status.code): \(text.prefix(200))")
            }
        } catch {
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
