import Foundation
import Node
import Storage
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A validator whose disk fills up during load: it stops committing and admitting with a clear
/// log line and error, keeps serving reads while the other three go on, and resumes by itself —
/// catching up and recording every block — once space returns. Its data directory is a real small
/// tmpfs (mounting needs root, as in the storage disk-full tests: without it this test fails
/// rather than skips).
extension MultiProcessTests {
    func run(_ h: ClusterHarness, _ tool: String, _ args: [String]) async throws -> Int32 {
        try await LocalProcess.run(executable: tool, arguments: args, logPath: h.dir + "-tools.log")
    }

    @Test func aFullDiskPausesOneValidatorWhichResumesWhenSpaceReturns() async throws {
        try #require(getuid() == 0, "mounting a tmpfs needs root (uid \(getuid()))")
        let h = try await ClusterHarness(validators: 4)
        defer { h.killAll() }
        let name = "validator-4"
        let tokens = try await acceptedTokens(h)

        // Move validator-4's data directory onto a 16 MiB tmpfs and fill it to ~256 KiB free.
        await h.stop(name)
        let data = try NodeConfig.load(path: h.node(name).config).dataDir
        try FileManager.default.moveItem(atPath: data, toPath: data + ".orig")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: false)
        #expect(try await run(h, "/bin/mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", data]) == 0)
        defer { _ = umount2(data, Int32(MNT_DETACH)) }
        #expect(try await run(h, "/bin/cp", ["-a", data + ".orig/.", data + "/"]) == 0)
        let free = try #require(FreeSpace.bytesAvailable(at: data))
        let fillerSize = Int(free) - (256 << 10)
        try #require(fillerSize > 0)
        #expect(FileManager.default.createFile(atPath: data + "/filler", contents: Data(count: fillerSize)))
        try h.restart(name)

        let acks = h.dir + "-acks"
        let load = try h.startLoad(seconds: 600, clients: 8, ackLog: acks)
        defer { LocalProcess.signal(load, SIGKILL) }
        let full = await h.eventually(timeout: .seconds(90)) {
            h.logTail(name, bytes: 200_000).contains("storage failure: storage.disk_full")
        }
        #expect(full, "validator-4 never reported a full disk: \(h.logTail(name))")

        // Paused: not ready, refuses transactions with node.disk_full, still serves reads.
        let health = await h.get(h.node(name).api + "/healthz")
        #expect(health.map { String(decoding: $0.1, as: UTF8.self) }?.contains("disk_full") == true)
        let refused = await h.post(h.node(name).api + "/v1/transactions", body: [1, 2, 3], token: tokens[name] ?? "")
        #expect(refused?.0 == 503 || refused?.0 == 400, "a submission while the disk is full: \(refused?.0 ?? 0)")
        #expect(await h.status(name) != nil, "reads stopped on the full node")
        let pausedAt = await h.height(name)
        let others = await h.height("validator-1")
        let othersGoOn = await h.eventually(timeout: .seconds(30)) { await h.height("validator-1") > others + 10 }
        #expect(othersGoOn, "the other validators stopped committing")
        #expect(await h.height(name) <= pausedAt + 1, "the full node kept committing")

        // Space returns: it resumes by itself and catches up.
        try FileManager.default.removeItem(atPath: data + "/filler")
        let resumed = await h.eventually(timeout: .seconds(30)) {
            h.logTail(name, bytes: 200_000).contains("storage writable again")
        }
        #expect(resumed, "validator-4 did not resume: \(h.logTail(name))")
        let target = await h.height("validator-1")
        let caughtUp = await h.eventually(timeout: .seconds(60)) { await h.height(name) >= target }
        #expect(caughtUp, "validator-4 did not catch up to \(target): \(h.logTail(name))")
        let ready = await h.eventually(timeout: .seconds(30)) {
            await h.get(h.node(name).api + "/healthz").map { String(decoding: $0.1, as: UTF8.self) }?
                .contains("\"ready\":true") == true
        }
        #expect(ready, "validator-4 is not ready again")

        // Every acknowledged transaction is committed on the node that filled up.
        LocalProcess.signal(load, SIGKILL)
        try await Task.sleep(for: .seconds(2))
        let hashes = ((try? String(contentsOfFile: acks, encoding: .utf8)) ?? "").split(separator: "\n").map(
            String.init)
        #expect(hashes.count > 20, "the load acknowledged only \(hashes.count) transactions")
        let settled = await h.eventually(timeout: .seconds(30)) {
            await h.height(name) >= (await h.height("validator-1"))
        }
        #expect(settled)
        var missing = 0
        for hash in hashes {
            let r = await h.get(h.node(name).api + "/v1/transactions/\(hash)", token: tokens[name])
            if !(r?.0 == 200 && String(decoding: r?.1 ?? [], as: UTF8.self).contains("\"committed\"")) { missing += 1 }
        }
        #expect(missing == 0, "\(missing) of \(hashes.count) acknowledged transactions are not committed on \(name)")
        await h.shutdown()
    }
}
