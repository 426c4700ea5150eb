import ChainCore
import Ledger

/// Everything the client API needs from a running node. The API owns no chain state: each route
/// is decode → one call here → encode, so the node (which implements this protocol) stays the
/// single owner of its replica, and the HTTP layer can be tested against a test double.
///
/// Values cross this boundary as plain DTOs (hex strings, numbers) rather than Ledger types, so
/// the wire format is fixed here and does not change when a Ledger type gains a field.
public protocol NodeAccess: Sendable {
    /// The node's view of the chain: height, round, peers, validator set, sync state, identity.
    func status() async throws -> NodeStatus

    /// Liveness and readiness, for `/healthz` (cheap: probes call it often).
    func health() async -> NodeHealth

    /// The Prometheus text exposition of the node's metrics.
    func metricsText() async -> String

    /// Admits a signed transaction to the mempool and returns its hash
    /// (`TransactionEnvelope.hash(using:)`).
    ///
    /// `canonicalBytes` are the envelope's canonical encoding, already decoded once by the API
    /// into `envelope`; both are passed so the node neither re-encodes nor re-decodes them.
    /// Admission failures are typed (`SubmissionRejection`), so the API can map each to its
    /// stable problem code and HTTP status.
    func submit(_ envelope: TransactionEnvelope, canonicalBytes: [UInt8]) async throws(SubmissionRejection) -> Hash

    /// Waits until the transaction `hash` is committed, at most `timeout`; nil when the timeout
    /// passes first. Returns at once when it is already committed.
    func waitForCommit(_ hash: Hash, timeout: Duration) async throws -> TransactionView?

    /// Looks a transaction up; `status` is `.unknown` when the node has never seen it (or it
    /// left the mempool uncommitted).
    func transaction(_ hash: Hash) async throws -> TransactionView

    /// The committed block at `height` (header, commit certificate, transaction hashes); nil
    /// above the node's committed height.
    func block(at height: Height) async throws -> BlockView?
}
