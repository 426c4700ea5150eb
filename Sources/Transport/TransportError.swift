/// The error every Transport operation throws or logs: a stable dotted `code` (metrics, logs and the
/// node's status page key on it) and a reason for people, like `ChainCoreError`.
public struct TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable, lowercase, dotted code, e.g. `frame.too_large`.
    public let code: String
    /// What went wrong, for people.
    public let reason: String

    public init(code: String, reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code): \(reason)" }
}

extension TransportError {
    static func frameTooLarge(length: UInt32, limit: Int) -> TransportError {
        TransportError(
            code: "frame.too_large", reason: "frame of \(length) bytes exceeds the limit of \(limit) bytes")
    }

    static func malformed(_ reason: String) -> TransportError {
        TransportError(code: "frame.malformed", reason: reason)
    }
}
