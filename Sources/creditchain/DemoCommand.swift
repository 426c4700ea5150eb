import ArgumentParser
import Dispatch
import Foundation
import Node

#if canImport(Glibc)
    import Glibc
#endif

/// `creditchain demo`: a `credit-rules` consortium of 4 validators (a registrar bureau, the
/// supervisor, two data sources) and a bank's observer node in `./creditchain-demo`; one credit
/// flow end to end (`CreditWalkthrough`), a load of data sources' commitments, then a validator
/// killed with SIGKILL and restarted to show it catching up.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start a local 4-validator + 1-observer network, load it, crash and recover a validator.")

    @Option(help: "Directory of the demo network.") var dir: String = "creditchain-demo"
    @Option(help: "First loopback port.") var basePort: Int = 17100
    @Option(help: "Seconds of each load phase.") var loadSeconds: Double = 5
    @Flag(help: "Stop the network and exit 0 after the walk-through instead of running until Ctrl-C.")
    var exit = false

    func run() async throws {
        let dir = absolutePath(dir)
        let cluster = LocalCluster(dir: dir)
        // Stop what a previous demo in this directory left running (its own PIDs only).
        if (try? ClusterManifest.load(dir: dir)) != nil { try? await cluster.stopAll() }
        say("1. Creating the consortium and starting 4 validators + 1 observer in \(dir)")
        try await cluster.prepare(validators: 4, observers: 1, basePort: basePort, suite: "standard")
        var manifest = try await cluster.start()
        try await cluster.waitHealthy(manifest, timeout: .seconds(180))
        for node in manifest.nodes {
            print(
                "   \(node.name)\t\(node.role.rawValue)\tAPI \(node.api)  (status: \(node.api)/v1/status, metrics: \(node.api)/metrics)\tpid \(node.pid)"
            )
        }
        try await waitForHeight(manifest, atLeast: 1, timeout: .seconds(60))
        await printHeights(manifest)

        say("2. One credit flow, each member signing with its own key through its own node")
        let walk = try CreditWalkthrough(dir: dir, uscc: "914401000802190W3Q") { print("   " + $0) }
        _ = try await walk.run()

        say(
            "3. Data sources publish commitments for \(Int(loadSeconds)) s (32 clients, each waits for commit)")
        let setup = try LoadSetup(dir: dir, manifest: manifest, allNodes: false)
        await runLoad(setup, clients: 32, seconds: loadSeconds)
        await printHeights(manifest)

        let victim = manifest.nodes[1]
        say("4. kill -9 \(victim.name) (pid \(victim.pid)) during load: the other three keep committing")
        LocalProcess.signal(victim.pid, SIGKILL)
        let survivors = try LoadSetup(
            dir: dir, manifest: ClusterManifest(nodes: manifest.nodes.filter { $0.name != victim.name }),
            allNodes: false)
        await runLoad(survivors, clients: 32, seconds: loadSeconds)
        await printHeights(manifest)
        // Leader reputation drops the dead validator from the rotation once a window of committed
        // blocks went by without it (docs/consensus.md); until then each of its rounds times out.
        say("   ...and once the dead validator has left the leader rotation (leader reputation):")
        await runLoad(survivors, clients: 32, seconds: max(loadSeconds, 15))
        await printHeights(manifest)

        say("5. Restarting \(victim.name): it fetches the blocks it missed, verified by their commit certificates")
        manifest = try await cluster.start()
        try await cluster.waitHealthy(manifest, timeout: .seconds(60))
        let caughtUp = try await waitCaughtUp(manifest, name: victim.name, timeout: .seconds(90))
        print("   \(victim.name) caught up in \(caughtUp)")
        await printHeights(manifest)

        if exit {
            say("6. Stopping the network (--exit)")
            try await cluster.stopAll()
            return
        }
        say("6. The network keeps running. Ctrl-C stops it (or `creditchain cluster down --dir \(dir)`).")
        await waitForInterrupt()
        try await cluster.stopAll()
    }

    func say(_ s: String) { print("\n" + s) }

    func runLoad(_ setup: LoadSetup, clients: Int, seconds: Double) async {
        await setup.waitForTokens()
        let stats = LoadStats()
        let acks = AckLog(handle: nil)
        // The expiry follows the tip: a fast chain passes the horizon (900 heights) within a phase.
        let expiry = LoadExpiry(setup: setup, tip: await setup.currentHeight())
        let refresher = Task { await expiry.follow() }
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        let start = ContinuousClock.now
        await setup.runClosedLoop(
            clients: clients, until: deadline, expiry: expiry, wait: true, stats: stats, acks: acks)
        refresher.cancel()
        let elapsed = ContinuousClock.now - start
        let s = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let r = await stats.report()
        print(
            "   committed \(r.ok) transactions in \(String(format: "%.1f", s)) s: \(String(format: "%.0f", Double(r.ok) / s)) tx/s, commit latency p50 \(String(format: "%.1f", r.p50)) ms, p99 \(String(format: "%.1f", r.p99)) ms"
                + (r.errors > 0 ? ", \(r.errors) errors (\(r.firstError ?? ""))" : ""))
    }

    func printHeights(_ manifest: ClusterManifest) async {
        let client = StatusClient()
        var parts: [String] = []
        for node in manifest.nodes {
            if let s = await client.status(node.api) {
                parts.append("\(node.name) \(s.height)")
            } else {
                parts.append("\(node.name) down")
            }
        }
        print("   heights: " + parts.joined(separator: ", "))
    }

    func waitForHeight(_ manifest: ClusterManifest, atLeast h: UInt64, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        let client = StatusClient()
        while ContinuousClock.now < deadline {
            var all = true
            for node in manifest.nodes {
                if (await client.status(node.api)?.height ?? 0) < h { all = false }
            }
            if all { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw NodeError(code: "demo.no_progress", reason: "the network did not reach height \(h)")
    }

    /// Waits until `name` reports the same block hash as a validator that stayed up, at its height.
    func waitCaughtUp(_ manifest: ClusterManifest, name: String, timeout: Duration) async throws -> Duration {
        let start = ContinuousClock.now
        let deadline = start + timeout
        let client = StatusClient()
        let reference = manifest.nodes.first { $0.name != name && $0.role == .validator }!
        let target = await client.status(reference.api)?.height ?? 0
        while ContinuousClock.now < deadline {
            if let me = manifest.nodes.first(where: { $0.name == name }), let s = await client.status(me.api),
                s.height >= target
            {
                return ContinuousClock.now - start
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw NodeError(code: "demo.no_catch_up", reason: "\(name) did not catch up to height \(target)")
    }

    func waitForInterrupt() async {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let once = OnceFlag()
            for sig in [SIGINT, SIGTERM] {
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                source.setEventHandler {
                    if once.set() { c.resume() }
                }
                source.resume()
                Sources.keep(source)
            }
        }
    }
}

/// Keeps signal sources alive for the life of the process.
enum Sources {
    nonisolated(unsafe) static var kept: [any DispatchSourceSignal] = []
    static func keep(_ s: any DispatchSourceSignal) { kept.append(s) }
}

/// A flag that can be set once, from any thread.
final class OnceFlag: @unchecked Sendable {
    private var done = false
    private let lock = NSLock()
    func set() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if done { return false }
        done = true
        return true
    }
}
