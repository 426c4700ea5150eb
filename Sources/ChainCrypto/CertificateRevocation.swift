import ChainCore
import SwiftASN1
import X509

/// A certificate revoked by governance, identified as X.509 does: issuer name and serial number.
/// The revoked set lives on chain (swift-certificates has no CRL type), so every replica refuses
/// the same certificates from the same height on. `Ledger.RevokedCertificate` is this type.
public struct RevokedCertificate: Hashable, Sendable, CanonicalCodable {
    /// Limit of the issuer name's DER (a distinguished name is far smaller in practice).
    public static let issuerMax = 1024
    /// Limit of the serial's bytes (RFC 5280 §4.1.2.2 allows up to 20 octets; room for leniency).
    public static let serialMax = 32

    /// DER of the issuer's distinguished name.
    public var issuer: [UInt8]
    /// The serial number's big-endian two's-complement bytes, as in the DER INTEGER's content.
    public var serial: [UInt8]

    public init(issuer: [UInt8], serial: [UInt8]) {
        self.issuer = issuer
        self.serial = serial
    }

    /// The (issuer, serial) pair of `certificate`.
    public init(certificate: Certificate) throws(CertificateRefusal) {
        do {
            var serializer = DER.Serializer()
            try serializer.serialize(certificate.issuer)
            self.init(issuer: serializer.serializedBytes, serial: Array(certificate.serialNumber.bytes))
        } catch {
            throw CertificateRefusal(.malformed, "issuer name does not serialize: \(error)")
        }
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.lengthPrefixed(issuer, max: Self.issuerMax)
        e.lengthPrefixed(serial, max: Self.serialMax)
    }

    public init(from d: inout CanonicalDecoder) throws {
        issuer = try d.lengthPrefixed("revoked_certificate.issuer", max: Self.issuerMax)
        serial = try d.lengthPrefixed("revoked_certificate.serial", max: Self.serialMax)
    }
}

/// Refuses a chain in which any certificate's (issuer, serial) is in the revoked set — a custom
/// swift-certificates policy, because the library has no CRL support and our revocations are
/// on-chain state rather than CA-published lists.
public struct RevocationPolicy: VerifierPolicy, Sendable {
    public let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = []
    public let revoked: Set<RevokedCertificate>

    public init(revoked: Set<RevokedCertificate>) {
        self.revoked = revoked
    }

    public func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        if revoked.isEmpty { return .meetsPolicy }
        for certificate in chain {
            let id: RevokedCertificate
            do {
                id = try RevokedCertificate(certificate: certificate)
            } catch {
                return .failsToMeetPolicy(reason: error.policyFailureText)
            }
            if revoked.contains(id) {
                let refusal = CertificateRefusal(
                    .revoked, "certificate \(certificate.serialNumber) of \(certificate.subject) is revoked")
                return .failsToMeetPolicy(reason: refusal.policyFailureText)
            }
        }
        return .meetsPolicy
    }
}
