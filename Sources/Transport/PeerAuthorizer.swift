import ChainCore
import Foundation
import NIOConcurrencyHelpers
import X509

/// Decides whether a certificate chain presented in a TLS handshake belongs to a consortium member,
/// and which one. The transport calls it from NIOSSL's custom verification callback, which replaces
/// NIOSSL's own chain and hostname checks, so an implementation must verify the chain to the
/// consortium CA, validity and revocation itself.
///
/// `X509PeerAuthorizer` is the implementation over swift-certificates; the node may pass one
/// backed by ChainCrypto's consortium verifier and governance state instead.
public protocol PeerAuthorizer: Sendable {
    /// Verifies `peerChain` (leaf first, as presented) and returns the member it names.
    /// Throws a `TransportError` whose code says why the peer is refused.
    func authenticate(peerChain: [Certificate]) async throws -> PeerIdentity
}

/// Members and certificate serial numbers revoked by governance. Shared by reference so the node
/// can update it while the network runs; every handshake consults the current contents.
public final class RevocationList: Sendable {
    private struct State {
        var members: Set<MemberID> = []
        var serials: Set<Certificate.SerialNumber> = []
    }
    private let state = NIOLockedValueBox(State())

    public init(members: Set<MemberID> = [], serials: Set<Certificate.SerialNumber> = []) {
        state.withLockedValue {
            $0.members = members
            $0.serials = serials
        }
    }

    public func revoke(member: MemberID) { _ = state.withLockedValue { $0.members.insert(member) } }
    public func revoke(serial: Certificate.SerialNumber) { _ = state.withLockedValue { $0.serials.insert(serial) } }

    public func isRevoked(member: MemberID) -> Bool { state.withLockedValue { $0.members.contains(member) } }
    public func isRevoked(serial: Certificate.SerialNumber) -> Bool {
        state.withLockedValue { $0.serials.contains(serial) }
    }
}

/// A `PeerAuthorizer` that verifies the chain against the consortium CA certificates with
/// swift-certificates' RFC 5280 policy (signatures, validity period, basic constraints), reads the
/// identity from the SAN URIs and refuses revoked members and serials.
public struct X509PeerAuthorizer: PeerAuthorizer {
    public let roots: [Certificate]
    public let revocations: RevocationList

    public init(roots: [Certificate], revocations: RevocationList = RevocationList()) {
        precondition(!roots.isEmpty, "a consortium has at least one CA certificate")
        self.roots = roots
        self.revocations = revocations
    }

    public func authenticate(peerChain: [Certificate]) async throws -> PeerIdentity {
        guard let leaf = peerChain.first else {
            throw TransportError(code: "peer.no_certificate", reason: "peer presented no certificate")
        }
        // Checked first only to give the clearer reason; the RFC 5280 policy refuses it as well.
        let now = Date()
        if leaf.notValidAfter < now {
            throw TransportError(
                code: "peer.certificate_expired", reason: "certificate expired at \(leaf.notValidAfter)")
        }
        if leaf.notValidBefore > now {
            throw TransportError(
                code: "peer.certificate_not_yet_valid", reason: "certificate valid from \(leaf.notValidBefore)")
        }
        var verifier = Verifier(rootCertificates: CertificateStore(roots)) { RFC5280Policy() }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(peerChain.dropFirst()))
        guard case .validCertificate = result else {
            throw TransportError(
                code: "peer.certificate_untrusted",
                reason: "certificate of \(leaf.subject) does not chain to the consortium CA")
        }
        let identity = try PeerIdentity(certificate: leaf)
        if revocations.isRevoked(member: identity.member) || revocations.isRevoked(serial: leaf.serialNumber) {
            throw TransportError(
                code: "peer.revoked", reason: "member \(identity.member) or its certificate is revoked")
        }
        return identity
    }
}
