import ChainCore
import Ledger

/// The error every CreditRules operation throws, and the reason a transaction is rejected: a
/// stable, lowercase, dotted `code` (tabled in docs/errors.md and reused by the API as the
/// problem+json type) and a short reason that never carries credit data or identifiers.
public struct CreditRulesError: Error, Equatable, Sendable, CustomStringConvertible {
    public let code: String
    public let reason: String

    public init(_ code: String, _ reason: String = "") {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason.isEmpty ? code : "\(code): \(reason)" }

    /// The transaction result that records this rejection.
    public var result: TransactionResult {
        TransactionResult(code: code, detail: String(reason.utf8.prefix(TransactionResult.detailMax)) ?? "")
    }

    /// Wraps a decoding failure of a payload.
    static func payload(_ error: any Error) -> CreditRulesError {
        if let e = error as? ChainCoreError { return CreditRulesError("tx.malformed_payload", e.description) }
        if let e = error as? CreditRulesError { return e }
        return CreditRulesError("tx.malformed_payload", "payload does not decode")
    }
}
