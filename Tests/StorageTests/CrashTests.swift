import ChainCore
import ChainCrypto
import Foundation
import Testing

@testable import Storage

#if canImport(Glibc)
    import Glibc
#endif

/// Kills a writer process with SIGKILL in the middle of its write loop, then checks that
/// everything it acknowledged (printed after a sync or a commit) survived and that reopening the
/// store is clean. The writer is the `storage-bench` executable built next to the test bundle.
@Suite(.serialized) struct CrashTests {
    /// The `storage-bench` binary beside the test bundle; a missing binary fails the test.
    static func writerBinary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["STORAGE_BENCH_BIN"] { return path }
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // The test binary may sit inside a `.xctest` bundle directory.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("storage-bench").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        Issue.record("storage-bench executable not found near \(exe); build it or set STORAGE_BENCH_BIN")
        throw StorageError(code: "test.missing_binary", reason: "storage-bench not found")
    }

    /// Runs `arguments`, reads its "ack N" lines until at least `acks` arrived, kills it with
    /// SIGKILL, and returns the highest acknowledged height.
    static func runAndKill(_ arguments: [String], acks: Int) throws -> UInt64 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try writerBinary())
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        var highest: UInt64 = 0
        var count = 0
        var pending = ""
        let handle = pipe.fileHandleForReading
        while count < acks {
            let data = handle.availableData
            if data.isEmpty { break }  // the child exited
            pending += String(decoding: data, as: UTF8.self)
            while let nl = pending.firstIndex(of: "\n") {
                let line = pending[..<nl]
                pending = String(pending[pending.index(after: nl)...])
                if line.hasPrefix("ack "), let h = UInt64(line.dropFirst(4)) {
                    highest = max(highest, h)
                    count += 1
                }
            }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // Acks printed after the kill decision but before the kill also count.
        let rest = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        for line in rest.split(separator: "\n") where line.hasPrefix("ack ") {
            if let h = UInt64(line.dropFirst(4)) { highest = max(highest, h) }
        }
        #expect(count >= acks, "the writer stopped early (exit \(process.terminationStatus))")
        #expect(process.terminationReason == .uncaughtSignal)
        return highest
    }

    /// Same payload as the writer's `crashPayload`.
    static func crashPayload(_ height: UInt64) -> [UInt8] {
        let size = 200 + Int(height % 1800)
        return (0..<size).map { UInt8(truncatingIfNeeded: UInt64($0) &* 31 &+ height &* 7) }
    }

    @Test(arguments: [1, 16])
    func blockStoreKeepsEveryAcknowledgedEntry(group: Int) throws {
        let dir = TempDir("crash-blocks")
        defer { dir.remove() }
        var acknowledged: UInt64 = 0
        for round in 0..<3 {
            let acked = try Self.runAndKill(
                ["crash-blocks", dir.path, "--group", String(group)], acks: 150 / group + 20)
            #expect(acked > acknowledged, "round \(round) made progress")
            acknowledged = acked
            let store = try BlockStore(
                directory: dir.path, hasher: SHA256Hasher(), options: BlockStore.Options(segmentBytesMax: 256 << 10))
            let last = try #require(store.lastHeight)
            #expect(last.value >= acknowledged)
            #expect(store.firstHeight == Height(1))
            for h in 1...last.value {
                #expect(try store.read(height: Height(h))?.payload == Self.crashPayload(h), "height \(h)")
            }
            store.close()
        }
    }

    @Test func stateStoreSitsAtABlockBoundaryAfterKill() throws {
        let dir = TempDir("crash-state")
        defer { dir.remove() }
        var acknowledged: UInt64 = 0
        for _ in 0..<3 {
            acknowledged = max(acknowledged, try Self.runAndKill(["crash-state", dir.path], acks: 60))
            let store = try StateStore(path: dir.file("state.sqlite"))
            let applied = try #require(try store.applied())
            let a = applied.height.value
            #expect(a >= acknowledged)
            #expect(applied.stateRoot == Hash(w0: a, w1: 0, w2: 0, w3: 0))
            var e = CanonicalEncoder()
            e.u64(a)
            // Every key block `a` wrote holds its value; nothing of block a + 1 is there.
            #expect(try store.get([0]) == e.bytes)
            for i in 0..<50 { #expect(try store.get([3, UInt8(i)]) == e.bytes) }
            #expect(try store.get([2] + e.bytes) == [1])
            var next = CanonicalEncoder()
            next.u64(a + 1)
            #expect(try store.get([2] + next.bytes) == nil)
            #expect(try store.scan(prefix: [2], limit: 100_000).count == Int(a))
            try store.close()
        }
    }
}
