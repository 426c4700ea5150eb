import API
import ChainCore
import Foundation
import Ledger
import Node
import Storage
import Testing

/// Restarts from the state store and joins from a snapshot, on a running credit cluster (called
/// from the credit cluster test, so no second cluster is started).
extension MultiProcessTests {
    /// Runs `creditchain` with `arguments`; returns its exit status and output.
    func creditchain(_ h: ClusterHarness, _ arguments: [String]) async throws -> (Int32, String) {
        let out = h.dir + "-cli-\(UUID().uuidString).log"
        let status = try await LocalProcess.run(executable: h.binary, arguments: arguments, logPath: out)
        return (status, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    /// 1. A validator stopped with SIGTERM is snapshotted (a running node's directory is refused:
    ///    it is locked) and restarted: it loads its state from the state store instead of replaying
    ///    the chain, and rejoins.
    /// 2. A snapshot whose entries do not recompute its root is refused and writes nothing.
    /// 3. The observer's data directory is wiped and restored from the snapshot: the node starts
    ///    at the snapshot's height, syncs the blocks above it (the first confirms the snapshot's
    ///    state root) and reaches the validators' chain; blocks below the snapshot it never had.
    /// Returns the snapshot directory (for the caller's privacy scan).
    func restartFromStateAndJoinFromSnapshot(_ h: ClusterHarness) async throws -> String {
        let validator = "validator-4"
        let snapshotDir = h.dir + "/snapshots/\(validator)"
        let locked = try await creditchain(
            h, ["snapshot", "create", "--config", h.node("validator-1").config, "--out", snapshotDir + "-live"])
        #expect(locked.0 != 0 && locked.1.contains("storage.locked"), "snapshot of a running node: \(locked.1)")

        await h.stop(validator)
        let created = try await creditchain(
            h, ["snapshot", "create", "--config", h.node(validator).config, "--out", snapshotDir])
        #expect(created.0 == 0, "snapshot create: \(created.1)")
        let snapshotHeight = try StateSnapshotReader(path: snapshotDir + "/" + NodeSnapshot.stateFile).header.height
            .value
        #expect(snapshotHeight > 0)

        try h.restart(validator)
        let loaded = await h.eventually(timeout: .seconds(30)) {
            h.logTail(validator, bytes: 100_000).contains(
                "loaded the state at height \(snapshotHeight) from the state store")
        }
        #expect(loaded, "the restarted validator did not load its state: \(h.logTail(validator))")
        let rejoined = await h.eventually(timeout: .seconds(30)) {
            await h.height(validator) > snapshotHeight + 2
        }
        #expect(rejoined, "the restarted validator did not rejoin: \(h.logTail(validator))")

        // A tampered snapshot: the same header and anchor, one state value changed.
        let observer = try #require(h.manifest.nodes.first { $0.role == .observer }?.name)
        let observerConfig = try NodeConfig.load(path: h.node(observer).config)
        await h.stop(observer)
        try FileManager.default.removeItem(atPath: observerConfig.dataDir)
        let tampered = h.dir + "/snapshots/tampered"
        try FileManager.default.createDirectory(atPath: tampered, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: snapshotDir + "/" + NodeSnapshot.anchorFile, toPath: tampered + "/" + NodeSnapshot.anchorFile)
        let reader = try StateSnapshotReader(path: snapshotDir + "/" + NodeSnapshot.stateFile)
        var writes: [StateWrite] = []
        while let e = try reader.next() { writes.append(StateWrite(key: e.key, value: e.value)) }
        writes[writes.count / 2].value?.append(0x01)
        let forged = try StateStore(path: h.dir + "/snapshots/forged.sqlite")
        try forged.apply(height: reader.header.height, stateRoot: reader.header.stateRoot, writes: writes)
        try forged.exportSnapshot(to: tampered + "/" + NodeSnapshot.stateFile)
        try forged.close()
        let refused = try await creditchain(
            h, ["snapshot", "restore", "--config", h.node(observer).config, "--from", tampered])
        #expect(refused.0 != 0 && refused.1.contains("storage.state_root_mismatch"), "tampered: \(refused.1)")

        // The observer joins from the good snapshot.
        let restored = try await creditchain(
            h, ["snapshot", "restore", "--config", h.node(observer).config, "--from", snapshotDir])
        #expect(restored.0 == 0, "snapshot restore: \(restored.1)")
        try h.restart(observer)
        let confirmed = await h.eventually(timeout: .seconds(30)) {
            h.logTail(observer, bytes: 100_000).contains(
                "the snapshot's state root is confirmed by block \(snapshotHeight + 1)")
        }
        #expect(confirmed, "the observer did not confirm the snapshot: \(h.logTail(observer))")
        let target = await h.height("validator-1")
        let caughtUp = await h.eventually(timeout: .seconds(30)) { await h.height(observer) >= target }
        #expect(caughtUp, "the observer did not catch up to \(target): \(h.logTail(observer))")
        let token = try self.token(h, node: observer)
        let before = await h.get(h.node(observer).api + "/v1/blocks/1", token: token)
        #expect(before?.0 == 404, "a block below the snapshot")
        var hashes = Set<String>()
        for name in ["validator-1", observer] {
            guard
                let (code, body) = await h.get(
                    h.node(name).api + "/v1/blocks/\(target)", token: try self.token(h, node: name)),
                code == 200, let hash = Self.jsonField("hash", body)
            else { continue }
            hashes.insert(hash)
        }
        #expect(hashes.count == 1, "observer and validator disagree at \(target): \(hashes)")
        return snapshotDir
    }
}
