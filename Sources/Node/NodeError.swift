/// The error every Node operation throws: a stable dotted `code` (the API reuses it as the
/// problem+json type) and a reason for people. Reasons never carry credit data or USCCs.
public struct NodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable, lowercase, dotted code, e.g. `mempool.busy`.
    public let code: String
    /// What went wrong, for people.
    public let reason: String

    public init(code: String, reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code): \(reason)" }
}
