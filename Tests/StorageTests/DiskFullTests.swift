import ChainCore
import ChainCrypto
import Foundation
import Ledger
import Testing

@testable import Storage

#if canImport(Glibc)
    import Glibc
#endif

/// Fills a real 2 MiB tmpfs: writes fail with `storage.disk_full`, reads keep working, nothing is
/// corrupted, and writes succeed again once space is freed.
///
/// Mounting needs root (CI runs as root). Without it these tests FAIL with a clear message rather
/// than skip, so a run that cannot exercise a full disk is never mistaken for one that did.
@Suite(.serialized) struct DiskFullTests {
    /// A mounted 2 MiB tmpfs holding a 1 MiB filler file; `free()` deletes the filler.
    struct SmallDisk {
        let path: String

        init() throws {
            guard getuid() == 0 else {
                Issue.record("the disk-full tests mount a tmpfs and need root (uid \(getuid())); run them as root")
                throw StorageError(code: "test.needs_root", reason: "mounting a tmpfs needs root")
            }
            path = TempDir("diskfull").path
            let mount = try SmallDisk.run("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", path])
            guard mount == 0 else {
                Issue.record("mount -t tmpfs failed (exit \(mount)); the disk-full tests need a mountable tmpfs")
                throw StorageError(code: "test.mount_failed", reason: "mount failed")
            }
            guard FileManager.default.createFile(atPath: path + "/filler", contents: Data(count: 1 << 20)) else {
                Issue.record("could not create the filler file on the tmpfs")
                throw StorageError(code: "test.filler", reason: "filler not created")
            }
        }

        func free() throws { try FileManager.default.removeItem(atPath: path + "/filler") }

        func unmount() {
            _ = try? SmallDisk.run("/bin/umount", [path])
            try? FileManager.default.removeItem(atPath: path)
        }

        static func run(_ tool: String, _ args: [String]) throws -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: tool)
            p.arguments = args
            try p.run()
            p.waitUntilExit()
            return p.terminationStatus
        }
    }

    @Test func blockStore() throws {
        let disk = try SmallDisk()
        defer { disk.unmount() }
        let store = try BlockStore(directory: disk.path + "/blocks", hasher: SHA256Hasher())
        let p = [UInt8](repeating: 0x33, count: 20_000)
        var h: UInt64 = 1
        var failure: StorageError?
        while h < 1000 {
            do {
                try store.append(height: Height(h), payload: p, sync: true)
                h += 1
            } catch let e as StorageError {
                failure = e
                break
            }
        }
        #expect(failure?.code == StorageError.diskFull)
        let last = h - 1
        #expect(last > 10)
        #expect(store.lastHeight == Height(last))
        // Still full: the retry fails the same way and leaves no partial entry.
        #expect(throws: StorageError.self) { try store.append(height: Height(h), payload: p, sync: true) }
        // Reads continue.
        for i in 1...last { #expect(try store.read(height: Height(i))?.payload == p) }

        try disk.free()
        try store.append(height: Height(h), payload: p, sync: true)
        try store.append(height: Height(h + 1), payload: p, sync: true)
        store.close()
        let reopened = try BlockStore(directory: disk.path + "/blocks", hasher: SHA256Hasher())
        #expect(reopened.openReport.truncatedTail == nil)
        #expect(reopened.lastHeight == Height(h + 1))
        try reopened.verify()
    }

    /// The safety file reserves both slots' space when it is created, so a full disk refuses a
    /// new store but never a save: a replica that has its file keeps its vote record durable.
    @Test func safetyStore() throws {
        let disk = try SmallDisk()
        defer { disk.unmount() }
        let store = try SafetyStore(directory: disk.path + "/safety")
        try store.save([1, 2, 3])
        // Use up the rest of the space.
        let hog = disk.path + "/hog"
        #expect(FileManager.default.createFile(atPath: hog, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: hog))
        while (try? handle.write(contentsOf: Data(count: 64 << 10))) != nil {}
        try? handle.close()
        try store.save([UInt8](repeating: 9, count: 60_000))
        #expect(try store.load() == [UInt8](repeating: 9, count: 60_000))
        let e = #expect(throws: StorageError.self) { try SafetyStore(directory: disk.path + "/other") }
        #expect(e?.code == StorageError.diskFull)
        try FileManager.default.removeItem(atPath: hog)
        try store.save([4, 5])
        #expect(try store.load() == [4, 5])
    }

    @Test func stateStore() throws {
        let disk = try SmallDisk()
        defer { disk.unmount() }
        let path = disk.path + "/state/state.sqlite"
        let store = try StateStore(path: path)
        func block(_ h: UInt64) -> [StateWrite] {
            (0..<100).map { (i: Int) -> StateWrite in
                StateWrite(
                    key: [UInt8(h % 256), UInt8(h / 256), UInt8(i)],
                    value: [UInt8](repeating: UInt8(h % 256), count: 200))
            }
        }
        var h: UInt64 = 1
        var failure: StorageError?
        while h < 1000 {
            do {
                try store.apply(
                    height: Height(h), stateRoot: Hash(w0: h, w1: 0, w2: 0, w3: 0), writes: block(h),
                    transactions: [.init(hash: Hash(w0: h, w1: 1, w2: 1, w3: 1), result: .ok)])
                h += 1
            } catch let e as StorageError {
                failure = e
                break
            }
        }
        #expect(failure?.code == StorageError.diskFull)
        let last = h - 1
        #expect(last >= 3)
        // The failed block left nothing behind; earlier state reads fine.
        #expect(try store.appliedHeight() == Height(last))
        #expect(try store.get([UInt8(h % 256), UInt8(h / 256), 0]) == nil)
        #expect(try store.transaction(hash: Hash(w0: h, w1: 1, w2: 1, w3: 1)) == nil)
        #expect(
            try store.get([UInt8(last % 256), UInt8(last / 256), 99])
                == Array(repeating: UInt8(last % 256), count: 200))

        try disk.free()
        try store.apply(height: Height(h), stateRoot: Hash(w0: h, w1: 0, w2: 0, w3: 0), writes: block(h))
        #expect(try store.appliedHeight() == Height(h))
        let check = try store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
        #expect(check == "ok")
        try store.close()
        let reopened = try StateStore(path: path)
        #expect(try reopened.appliedHeight() == Height(h))
        try reopened.close()
    }
}
