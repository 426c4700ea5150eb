import Dispatch
import Storage

/// The consensus core's I/O effects — safety-record saves and messages to validators — performed
/// in the core's order on one serial queue, off the replica actor.
///
/// The order is what safety needs: a message leaves only after every save queued before it is
/// durable, so no vote leaves before the record it depends on. Running them off the actor lets it
/// go on meanwhile (executing the block just voted on, counting votes that arrived), so a save's
/// `fdatasync` no longer holds up the actor; a next leader's own vote is saved while the other
/// votes come in. After a failed save nothing queued behind it is performed, and nothing queued
/// later, until `resume()`.
final class ConsensusOutbox: @unchecked Sendable {
    private let queue = DispatchQueue(label: "creditchain.consensus-outbox")
    /// Confined to `queue`.
    private var failed = false

    /// One queued effect.
    enum Operation: Sendable {
        /// Save a safety record.
        case save([UInt8])
        /// Send messages.
        case send(@Sendable () -> Void)
    }

    /// Queues `operations` as one item, in order: each send waits for every save before it; after
    /// a failed save nothing more is performed, and `onFailure` runs (on the queue).
    func submit(
        _ operations: [Operation], store: SafetyStore, metrics: NodeMetrics,
        onFailure: @escaping @Sendable (any Error) -> Void
    ) {
        guard !operations.isEmpty else { return }
        queue.async {
            for operation in operations {
                guard !self.failed else { return }
                switch operation {
                case .save(let bytes):
                    let start = ContinuousClock.now
                    do {
                        try store.save(bytes)
                        metrics.fsyncDuration.record(ContinuousClock.now - start)
                    } catch {
                        self.failed = true
                        onFailure(error)
                    }
                case .send(let body):
                    body()
                }
            }
        }
    }

    /// Waits (blocking the caller briefly) until everything queued so far is done; true when a
    /// save has failed. The caller reads the safety record only after this.
    func settle() -> Bool { queue.sync { failed } }

    /// Waits without blocking a thread until everything queued so far is done.
    func settled() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in queue.async { c.resume() } }
    }

    /// Accepts work again after a failed save (the node resumes from the durable record).
    func resume() { queue.sync { failed = false } }
}
