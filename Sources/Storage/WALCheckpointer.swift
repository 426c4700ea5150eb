import Dispatch
import GRDB
import Logging
import Synchronization

/// Copies the state store's write-ahead log into the database file in the background, on a
/// connection and thread of its own, so a block's commit never waits for it.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold: with every
/// block rewriting a few hundred pages, that stalled the replica's commit (and the votes behind
/// it) for tens of milliseconds every few blocks. Here every `every` commits a checkpoint
/// starts when none is running: PASSIVE passes, which copy what no reader still needs and never
/// block the writer or readers, repeated (a few at most) until every frame is copied. Once the log
/// is wholly copied, the writer's next transaction starts it again from the beginning, so it stays
/// bounded. A failed checkpoint (a full disk, say) is only logged: the next one copies the same
/// frames.
final class WALCheckpointer: Sendable {
    /// The writer's own automatic checkpoint threshold, in pages: a backstop if the background
    /// checkpoints fall behind (64 MiB of log).
    static let backstopPages = 16_384
    /// The log file is cut back to this size when it starts over (SQLite reuses it otherwise, at
    /// whatever size it once reached).
    static let logBytesKept = 32 << 20
    /// Most PASSIVE passes of one checkpoint.
    static let passesMax = 8

    private let connection: DatabaseQueue
    private let queue = DispatchQueue(label: "creditchain.state.checkpoint")
    private let state = Mutex<(inFlight: Bool, commits: Int, closed: Bool)>((false, 0, false))
    private let every: Int
    private let logger: Logger

    init(path: String, every: Int = 16, logger: Logger) throws {
        precondition(every > 0)
        var config = Configuration()
        config.label = "creditchain.state.checkpoint"
        connection = try DatabaseQueue(path: path, configuration: config)
        self.every = every
        self.logger = logger
    }

    /// Counts a commit and starts a checkpoint every `every` commits unless one is running.
    func noteCommit() {
        let start = state.withLock { s -> Bool in
            s.commits += 1
            guard !s.closed, !s.inFlight, s.commits >= every else { return false }
            s.inFlight = true
            s.commits = 0
            return true
        }
        guard start else { return }
        queue.async { [self] in
            do {
                try connection.writeWithoutTransaction { db in
                    // Commits that land during a pass leave frames behind, and the log only
                    // starts over once every frame is copied: follow up with short passes.
                    for _ in 0..<Self.passesMax {
                        guard let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") else { break }
                        let logFrames: Int = row[1]
                        let copiedFrames: Int = row[2]
                        if copiedFrames >= logFrames { break }
                    }
                }
            } catch {
                logger.debug("state WAL checkpoint failed; the next one retries", metadata: ["error": "\(error)"])
            }
            state.withLock { $0.inFlight = false }
        }
    }

    /// Waits for a running checkpoint and closes the connection.
    func close() {
        state.withLock { $0.closed = true }
        queue.sync {}
        try? connection.close()
    }
}
