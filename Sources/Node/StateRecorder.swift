import ChainCore
import Foundation
import Ledger
import Storage
import Synchronization

/// Records committed blocks in the state store off the replica actor, in batches: the replica
/// actor hands a block over once it is durable in the block store and executed, releases the
/// block's waiters at once and goes on with consensus; the recorder writes the blocks queued so far
/// in ONE SQLite transaction (their writes merged in key order, their transactions in hash order)
/// once `batchBlocks` blocks or `batchTransactions` transactions are waiting, on a thread of its
/// own.
///
/// Why batches: every transaction puts rows at random places in the state store's B-trees (its
/// hash, its record, its subject's index), so a record of one block dirties one page per row and
/// writes it to the WAL, and again at the checkpoint. A batch of thousands of transactions sorted
/// by key dirties each page once. The state store still moves from one block boundary to a later
/// one atomically; a crash loses only the blocks not yet written (at most the backlog bound), which
/// the node replays from the block store on start, as it replays any block above the state store's
/// applied height.
///
/// Until its record commits, a block's transactions and state writes are served from memory
/// (`transaction(_:)`, `value(_:)`), so a client told "committed" reads its transaction and what it
/// wrote straight away. Memory is bounded by the batch limits.
///
/// A failed record (a full disk) keeps its blocks queued, stops further records and is reported
/// through the failure handler; `recordQueued()` retries. The host waits for the queue
/// (`settled()`) when more than `backlogTransactionsMax` transactions are waiting.
final class StateRecorder: Sendable {
    /// A committed block handed over for recording.
    struct Block: Sendable {
        var height: Height
        var execution: BlockExecution
        var transactionHashes: [Hash]
        var schedule: ValidatorSchedule?
    }

    /// Blocks collected for one record, with what they serve until it commits.
    private struct Batch {
        var blocks: [Block] = []
        /// Each transaction's first inclusion in these blocks.
        var transactions: [Hash: StateStore.TransactionLocation] = [:]
        /// Each key's last write in these blocks.
        var writes: [[UInt8]: [UInt8]?] = [:]
        var transactionCount = 0

        mutating func add(_ block: Block) {
            blocks.append(block)
            transactionCount += block.transactionHashes.count
            for (i, h) in block.transactionHashes.enumerated() where transactions[h] == nil {
                transactions[h] = StateStore.TransactionLocation(
                    hash: h, height: block.height, index: i,
                    result: i < block.execution.results.count
                        ? block.execution.results[i] : TransactionResult(code: "internal.result_missing"))
            }
            for w in block.execution.writes { writes[w.key] = .some(w.value) }
        }
    }

    /// Every critical section is O(1) or O(one block): the replica actor takes this lock on every
    /// commit, and must not wait on a record.
    private struct Pending {
        /// The batch being collected.
        var open = Batch()
        /// Batches handed to a record (oldest first): kept, and served, until their record
        /// commits; a failed record keeps them for the retry.
        var sealed: [Batch] = []
        var recordScheduled = false
        var failure: (any Error)?
        var onFailure: (@Sendable (any Error) -> Void)?

        mutating func seal() {
            guard !open.blocks.isEmpty else { return }
            sealed.append(open)
            open = Batch()
        }
    }

    let store: StateStore
    /// Where records run: a thread of its own. Not at a lower CPU priority: at nice +10 the
    /// thread, preempted inside one of this type's short critical sections, held up the replica
    /// actor's next `enqueue` until it ran again (p99 at 10 % load 64–82 ms instead of ~36 ms).
    private let worker = BackgroundThread(name: "creditchain.state-record")
    private let pending = Mutex(Pending())

