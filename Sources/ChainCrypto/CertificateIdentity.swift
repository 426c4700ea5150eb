import ChainCore
import X509

/// The role a consortium member plays; it decides which transactions and API routes it may use.
/// Carried in the member's TLS certificate as the SAN URI `creditchain:role:<rawValue>`.
public enum MemberRole: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// A credit bureau: assembles portraits, serves banks.
    case bureau
    /// A government data source (market regulation, tax, courts…): owns records, publishes commitments.
    case dataSource = "data-source"
    /// The supervisor (e.g. the central bank branch): audits, reads everything it is entitled to.
    case supervisor
    /// A financial-dispute mediator: handles objections and mediation cases.
    case mediator
    /// A commercial bank: queries with the enterprise's consent.
    case bank

    public var description: String { rawValue }
}

/// Who a certificate speaks for: the member id and role taken from its SAN URIs
/// (`creditchain:member:<id>`, `creditchain:role:<role>`). Transport and the API server use it as
/// the authenticated peer.
public struct MemberIdentity: Hashable, Sendable, CustomStringConvertible {
    /// URI prefix of the member id SAN.
    public static let memberURIPrefix = "creditchain:member:"
    /// URI prefix of the role SAN.
    public static let roleURIPrefix = "creditchain:role:"

    public var member: MemberID
    public var role: MemberRole

    public init(member: MemberID, role: MemberRole) {
        self.member = member
        self.role = role
    }

    /// The two SAN URIs that carry this identity, role first.
    public var subjectAlternativeNameURIs: [String] {
        [MemberIdentity.roleURIPrefix + role.rawValue, MemberIdentity.memberURIPrefix + member.value]
    }

    public var description: String { "\(member) (\(role))" }

    /// Reads the identity from a certificate's subject alternative names. Exactly one role URI and
    /// exactly one member URI must be present — two of either would let a certificate claim two
    /// identities, so that is refused like a missing one. Other SAN entries are ignored.
    public static func from(certificate: Certificate) throws(CertificateRefusal) -> MemberIdentity {
        let names: SubjectAlternativeNames?
        do {
            names = try certificate.extensions.subjectAlternativeNames
        } catch {
            throw CertificateRefusal(.malformed, "unreadable subject alternative names: \(error)")
        }
        guard let names else {
            throw CertificateRefusal(.missingIdentity, "no subject alternative names")
        }
        var roles: [String] = []
        var members: [String] = []
        for name in names {
            guard case .uniformResourceIdentifier(let uri) = name else { continue }
            if uri.hasPrefix(roleURIPrefix) {
                roles.append(String(uri.dropFirst(roleURIPrefix.count)))
            } else if uri.hasPrefix(memberURIPrefix) {
                members.append(String(uri.dropFirst(memberURIPrefix.count)))
            }
        }
        guard roles.count == 1, members.count == 1 else {
            throw CertificateRefusal(
                .missingIdentity,
                "expected one \(roleURIPrefix) and one \(memberURIPrefix) URI, found \(roles.count) and \(members.count)"
            )
        }
        guard let role = MemberRole(rawValue: roles[0]) else {
            throw CertificateRefusal(.missingIdentity, "unknown role '\(roles[0])'")
        }
        let member: MemberID
        do {
            member = try MemberID(members[0])
        } catch {
            throw CertificateRefusal(.missingIdentity, "invalid member id '\(members[0])'")
        }
        return MemberIdentity(member: member, role: role)
    }
}
