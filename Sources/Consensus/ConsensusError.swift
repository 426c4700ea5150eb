/// The error Consensus operations throw: a stable dotted `code` and a reason for people.
public struct ConsensusError: Error, Equatable, Sendable, CustomStringConvertible {
    public let code: String
    public let reason: String

    public init(code: String, reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code): \(reason)" }
}
