/// Why the node refused to admit a transaction: a stable dotted `code` (the API's problem code),
/// a human `detail`, and for transient refusals how long the client should wait before retrying.
///
/// Application prechecks reuse their own result codes (e.g. `consent.expired`) through
/// `init(code:detail:)`; the codes below are the node's own.
public struct SubmissionRejection: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable dotted code, e.g. `tx.bad_signature`.
    public var code: String
    /// What went wrong, for people; never carries credit data.
    public var detail: String
    /// Seconds to wait before retrying; set for transient refusals (busy, not ready).
    public var retryAfterSeconds: Int?

    public init(code: String, detail: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.detail = detail
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(code): \(detail)" }

    /// The envelope does not decode or breaks an envelope limit.
    public static func malformed(_ detail: String) -> Self { .init(code: "tx.malformed", detail: detail) }
    /// The signature does not verify under the signer's registered key.
    public static func badSignature(_ detail: String = "the signature does not verify") -> Self {
        .init(code: "tx.bad_signature", detail: detail)
    }
    /// The signer is not an active member, or its key is unknown.
    public static func unknownSigner(_ detail: String) -> Self { .init(code: "tx.unknown_signer", detail: detail) }
    /// The envelope names another suite than the consortium's.
    public static func wrongSuite(_ detail: String) -> Self { .init(code: "tx.wrong_suite", detail: detail) }
    /// The expiry height has passed.
    public static func expired(_ detail: String) -> Self { .init(code: "tx.expired", detail: detail) }
    /// The unique id (or the whole transaction) was already admitted or committed.
    public static func duplicate(_ detail: String) -> Self { .init(code: "tx.duplicate", detail: detail) }
    /// The mempool is full; the client should retry later (HTTP 429 with Retry-After).
    public static func busy(retryAfterSeconds: Int = 1) -> Self {
        .init(code: "mempool.busy", detail: "the mempool is full", retryAfterSeconds: retryAfterSeconds)
    }
    /// The node's disk is full: it commits nothing and admits nothing until space returns (it
    /// resumes by itself), but keeps serving reads; HTTP 503.
    public static func diskFull(_ detail: String, retryAfterSeconds: Int = 10) -> Self {
        .init(code: "node.disk_full", detail: detail, retryAfterSeconds: retryAfterSeconds)
    }
    /// The node cannot admit now (catching up, shutting down, a storage fault); HTTP 503.
    public static func notReady(_ detail: String, retryAfterSeconds: Int = 5) -> Self {
        .init(code: "node.not_ready", detail: detail, retryAfterSeconds: retryAfterSeconds)
    }
}
