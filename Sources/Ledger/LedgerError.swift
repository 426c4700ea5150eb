/// The error every Ledger operation throws: a stable dotted `code` and a reason for people
/// (the same shape as `ChainCoreError`).
public struct LedgerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable, lowercase, dotted code, e.g. `certificate.no_quorum`.
    public let code: String
    /// What went wrong, for people.
    public let reason: String

    public init(code: String, reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code): \(reason)" }
}
