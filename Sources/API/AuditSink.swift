import Foundation
import Logging

/// One authenticated request as the audit trail records it: who (staff, token id), what (method,
/// path without the query), why (the `CreditChain-Purpose` header) and the outcome. Deliberately
/// no query string, body or response: those may carry credit data.
public struct AuditEntry: Hashable, Sendable {
    public var staff: String
    public var tokenID: String
    public var method: String
    public var path: String
    public var purpose: String?
    public var status: Int
    public var requestID: String

    public init(
        staff: String, tokenID: String, method: String, path: String, purpose: String?, status: Int,
        requestID: String
    ) {
        self.staff = staff
        self.tokenID = tokenID
        self.method = method
        self.path = path
        self.purpose = purpose
        self.status = status
        self.requestID = requestID
    }

    /// The audit line: `staff="…" token=… method=… path=… purpose="…" status=… request=…`.
    public var line: String {
        "staff=\"\(staff)\" token=\(tokenID) method=\(method) path=\(path) purpose=\"\(purpose ?? "")\" "
            + "status=\(status) request=\(requestID)"
    }
}

/// Where audit entries go. The node can send them to its own file; the default logs them.
public protocol AuditSink: Sendable {
    func record(_ entry: AuditEntry)
}

/// Writes each audit entry as one `info` line on the `creditchain.api.audit` logger (the time is
/// the log line's own).
public struct LoggingAuditSink: AuditSink {
    private let logger: Logger

    public init(logger: Logger = Logger(label: "creditchain.api.audit")) {
        self.logger = logger
    }

    public func record(_ entry: AuditEntry) {
        logger.info("audit \(entry.line)")
    }
}
