import Foundation

/// Who is calling: the staff member a bearer token names, the token's id (for revocation and
/// the audit trail) and the role scopes it was created with.
public struct StaffIdentity: Hashable, Sendable {
    public var staff: String
    public var tokenID: String
    public var scopes: Set<TokenScope>

    public init(staff: String, tokenID: String, scopes: Set<TokenScope>) {
        self.staff = staff
        self.tokenID = tokenID
        self.scopes = scopes
    }

    /// True when the token holds `scope`, or `operator` (the node operator's staff may do all).
    public func allows(_ scope: TokenScope) -> Bool {
        scopes.contains(scope) || scopes.contains(.operator)
    }
}

/// A role scope a token grants. The base routes (transactions, blocks) need only a valid token —
/// on chain, authority comes from the transaction signature; role routes added by later modules
/// require their scope through `RequireScopeMiddleware`.
public struct TokenScope: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let value: String

    /// Every scope a token may name; `token create` rejects others so a typo cannot mint a
    /// token that silently grants nothing.
    public static let known: [TokenScope] = [
        .operator, .bank, .source, .bureau, .supervisor, .mediator, .registrar,
    ]

    /// The node operator's staff: every route.
    public static let `operator` = TokenScope(unchecked: "operator")
    public static let bank = TokenScope(unchecked: "bank")
    public static let source = TokenScope(unchecked: "source")
    public static let bureau = TokenScope(unchecked: "bureau")
    public static let supervisor = TokenScope(unchecked: "supervisor")
    public static let mediator = TokenScope(unchecked: "mediator")
    public static let registrar = TokenScope(unchecked: "registrar")

    private init(unchecked value: String) { self.value = value }

    /// A known scope by name; throws `token.unknown_scope` otherwise.
    public init(_ name: String) throws {
        guard let scope = TokenScope.known.first(where: { $0.value == name }) else {
            throw APIError.token(
                "token.unknown_scope",
                "unknown scope \(name); known: \(TokenScope.known.map(\.value).joined(separator: ", "))")
        }
        self = scope
    }

    /// Parses `a,b,c`, trimming spaces; at least one scope.
    public static func parseList(_ list: String) throws -> Set<TokenScope> {
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else {
            throw APIError.token("token.unknown_scope", "name at least one scope")
        }
        return Set(try names.map { try TokenScope($0) })
    }

    public var description: String { value }
    public static func < (a: TokenScope, b: TokenScope) -> Bool { a.value < b.value }
}
