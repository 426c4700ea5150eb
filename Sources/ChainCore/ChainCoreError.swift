/// The error every ChainCore operation throws: a stable dotted `code` (reused by the API as the
/// problem+json type), the `field` it concerns when there is one, and a human-readable reason.
public struct ChainCoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable, lowercase, dotted code, e.g. `codec.length_exceeded`.
    public let code: String
    /// The field being decoded or validated, when the error concerns one.
    public let field: String?
    /// What went wrong, for people.
    public let reason: String

    public init(code: String, field: String? = nil, reason: String) {
        self.code = code
        self.field = field
        self.reason = reason
    }

    public var description: String {
        if let field { return "\(code) (\(field)): \(reason)" }
        return "\(code): \(reason)"
    }
}