    /// Transactions, or blocks, collected that start a record. Under full load 32 blocks hold
    /// thousands of transactions (the batch that pays); at a low rate a batch of 32 blocks is a
    /// small write every ~0.1 s. Batches of 1,024 blocks gave the same throughput but, at 160 tx/s,
    /// a burst of megabytes every ~4 s that stalled the safety-record and block-store fsyncs
    /// behind it (p99 60–130 ms instead of ~25 ms; BENCHMARKS.md).
    static let batchTransactions = 8_192
    static let batchBlocks = 32
    /// Transactions waiting for their record above which the host waits for the recorder.
    static let backlogTransactionsMax = 4 * batchTransactions

    init(store: StateStore) {
        self.store = store
    }

    /// Called (on the recorder's thread) with the error of a failed record.
    func setFailureHandler(_ handler: @escaping @Sendable (any Error) -> Void) {
        pending.withLock { $0.onFailure = handler }
    }

    /// Queues a committed block (heights ascending); a full batch starts a record.
    func enqueue(_ block: Block) {
        let schedule = pending.withLock { p -> Bool in
            p.open.add(block)
            guard p.open.transactionCount >= Self.batchTransactions || p.open.blocks.count >= Self.batchBlocks,
                p.failure == nil
            else { return false }
            p.seal()
            guard !p.recordScheduled else { return false }
            p.recordScheduled = true
            return true
        }
        if schedule { worker.async { _ = try? self.recordSealed(retrying: false) } }
    }

    /// Transactions queued or being recorded.
    var backlogTransactions: Int {
        pending.withLock { p in p.sealed.reduce(p.open.transactionCount) { $0 + $1.transactionCount } }
    }

    /// Returns once every record queued before the call has run (or failed).
    func settled() async { await worker.settled() }

    /// Ends the recorder's thread once its queued records have run (when the node stops).
    func close() { worker.close() }

    /// Records everything queued now, a partial batch included, clearing a past failure first:
    /// for a node resuming after a full disk or stopping. Blocks the calling thread until written.
    func recordQueued() throws {
        try worker.exclusive { try recordSealed(retrying: true) }
    }

    /// Records the sealed batches in one transaction (on the worker, or exclusive of it).
    private func recordSealed(retrying: Bool) throws {
        let batches = pending.withLock { p -> [Batch]? in
            p.recordScheduled = false
            if retrying {
                p.failure = nil
                p.seal()
            }
            guard p.failure == nil else { return nil }
            return p.sealed
        }
        guard let batches, !batches.isEmpty else { return }
        var blocks: [StateStore.AppliedBlock] = []
        for batch in batches {
            for b in batch.blocks {
                blocks.append(
                    StateStore.appliedBlock(
                        b.execution, transactionHashes: b.transactionHashes, at: b.height, schedule: b.schedule))
            }
        }
        do {
            try store.apply(blocks)
        } catch {
            let handler = pending.withLock { p -> (@Sendable (any Error) -> Void)? in
                p.failure = error
                return p.onFailure
            }
            if !retrying { handler?(error) }
            throw error
        }
        // Only this thread (or `exclusive` of it) removes sealed batches, and only from the front.
        pending.withLock { p in p.sealed.removeFirst(batches.count) }
    }

    /// Where and how a transaction was committed: from memory while its block's record is
    /// pending, else from the state store.
    func transaction(_ hash: Hash) throws -> StateStore.TransactionLocation? {
        let held = pending.withLock { p -> StateStore.TransactionLocation? in
            // Oldest first: a hash keeps its first inclusion.
            for batch in p.sealed { if let t = batch.transactions[hash] { return t } }
            return p.open.transactions[hash]
        }
        if let held { return held }
        return try store.transaction(hash: hash)
    }

    /// The committed value of a state entry: from memory while a pending record wrote it last.
    func value(_ key: [UInt8]) throws -> [UInt8]? {
        let held = pending.withLock { p -> [UInt8]?? in
            // Newest first: the last write counts.
            if let v = p.open.writes[key] { return v }
            for batch in p.sealed.reversed() { if let v = batch.writes[key] { return v } }
            return nil
        }
        if let held { return held }
        return try store.get(key)
    }
}
