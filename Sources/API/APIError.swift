import Foundation
import Hummingbird

/// The one error the client API reports: a stable dotted `code`, the HTTP status it maps to, a
/// fixed `title` per code and an instance-specific `detail`. Every failure — auth, decoding, node
/// rejections, unknown routes — becomes one of these exactly once (`ProblemMiddleware`) and leaves
/// as RFC 9457 `application/problem+json` (`Problem`).
public struct APIError: Error, HTTPResponseError, Hashable, Sendable, CustomStringConvertible {
    /// Stable dotted code, e.g. `auth.missing_token`; also the last part of the problem `type`.
    public var code: String
    public var status: HTTPResponse.Status
    /// Short, fixed summary of the code.
    public var title: String
    /// What happened in this request; never carries credit data or secrets.
    public var detail: String
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPFields

    public init(
        code: String, status: HTTPResponse.Status, title: String, detail: String, headers: HTTPFields = [:]
    ) {
        self.code = code
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers
    }

    public var description: String { "\(code): \(detail)" }

    /// `urn:creditchain:error:<code>`, the problem `type`.
    public var type: String { "urn:creditchain:error:\(code)" }

    /// The problem document for this error at `instance` (the request path).
    public func problem(instance: String?) -> Problem {
        Problem(type: type, title: title, status: Int(status.code), detail: detail, code: code, instance: instance)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = Problem.mediaType
        let body = try JSONEncoder().encode(problem(instance: request.uri.path))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    public static func == (a: APIError, b: APIError) -> Bool {
        a.code == b.code && a.status == b.status && a.detail == b.detail && a.headers == b.headers
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(status.code)
        hasher.combine(detail)
    }
}

extension APIError {
    // Authentication and authorisation.

    public static func missingToken() -> APIError {
        APIError(
            code: "auth.missing_token", status: .unauthorized, title: "Bearer token required",
            detail: "this route needs an Authorization: Bearer <token> header",
            headers: [.wwwAuthenticate: "Bearer realm=\"creditchain\""])
    }

    public static func badToken() -> APIError {
        APIError(
            code: "auth.bad_token", status: .unauthorized, title: "Bearer token not accepted",
            detail: "the token is malformed, unknown or revoked",
            headers: [.wwwAuthenticate: "Bearer realm=\"creditchain\", error=\"invalid_token\""])
    }

    public static func insufficientScope(_ required: [String]) -> APIError {
        APIError(
            code: "auth.insufficient_scope", status: .forbidden, title: "Token scope does not cover this route",
            detail: "this route needs one of the scopes: \(required.joined(separator: ", "))")
    }

    // Requests.

    public static func notFound(_ detail: String) -> APIError {
        APIError(code: "not_found", status: .notFound, title: "Not found", detail: detail)
    }

    public static func tooLarge(limit: Int) -> APIError {
        APIError(
            code: "request.too_large", status: .contentTooLarge, title: "Request body too large",
            detail: "request bodies are limited to \(limit) bytes")
    }

    public static func unsupportedMediaType(_ got: String?) -> APIError {
        APIError(
            code: "request.unsupported_media_type", status: .unsupportedMediaType, title: "Unsupported media type",
            detail: "expected application/octet-stream or application/json, got \(got ?? "no Content-Type")")
    }

    public static func badJSON(_ detail: String) -> APIError {
        APIError(code: "request.bad_json", status: .badRequest, title: "Malformed JSON body", detail: detail)
    }

    public static func badParameter(_ name: String, _ detail: String) -> APIError {
        APIError(
            code: "request.bad_parameter", status: .badRequest, title: "Invalid request parameter",
            detail: "\(name): \(detail)")
    }

    public static func internalError() -> APIError {
        APIError(
            code: "internal", status: .internalServerError, title: "Internal error",
            detail: "the node failed to handle the request; see its log")
    }

    public static func unavailable(_ detail: String) -> APIError {
        APIError(code: "node.unavailable", status: .serviceUnavailable, title: "Service unavailable", detail: detail)
    }

    /// A token store failure: bad input to `token create|revoke` (400) or an unreadable or
    /// unwritable token file (500).
    public static func token(_ code: String, _ detail: String, status: HTTPResponse.Status = .badRequest) -> APIError {
        APIError(code: code, status: status, title: "Token store error", detail: detail)
    }

    // Transactions and blocks.

    public static func transactionNotFound(_ hash: String) -> APIError {
        APIError(
            code: "tx.not_found", status: .notFound, title: "Transaction not found",
            detail: "this node knows no transaction \(hash)")
    }

    public static func blockNotFound(_ height: UInt64) -> APIError {
        APIError(
            code: "block.not_found", status: .notFound, title: "Block not found",
            detail: "no committed block at height \(height)")
    }

    /// Status and title of each admission refusal code. The node's mempool names some refusals
    /// in its own words (`transaction.*`, `mempool.*`); both families are mapped so either reaches
    /// the client with the right status.
    static let rejectionStatus: [String: (HTTPResponse.Status, String)] = [
        "tx.malformed": (.badRequest, "Malformed transaction"),
        "transaction.malformed": (.badRequest, "Malformed transaction"),
        "tx.bad_signature": (.unprocessableContent, "Signature does not verify"),
        "transaction.bad_signature": (.unprocessableContent, "Signature does not verify"),
        "tx.unknown_signer": (.unprocessableContent, "Unknown signer"),
        "transaction.unknown_signer": (.unprocessableContent, "Unknown signer"),
        "tx.wrong_suite": (.unprocessableContent, "Wrong cryptographic suite"),
        "transaction.wrong_suite": (.unprocessableContent, "Wrong cryptographic suite"),
        "tx.expired": (.unprocessableContent, "Transaction expired"),
        "mempool.expired": (.unprocessableContent, "Transaction expired"),
        "mempool.expiry_too_far": (.unprocessableContent, "Expiry too far ahead"),
        "tx.duplicate": (.conflict, "Duplicate transaction"),
        "mempool.replayed": (.conflict, "Duplicate transaction"),
        "mempool.too_large": (.contentTooLarge, "Transaction too large"),
        "mempool.busy": (.tooManyRequests, "Mempool full, retry later"),
        "node.not_ready": (.serviceUnavailable, "Node not ready"),
        "node.disk_full": (.serviceUnavailable, "Node storage full"),
        "node.internal": (.internalServerError, "Internal error"),
    ]

    /// Maps a node's admission refusal to its status: malformed input 400, duplicates 409, too
    /// large 413, busy 429 (always with `Retry-After`), not ready 503, every other (signature,
    /// expiry, application precheck such as `consent.expired`) 422.
    public init(_ rejection: SubmissionRejection) {
        let (status, title) =
            APIError.rejectionStatus[rejection.code] ?? (.unprocessableContent, "Transaction rejected")
        var headers: HTTPFields = [:]
        let retryAfter = rejection.retryAfterSeconds ?? (status == .tooManyRequests ? 1 : nil)
        if let retryAfter { headers[.retryAfter] = String(max(retryAfter, 0)) }
        self.init(code: rejection.code, status: status, title: title, detail: rejection.detail, headers: headers)
    }
}

/// An RFC 9457 problem document with the `code` extension member (the stable dotted code).
public struct Problem: Codable, Hashable, Sendable {
    public static let mediaType = "application/problem+json"

    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var code: String
    public var instance: String?

    public init(type: String, title: String, status: Int, detail: String, code: String, instance: String? = nil) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.code = code
        self.instance = instance
    }
}
