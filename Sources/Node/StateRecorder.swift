import ChainCore
import Foundation
import Ledger
import Storage
import Synchronization

/// Records committed blocks in the state store off the replica actor, in batches: the replica
/// actor hands a block over once it is durable in the block store and executed, releases the
/// block's waiters at once and goes on with consensus; the recorder writes the blocks queued so far
/// in ONE SQLite transaction (their writes merged in key order, their transactions in hash order)
/// once `batchTransactions` transactions or `batchBlocks` blocks are waiting, on its own serial
/// queue.
///
/// Why batches: every transaction puts rows at random places in the state store's B-trees (its
/// hash, its record, its subject's index), so a record of one block dirties one page per row and
/// writes it to the WAL, and again at the checkpoint. A batch of thousands of transactions sorted
/// by key dirties each page once. The state store still moves from one block boundary to a later
/// one atomically; a crash loses at most the batch being collected, which the node replays from
/// the block store on start, as it replays any block above the state store's applied height.
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

    private struct Pending {
        /// Blocks not yet taken by a record, ascending.
        var queued: [Block] = []
        /// Transactions of queued and in-flight blocks.
        var transactions: [Hash: StateStore.TransactionLocation] = [:]
        /// The latest write of each key in queued and in-flight blocks, with its block's height.
        var writes: [[UInt8]: (height: Height, value: [UInt8]?)] = [:]
        /// Transactions in the queued and in-flight blocks, and in the queued ones alone.
        var transactionCount = 0
        var queuedTransactions = 0
        var recordScheduled = false
        var failure: (any Error)?
        var onFailure: (@Sendable (any Error) -> Void)?
    }

    let store: StateStore
    private let queue = DispatchQueue(label: "creditchain.state-record")
    private let pending = Mutex(Pending())

    /// Transactions, or blocks, waiting that start a record.
    static let batchTransactions = 8_192
    static let batchBlocks = 1_024
    /// Transactions waiting for their record above which the host waits for the recorder.
    static let backlogTransactionsMax = 4 * batchTransactions

    init(store: StateStore) {
        self.store = store
    }

    /// Called (on the recorder's queue) with the error of a failed record.
    func setFailureHandler(_ handler: @escaping @Sendable (any Error) -> Void) {
        pending.withLock { $0.onFailure = handler }
    }

    /// Queues a committed block (heights ascending); a full batch starts a record.
    func enqueue(_ block: Block) {
        let schedule = pending.withLock { p -> Bool in
            p.queued.append(block)
            p.transactionCount += block.transactionHashes.count
            p.queuedTransactions += block.transactionHashes.count
            for (i, h) in block.transactionHashes.enumerated() where p.transactions[h] == nil {
                p.transactions[h] = StateStore.TransactionLocation(
                    hash: h, height: block.height, index: i,
                    result: i < block.execution.results.count
                        ? block.execution.results[i] : TransactionResult(code: "internal.result_missing"))
            }
            for w in block.execution.writes { p.writes[w.key] = (block.height, w.value) }
            guard p.queuedTransactions >= Self.batchTransactions || p.queued.count >= Self.batchBlocks,
                p.failure == nil, !p.recordScheduled
            else { return false }
            p.recordScheduled = true
            return true
        }
        if schedule { queue.async { _ = try? self.recordTaken(retrying: false) } }
    }

    /// Transactions queued or being recorded.
    var backlogTransactions: Int { pending.withLock { $0.transactionCount } }

    /// Returns once every record queued before the call has run (or failed).
    func settled() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in queue.async { c.resume() } }
    }

    /// Records everything queued now, a partial batch included, clearing a past failure first:
    /// for a node resuming after a full disk or stopping. Blocks the calling thread until written.
    func recordQueued() throws {
        try queue.sync { try recordTaken(retrying: true) }
    }

    /// Takes the queued blocks and records them in one transaction (on `queue`).
    private func recordTaken(retrying: Bool) throws {
        let taken = pending.withLock { p -> [Block]? in
            p.recordScheduled = false
            if retrying { p.failure = nil }
            guard p.failure == nil else { return nil }
            let t = p.queued
            p.queued.removeAll(keepingCapacity: true)
            p.queuedTransactions = 0
            return t
        }
        guard let taken, let last = taken.last else { return }
        do {
            try store.apply(
                taken.map {
                    StateStore.appliedBlock(
                        $0.execution, transactionHashes: $0.transactionHashes, at: $0.height, schedule: $0.schedule)
                })
        } catch {
            let handler = pending.withLock { p -> (@Sendable (any Error) -> Void)? in
                p.queued.insert(contentsOf: taken, at: 0)
                p.queuedTransactions += taken.reduce(0) { $0 + $1.transactionHashes.count }
                p.failure = error
                return p.onFailure
            }
            if !retrying { handler?(error) }
            throw error
        }
        pending.withLock { p in
            for b in taken {
                p.transactionCount -= b.transactionHashes.count
                for h in b.transactionHashes where p.transactions[h]?.height == b.height {
                    p.transactions[h] = nil
                }
                for w in b.execution.writes where p.writes[w.key].map({ $0.height <= last.height }) ?? false {
                    p.writes[w.key] = nil
                }
            }
        }
    }

    /// Where and how a transaction was committed: from memory while its block's record is
    /// pending, else from the state store.
    func transaction(_ hash: Hash) throws -> StateStore.TransactionLocation? {
        if let t = pending.withLock({ $0.transactions[hash] }) { return t }
        return try store.transaction(hash: hash)
    }

    /// The committed value of a state entry: from memory while a pending record wrote it last.
    func value(_ key: [UInt8]) throws -> [UInt8]? {
        if let w = pending.withLock({ $0.writes[key] }) { return w.value }
        return try store.get(key)
    }
}
