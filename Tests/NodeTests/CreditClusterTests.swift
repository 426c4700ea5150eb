import API
import Foundation
import Node
import Testing

/// A `credit-rules` chain across real node processes: one credit flow end to end through the
/// members' own nodes, every node on the same chain afterwards, and the enterprise's USCC (the
/// canary) nowhere on any node's disk or in any log. Part of the serialized multi-process suite,
/// so at most one cluster runs at a time.
extension MultiProcessTests {
    static let canary = "914401000802190W3Q"

    struct WalkthroughSummary: Decodable {
        var orderID: UInt64
        var recordsVerified: Int
        var sourcePointsBefore: Int64
        var sourcePointsAfter: Int64
        var auditEntries: UInt64
        var refusedOrderCode: String
        var joinedMemberCode: String
        var heights: [UInt64]
    }

    @Test func aCreditFlowRunsEndToEndAndNoNodeHoldsTheEnterpriseIdentifier() async throws {
        let h = try await ClusterHarness(validators: 4, observers: 1, application: "credit-rules")
        defer { h.killAll() }
        let out = h.dir + "-walkthrough.log"
        let status = try await LocalProcess.run(
            executable: h.binary, arguments: ["walkthrough", "--dir", h.dir, "--uscc", Self.canary, "--json"],
            logPath: out)
        let log = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        #expect(status == 0, "walkthrough failed: \(log.suffix(2000))")
        let line = try #require(log.split(separator: "\n").last { $0.hasPrefix("{") }, "no summary in: \(log)")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let s = try decoder.decode(WalkthroughSummary.self, from: Data(line.utf8))
        // Three records committed, ordered, delivered sealed, opened and matched to their commitments.
        #expect(s.recordsVerified == 3)
        // The verified receipt paid the source.
        #expect(s.sourcePointsAfter > s.sourcePointsBefore)
        // consent, order, delivery, receipt and the refused order, in the subject's audit trail.
        #expect(s.auditEntries == 5)
        #expect(s.refusedOrderCode != "ok" && !s.refusedOrderCode.isEmpty)
        #expect(s.heights == s.heights.sorted())
        // A bank admitted by governance during the walk: its first envelope passed admission on
        // the key the chain gave it and was refused by the rules, not by the mempool.
        #expect(s.joinedMemberCode == "order.unknown_consent")

        // Every node holds the same chain: the same block hash at a height all of them reached.
        let top = try #require(s.heights.last)
        let reached = await h.eventually(timeout: .seconds(30)) {
            for n in h.manifest.nodes where await h.height(n.name) < top + 1 { return false }
            return true
        }
        #expect(reached)
        var hashes = Set<String>()
        for n in h.manifest.nodes {
            let config = try NodeConfig.load(path: n.config)
            var rng = SystemRandomNumberGenerator()
            let token = try TokenStore(directory: config.dataDir).create(
                staff: "test", scopes: [.operator], createdAt: Date(), using: &rng
            ).token
            let reply = await h.eventually(timeout: .seconds(10)) {
                await h.get(n.api + "/v1/blocks/\(top + 1)", token: token)?.0 == 200
            }
            #expect(reply)
            if let (_, body) = await h.get(n.api + "/v1/blocks/\(top + 1)", token: token),
                let hash = MultiProcessTests.jsonField("hash", body)
            {
                hashes.insert(hash)
            }
        }
        #expect(hashes.count == 1, "nodes disagree at height \(top + 1): \(hashes)")
        let snapshotDir = try await restartFromStateAndJoinFromSnapshot(h)
        await h.shutdown()

        // Privacy canary: the USCC is in no block, state database, safety file or log of any node.
        var scanned = 0
        for n in h.manifest.nodes {
            let nodeDir = URL(fileURLWithPath: n.config).deletingLastPathComponent().path
            let files = FileManager.default.enumerator(atPath: nodeDir)?.compactMap { $0 as? String } ?? []
            for file in files {
                let path = nodeDir + "/" + file
                guard let data = FileManager.default.contents(atPath: path) else { continue }
                scanned += 1
                #expect(data.range(of: Data(Self.canary.utf8)) == nil, "\(path) holds the enterprise's USCC")
            }
        }
        for file in [NodeSnapshot.stateFile, NodeSnapshot.anchorFile] {
            let data = try #require(FileManager.default.contents(atPath: snapshotDir + "/" + file))
            #expect(data.range(of: Data(Self.canary.utf8)) == nil, "the snapshot's \(file) holds the enterprise's USCC")
        }
        #expect(scanned > 10)
    }
}
