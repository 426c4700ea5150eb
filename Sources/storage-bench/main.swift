// storage-bench: measures the Storage module (BENCHMARKS.md, "Storage") and serves as the
// child process of the Storage crash tests, which kill it with SIGKILL in the middle of writing.
//
//   storage-bench bench [--dir DIR] [--entries N] [--payload BYTES] [--group N] [--blocks N] [--hash sm3]
//   storage-bench crash-blocks DIR [--group N]   append forever; print "ack H" once H is durable
//   storage-bench crash-state DIR                 apply blocks forever; print "ack H" after each
import ChainCore
import ChainCrypto
import Foundation
import Glibc
import Ledger
import Logging
import Storage

/// The payload the crash writer stores at `height`; the test recomputes it to check content.
func crashPayload(_ height: UInt64) -> [UInt8] {
    let size = 200 + Int(height % 1800)
    return (0..<size).map { UInt8(truncatingIfNeeded: UInt64($0) &* 31 &+ height &* 7) }
}

func option(_ name: String, _ args: [String], default value: Int) -> Int {
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return value }
    return v
}

func optionString(_ name: String, _ args: [String]) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

func say(_ line: String) {
    // Unbuffered, so every "ack" line reaches the parent before the next write starts.
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func quietLogger() -> Logger {
    var l = Logger(label: "storage-bench")
    l.logLevel = .critical
    return l
}

/// Appends forever; after each durable point prints the highest durable height.
func crashBlocks(_ dir: String, group: Int) throws -> Never {
    let store = try BlockStore(
        directory: dir, hasher: SHA256Hasher(), options: BlockStore.Options(segmentBytesMax: 256 << 10))
    say("open last=\(store.lastHeight.map { String($0.value) } ?? "none")")
    var h = (store.lastHeight?.value ?? 0) + 1
    while true {
        for _ in 0..<group {
            try store.append(height: Height(h), payload: crashPayload(h))
            h += 1
        }
        try store.sync()
        say("ack \(h - 1)")
    }
}

/// Applies block after block: block h sets the counter key to h, 50 shared keys to h and one
/// key of its own, so a reader can tell exactly which blocks a state contains.
func crashState(_ dir: String) throws -> Never {
    let store = try StateStore(path: dir + "/state.sqlite", logger: quietLogger())
    var h = (try store.appliedHeight()?.value ?? 0) + 1
    say("open applied=\(h - 1)")
    while true {
        var e = CanonicalEncoder()
        e.u64(h)
        var writes = [StateWrite(key: [0], value: e.bytes), StateWrite(key: [2] + e.bytes, value: [1])]
        for i in 0..<50 { writes.append(StateWrite(key: [3, UInt8(i)], value: e.bytes)) }
        try store.apply(height: Height(h), stateRoot: Hash(w0: h, w1: 0, w2: 0, w3: 0), writes: writes)
        say("ack \(h)")
        h += 1
    }
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func bench(_ args: [String]) throws {
    let base = optionString("--dir", args) ?? FileManager.default.temporaryDirectory.path
    let dir = base + "/storage-bench-\(ProcessInfo.processInfo.processIdentifier)"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let entries = option("--entries", args, default: 2000)
    let size = option("--payload", args, default: 1024)
    let group = option("--group", args, default: 64)
    let blocks = option("--blocks", args, default: 30)
    let hasher: any ChainHasher = optionString("--hash", args) == "sm3" ? SM3Hasher() : SHA256Hasher()
    let clock = ContinuousClock()
    let payload = [UInt8](repeating: 0x5A, count: size)
    say("storage bench: dir \(base), payload \(size) B, entry hash \(hasher is SM3Hasher ? "SM3" : "SHA-256")")

    // 0. The device's floor: raw pwrite + fdatasync of the same bytes, no store.
    do {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let fd = open(dir + "/raw", O_RDWR | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw StorageError(code: StorageError.io, reason: "open raw") }
        let bytes = [UInt8](repeating: 0x5A, count: size + 57)
        var offset = 0
        let start = clock.now
        for _ in 0..<entries {
            _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
            offset += bytes.count
            fdatasync(fd)
        }
        let t = seconds(clock.now - start)
        close(fd)
        say(
            String(
                format: "raw pwrite + fdatasync (no store): %.0f/s (%.3f ms each)", Double(entries) / t,
                t * 1000 / Double(entries)))
    }
    // 1. fsync per entry.
    do {
        let store = try BlockStore(directory: dir + "/blocks-each", hasher: hasher, logger: quietLogger())
        let start = clock.now
        for h in 1...entries { try store.append(height: Height(UInt64(h)), payload: payload, sync: true) }
        let t = seconds(clock.now - start)
        say(
            String(
                format: "block store, fsync per entry: %d appends in %.2f s = %.0f appends/s (%.3f ms each)", entries,
                t, Double(entries) / t, t * 1000 / Double(entries)))
    }
    // 2. group commit.
    do {
        let n = entries * 10
        let store = try BlockStore(directory: dir + "/blocks-group", hasher: hasher, logger: quietLogger())
        let start = clock.now
        var h = 1
        while h <= n {
            for _ in 0..<group where h <= n {
                try store.append(height: Height(UInt64(h)), payload: payload)
                h += 1
            }
            try store.sync()
        }
        let t = seconds(clock.now - start)
        say(
            String(
                format: "block store, group commit of %d: %d appends in %.2f s = %.0f appends/s", group, n, t,
                Double(n) / t))
        // Reads (verified: checksum and hash) of what was written.
        let readStart = clock.now
        for h in 1...n { _ = try store.read(height: Height(UInt64(h))) }
        let rt = seconds(clock.now - readStart)
        say(String(format: "block store, verified reads: %.0f reads/s", Double(n) / rt))
    }
    // 3. Safety record saves (one slot of a preallocated file, fdatasync).
    do {
        let safety = try SafetyStore(directory: dir + "/safety", logger: quietLogger())
        let record = [UInt8](repeating: 7, count: 600)
        let n = max(entries / 4, 1)
        let start = clock.now
        for _ in 0..<n { try safety.save(record) }
        let t = seconds(clock.now - start)
        say(
            String(
                format: "safety store: %d saves of 600 B in %.2f s = %.0f saves/s (%.3f ms each)", n, t, Double(n) / t,
                t * 1000 / Double(n)))
    }
    // 4. SQLite apply of 1,000-write blocks.
    for sync in [StateStore.Synchronous.normal, .full] {
        let store = try StateStore(
            path: dir + "/state-\(sync.rawValue).sqlite", options: StateStore.Options(synchronous: sync),
            logger: quietLogger())
        var total = Duration.zero
        var worst = Duration.zero
        for b in 1...blocks {
            var writes: [StateWrite] = []
            writes.reserveCapacity(1000)
            for i in 0..<1000 {
                // 32-byte keys spread over the key space (new keys and overwrites), 100-byte values.
                let k = SHA256Hasher().digest([UInt8(truncatingIfNeeded: b % 4), UInt8(i % 256), UInt8(i / 256)])
                writes.append(StateWrite(key: k.bytes, value: [UInt8](repeating: UInt8(b % 256), count: 100)))
            }
            let txs = (0..<100).map {
                StateStore.AppliedTransaction(
                    hash: SHA256Hasher().digest([UInt8(b % 256), UInt8(b / 256), UInt8($0)]), result: .ok)
            }
            let start = clock.now
            try store.apply(
                height: Height(UInt64(b)), stateRoot: Hash(w0: UInt64(b), w1: 0, w2: 0, w3: 0), writes: writes,
                transactions: txs)
            let d = clock.now - start
            total += d
            worst = max(worst, d)
        }
        say(
            String(
                format:
                    "state store (synchronous=%@): apply of a 1,000-write + 100-tx block: mean %.2f ms, max %.2f ms over %d blocks",
                sync.rawValue, seconds(total) * 1000 / Double(blocks), seconds(worst) * 1000, blocks))
        try store.close()
    }
}

let args = Array(CommandLine.arguments.dropFirst())
do {
    switch args.first {
    case "crash-blocks" where args.count >= 2:
        try crashBlocks(args[1], group: option("--group", args, default: 1))
    case "crash-state" where args.count >= 2:
        try crashState(args[1])
    case "bench":
        try bench(args)
    default:
        FileHandle.standardError.write(
            Data("usage: storage-bench bench [--dir DIR] | crash-blocks DIR [--group N] | crash-state DIR\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("storage-bench: \(error)\n".utf8))
    exit(1)
}
