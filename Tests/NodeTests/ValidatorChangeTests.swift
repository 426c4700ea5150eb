import ChainCore
import ChainCrypto
import Foundation
import Ledger
import Node
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Validator changes decided on chain while the network runs under load (the test application's
/// system transaction; the credit rules' `setValidators` proposal produces the same update).
extension MultiProcessTests {
    /// A signed validator-set transaction of the test application, submitted through `via`'s API
    /// and waited for; returns the height that committed it.
    func changeValidators(
        _ h: ClusterHarness, to members: [String], signer: String, via: String, tokens: [String: String]
    ) async throws -> UInt64 {
        let (genesis, chainID) = try Genesis.load(path: h.dir + "/genesis.json") { CryptoSuites.suite($0).hasher }
        let suite = CryptoSuites.suite(try genesis.suiteID)
        var validators: [Validator] = []
        for id in members {
            let m = try #require(genesis.member(try MemberID(id)))
            validators.append(Validator(member: try MemberID(id), publicKey: try m.signingKeyBytes))
        }
        let config = try NodeConfig.load(path: h.node(signer).config)
        let key = try suite.signingKey(pkcs8PEM: try PrivateKeyFile.read(path: config.keys.signingKey))
        var unique = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in unique.indices { unique[i] = rng.next() }
        var envelope = TransactionEnvelope(
            suite: try genesis.suiteID, signer: try MemberID(signer), uniqueID: unique,
            expiry: Height(await h.height(via) + 1000), kind: KeyValueTestApplication.validatorSetKind,
            payload: KeyValueTestApplication.validatorSetPayload(delay: 2, validators: validators))
        try envelope.sign(with: key, chainID: chainID)
        let token = try #require(tokens[via])
        let reply = try #require(
            await h.post(h.node(via).api + "/v1/transactions?wait=commit", body: envelope.canonicalBytes, token: token))
        let body = String(decoding: reply.1, as: UTF8.self)
        #expect(reply.0 == 200 && body.contains("\"committed\""), "validator change: \(reply.0) \(body)")
        let height = Self.jsonNumber("height", reply.1) ?? 0
        // The commit's answer carries an inclusion proof of the envelope under the transaction
        // root of the block the node serves at that height.
        let view = try JSONSerialization.jsonObject(with: Data(reply.1)) as? [String: Any]
        let proof = try #require(view?["proof"] as? [String: Any], "no proof in \(body)")
        let root = try Hash(hex: try #require(proof["root"] as? String))
        let merkle = MerkleProof(
            leafIndex: try #require((proof["leaf_index"] as? NSNumber)?.uint64Value),
            leafCount: try #require((proof["tree_size"] as? NSNumber)?.uint64Value),
            path: try (proof["path"] as? [String] ?? []).map { try Hash(hex: $0) })
        #expect(merkle.verify(leafData: envelope.canonicalBytes, root: root, hasher: suite.hasher))
        let (code, blockBody) = try #require(await h.get(h.node(via).api + "/v1/blocks/\(height)", token: token))
        let block = try JSONSerialization.jsonObject(with: Data(blockBody)) as? [String: Any]
        #expect(code == 200 && (block?["header"] as? [String: Any])?["transaction_root"] as? String == root.hex)
        return height
    }

    /// The proposer and the certificate signers of each block `from…to`, as `via` serves them.
    func participants(_ h: ClusterHarness, from: UInt64, to: UInt64, via: String, tokens: [String: String])
        async throws -> [(proposer: String, signers: [String])]
    {
        let t = try #require(tokens[via])
        var out: [(proposer: String, signers: [String])] = []
        for height in from...to {
            guard let (code, body) = await h.get(h.node(via).api + "/v1/blocks/\(height)", token: t), code == 200,
                let block = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
                let proposer = (block["header"] as? [String: Any])?["proposer"] as? String,
                let signatures = (block["commit_certificate"] as? [String: Any])?["signatures"] as? [[String: Any]]
            else { continue }
            out.append((proposer, signatures.compactMap { $0["validator"] as? String }))
        }
        return out
    }

    /// A fifth node configured as a validator follows the chain until a validator change adds it,
    /// then votes and proposes; a second change removes a genesis validator, which stops voting
    /// while the other four keep committing. A load runs throughout and every transaction it saw
    /// acknowledged is committed.
    @Test func aValidatorJoinsAndAnotherLeavesUnderLoad() async throws {
        let h = try await ClusterHarness(validators: 4, observers: 1)
        defer { h.killAll() }
        let joiner = try #require(h.manifest.nodes.first { $0.role == .observer }?.name)
        await h.stop(joiner)
        let configPath = h.node(joiner).config
        let text = try String(contentsOfFile: configPath, encoding: .utf8)
        try text.replacingOccurrences(of: "\"observer\"", with: "\"validator\"").write(
            toFile: configPath, atomically: true, encoding: .utf8)
        try h.restart(joiner)
        let following = await h.eventually(timeout: .seconds(30)) {
            h.logTail(joiner, bytes: 100_000).contains("not in the validator set")
        }
        #expect(following, "the fifth node did not start following: \(h.logTail(joiner))")

        let tokens = try await acceptedTokens(h)

        let acks = h.dir + "-acks"
        let load = try h.startLoad(seconds: 600, clients: 8, ackLog: acks)
        defer { LocalProcess.signal(load, SIGKILL) }
        try await Task.sleep(for: .seconds(1))

        // Add the fifth validator.
        let five = ["validator-1", "validator-2", "validator-3", "validator-4", joiner]
        let added = try await changeValidators(h, to: five, signer: "validator-1", via: "validator-1", tokens: tokens)
        #expect(added > 0)
        let effective = added + 201
        let joined = await h.eventually(timeout: .seconds(180)) {
            h.logTail(joiner, bytes: 100_000).contains("in the validator set from height")
        }
        #expect(joined, "the fifth validator never joined: \(h.logTail(joiner))")
        // The five-validator set is in force: every certificate above the change carries a quorum
        // of five (4 signers, all of the five), and the nodes report the joiner among the validators.
        let inForce = await h.eventually(timeout: .seconds(60)) { await h.height("validator-2") > effective + 20 }
        #expect(inForce, "no commits after height \(effective)")
        let afterJoin = try await participants(
            h, from: effective, to: effective + 20, via: "validator-2", tokens: tokens)
        #expect(afterJoin.count == 21, "blocks read after the change: \(afterJoin.count)")
        #expect(
            afterJoin.allSatisfy { $0.signers.count >= 4 && Set($0.signers).isSubset(of: five) },
            "certificates after the change: \(afterJoin)")
        let status = await h.get(h.node("validator-2").api + "/v1/status")
        let validators =
            (status.flatMap { try? JSONSerialization.jsonObject(with: Data($0.1)) as? [String: Any] }?["validators"]
            as? [[String: Any]])?.compactMap { $0["member"] as? String } ?? []
        #expect(Set(validators) == Set(five), "validators reported: \(validators)")

        // Remove validator-1.
        let four = ["validator-2", "validator-3", "validator-4", joiner]
        let removed = try await changeValidators(h, to: four, signer: "validator-2", via: "validator-2", tokens: tokens)
        let removedFrom = removed + 201
        let left = await h.eventually(timeout: .seconds(180)) {
            h.logTail("validator-1", bytes: 100_000).contains("left the validator set at height")
        }
        #expect(left, "validator-1 never left: \(h.logTail("validator-1"))")
        let advanced = await h.eventually(timeout: .seconds(60)) {
            await h.height("validator-2") > removedFrom + 20
        }
        #expect(advanced, "no commits after the removal: \(h.logTail("validator-2"))")
        let after = try await participants(
            h, from: removedFrom, to: removedFrom + 20, via: "validator-3", tokens: tokens)
        #expect(after.count == 21, "blocks read after the removal: \(after.count)")
        #expect(
            !after.contains { $0.proposer == "validator-1" || $0.signers.contains("validator-1") },
            "validator-1 still takes part after the removal: \(after)")
        // The set's four members carry the chain: every certificate has a quorum of them.
        #expect(after.allSatisfy { Set($0.signers).isSubset(of: four) && $0.signers.count >= 3 })
        // The removed validator still follows the chain.
        let follows = await h.eventually(timeout: .seconds(30)) {
            await h.height("validator-1") > removedFrom + 20
        }
        #expect(follows)

        LocalProcess.signal(load, SIGKILL)
        let hashes = ((try? String(contentsOfFile: acks, encoding: .utf8)) ?? "").split(separator: "\n").map(
            String.init)
        #expect(hashes.count > 100, "the load acknowledged only \(hashes.count) transactions")
        let t = try #require(tokens[joiner])
        var missing = 0
        for hash in hashes {
            let r = await h.get(h.node(joiner).api + "/v1/transactions/\(hash)", token: t)
            if !(r?.0 == 200 && String(decoding: r?.1 ?? [], as: UTF8.self).contains("\"committed\"")) { missing += 1 }
        }
        #expect(missing == 0, "\(missing) of \(hashes.count) acknowledged transactions are not committed")
        await h.shutdown()
    }
}
