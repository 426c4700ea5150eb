import Foundation
import Hummingbird

/// Requires `Authorization: Bearer <token>` naming an active token, puts the staff identity in
/// the context and writes one audit entry per request, whatever its outcome.
public struct BearerTokenMiddleware: RouterMiddleware {
    public typealias Context = APIRequestContext

    /// The header that says why a staff member makes a request (e.g. `loan_application`); it is
    /// only recorded here, role routes may require it.
    public static let purposeHeader = "CreditChain-Purpose"
    static let purposeMax = 128

    let tokens: TokenStore
    let audit: any AuditSink

    public init(tokens: TokenStore, audit: any AuditSink) {
        self.tokens = tokens
        self.audit = audit
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let authorization = request.headers[.authorization] else { throw APIError.missingToken() }
        guard let token = Self.bearerToken(authorization), let identity = tokens.authenticate(bearer: token) else {
            context.logger.warning("rejected API token", metadata: ["path": "\(request.uri.path)"])
            throw APIError.badToken()
        }
        var context = context
        context.identity = identity
        let purpose = request.headers.first {
            $0.name.canonicalName == Self.purposeHeader.lowercased()
        }.map { Self.sanitized($0.value) }
        var status = 500
        defer {
            audit.record(
                AuditEntry(
                    staff: identity.staff, tokenID: identity.tokenID, method: request.method.rawValue,
                    path: Self.sanitized(request.uri.path), purpose: purpose, status: status, requestID: context.id))
        }
        do {
            let response = try await next(request, context)
            status = Int(response.status.code)
            return response
        } catch {
            status = Int(ProblemMiddleware<Context>.apiError(for: error, path: "", limit: 0).status.code)
            throw error
        }
    }

    /// The token of `Bearer <token>` (scheme case-insensitive, RFC 9110 §11.1).
    static func bearerToken(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingOptionalWhitespace()
        return token.isEmpty ? nil : String(token)
    }

    /// Printable ASCII without quotes or backslashes, at most 128 characters: a header cannot
    /// forge or break an audit line.
    static func sanitized(_ value: String) -> String {
        String(
            String.UnicodeScalarView(
                value.unicodeScalars.prefix(purposeMax).map {
                    ($0.value >= 0x20 && $0.value < 0x7f && $0 != "\"" && $0 != "\\") ? $0 : "?"
                }))
    }
}

/// Lets a request through only when its token holds one of `scopes` (or `operator`); for role
/// routes, added after `BearerTokenMiddleware`.
public struct RequireScopeMiddleware: RouterMiddleware {
    public typealias Context = APIRequestContext
    let scopes: [TokenScope]

    public init(anyOf scopes: [TokenScope]) {
        precondition(!scopes.isEmpty, "a scope requirement names at least one scope")
        self.scopes = scopes
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let identity = context.identity else { throw APIError.missingToken() }
        guard scopes.contains(where: identity.allows) else { throw APIError.insufficientScope(scopes.map(\.value)) }
        return try await next(request, context)
    }
}
