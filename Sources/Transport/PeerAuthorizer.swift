import ChainCore
import ChainCrypto
import Foundation
import NIOConcurrencyHelpers
import X509

/// Decides whether a certificate chain presented in a TLS handshake belongs to a consortium member,
/// and which one. The transport calls it from NIOSSL's custom verification callback, which replaces
/// NIOSSL's own chain and hostname checks, so an implementation must verify the chain to the
/// consortium CA, validity and revocation itself. Thrown errors should be `TransportError`s whose
/// code names the refusal (the `cert.*` codes of `CertificateRefusal`).
public protocol PeerAuthorizer: Sendable {
    /// Verifies `peerChain` (leaf first, as presented) and returns the identity it proves.
    func authenticate(peerChain: [Certificate]) async throws -> MemberIdentity
}

/// The consortium's `PeerAuthorizer`: ChainCrypto's `ConsortiumCertificateVerifier` (chain to the
/// consortium root, validity period, RFC 5280 rules, revoked certificates, SAN identity) plus
/// members revoked as a whole. Both sets change with governance while the network runs: the node
/// calls `update(revoked:)` / `revoke(member:)`, then `PeerNetwork.closeConnections(of:)`.
public final class ConsortiumPeerAuthorizer: PeerAuthorizer {
    private struct State {
        var verifier: ConsortiumCertificateVerifier
        var revokedMembers: Set<MemberID>
    }

    private let state: NIOLockedValueBox<State>
    private let now: @Sendable () -> Int64

    /// - Parameter now: seconds since 1970 at which validity is checked (the wall clock by default;
    ///   tests inject a time).
    public init(
        verifier: ConsortiumCertificateVerifier, revokedMembers: Set<MemberID> = [],
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        state = NIOLockedValueBox(State(verifier: verifier, revokedMembers: revokedMembers))
        self.now = now
    }

    /// Replaces the set of revoked certificates (issuer, serial) with governance's current one.
    public func update(revoked: Set<RevokedCertificate>) {
        state.withLockedValue { $0.verifier = ConsortiumCertificateVerifier(root: $0.verifier.root, revoked: revoked) }
    }

    /// Refuses every certificate of `member` from now on.
    public func revoke(member: MemberID) {
        _ = state.withLockedValue { $0.revokedMembers.insert(member) }
    }

    public func authenticate(peerChain: [Certificate]) async throws -> MemberIdentity {
        guard let leaf = peerChain.first else {
            throw TransportError(
                code: CertificateRefusal.Code.malformed.rawValue, reason: "peer presented no certificate")
        }
        let (verifier, revokedMembers) = state.withLockedValue { ($0.verifier, $0.revokedMembers) }
        let verdict = await verifier.verify(
            leaf: leaf, intermediates: Array(peerChain.dropFirst()), atSecondsSince1970: now())
        switch verdict {
        case .trusted(let identity):
            guard !revokedMembers.contains(identity.member) else {
                throw TransportError(
                    code: CertificateRefusal.Code.revoked.rawValue, reason: "member \(identity.member) is revoked")
            }
            return identity
        case .refused(let refusal):
            throw TransportError(code: refusal.code.rawValue, reason: refusal.reason)
        }
    }
}
