import ChainCore
import ChainCrypto

/// Which side opened a connection, and so what the peer must prove.
public enum PeerLink: Hashable, Sendable, CustomStringConvertible {
    /// We dialled a configured address expecting this member: anyone else there is refused, which
    /// is the check that replaces TLS hostname verification.
    case outbound(expected: MemberID)
    /// A peer dialled us: any member whose role may connect in is accepted.
    case inbound

    public var description: String {
        switch self {
        case .outbound(let m): return "outbound to \(m)"
        case .inbound: return "inbound"
        }
    }
}

/// The rule a verified identity must also satisfy on a given link. Pure; the TLS verification
/// callback applies it after the certificate chain has been verified.
public struct LinkPolicy: Sendable, Equatable {
    /// Roles that may open connections to this node (e.g. validators and observers).
    public var inboundRoles: Set<MemberRole>
    /// Roles a dialled peer may have (e.g. only validators). `nil` accepts any role.
    public var outboundRoles: Set<MemberRole>?

    public init(inboundRoles: Set<MemberRole>, outboundRoles: Set<MemberRole>? = nil) {
        self.inboundRoles = inboundRoles
        self.outboundRoles = outboundRoles
    }

    /// Throws `cert.wrong_member` or `cert.wrong_role` when `identity` may not use `link`.
    public func check(_ identity: MemberIdentity, on link: PeerLink) throws {
        switch link {
        case .outbound(let expected):
            guard identity.member == expected else {
                throw TransportError(
                    code: "cert.wrong_member",
                    reason: "expected member \(expected), certificate names \(identity.member)")
            }
            if let outboundRoles, !outboundRoles.contains(identity.role) {
                throw TransportError(
                    code: "cert.wrong_role", reason: "member \(identity.member) has role \(identity.role), not allowed")
            }
        case .inbound:
            guard inboundRoles.contains(identity.role) else {
                throw TransportError(
                    code: "cert.wrong_role",
                    reason: "role \(identity.role) of \(identity.member) may not connect in")
            }
        }
    }
}
