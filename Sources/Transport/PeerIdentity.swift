import ChainCore
import X509

/// A member's role as its certificate states it (`creditchain:role:<role>`), e.g. `validator`,
/// `bureau`, `bank`. Kept as a checked string so the transport needs no list of roles: which roles
/// may open which links is configuration (`LinkPolicy`).
public struct PeerRole: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// Accepts 1–64 characters of `a-z`, `0-9` and `-`, the same alphabet as member ids.
    public init?(rawValue: String) {
        guard (try? MemberID(rawValue)) != nil else { return nil }
        self.rawValue = rawValue
    }

    public static func < (a: PeerRole, b: PeerRole) -> Bool { a.rawValue < b.rawValue }
    public var description: String { rawValue }
}

/// Who is at the other end of an authenticated connection: the member id and role read from the
/// certificate's SAN URIs. Certificates carry no host names; this identity is what links check.
public struct PeerIdentity: Hashable, Sendable, CustomStringConvertible {
    public static let memberURIPrefix = "creditchain:member:"
    public static let roleURIPrefix = "creditchain:role:"

    public let member: MemberID
    public let role: PeerRole

    public init(member: MemberID, role: PeerRole) {
        self.member = member
        self.role = role
    }

    /// Reads exactly one `creditchain:member:<id>` and one `creditchain:role:<role>` SAN URI.
    /// Zero or several of either is refused: an ambiguous certificate names nobody.
    public init(certificate: Certificate) throws {
        let names: SubjectAlternativeNames?
        do {
            names = try certificate.extensions.subjectAlternativeNames
        } catch {
            throw TransportError(
                code: "peer.identity_missing", reason: "unreadable subject alternative names: \(error)")
        }
        var members: [String] = []
        var roles: [String] = []
        for name in names ?? SubjectAlternativeNames() {
            guard case .uniformResourceIdentifier(let uri) = name else { continue }
            if uri.hasPrefix(Self.memberURIPrefix) {
                members.append(String(uri.dropFirst(Self.memberURIPrefix.count)))
            } else if uri.hasPrefix(Self.roleURIPrefix) {
                roles.append(String(uri.dropFirst(Self.roleURIPrefix.count)))
            }
        }
        guard members.count == 1, roles.count == 1 else {
            throw TransportError(
                code: "peer.identity_missing",
                reason:
                    "certificate needs exactly one member URI and one role URI (found \(members.count) and \(roles.count))"
            )
        }
        guard let member = try? MemberID(members[0]), let role = PeerRole(rawValue: roles[0]) else {
            throw TransportError(
                code: "peer.identity_invalid",
                reason: "bad member id or role in certificate: \(members[0]), \(roles[0])")
        }
        self.init(member: member, role: role)
    }

    public var description: String { "\(member) (\(role))" }
}
