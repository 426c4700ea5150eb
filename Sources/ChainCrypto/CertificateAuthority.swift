import ChainCore
import Crypto
import Foundation
import SwiftASN1
import X509

/// The consortium's root certificate authority: a self-signed P-256 certificate that issues every
/// member's TLS certificate. It signs only certificates (path length 0: no intermediate CAs), so
/// a member certificate is trusted exactly when the consortium issued it.
public struct CertificateAuthority: Sendable {
    /// Root validity: long enough to outlive member certificates issued late in its life.
    public static let rootValiditySeconds: Int64 = 20 * 365 * 86_400
    /// Member certificate validity (renewed by re-issuing; revocation covers compromise).
    public static let memberValiditySeconds: Int64 = 2 * 365 * 86_400
    /// Certificates start this long before issuance so a peer whose clock lags a little accepts them.
    public static let backdateSeconds: Int64 = 3_600

    public let certificate: Certificate
    let privateKey: P256.Signing.PrivateKey

    /// Creates a new root: `CN=<name> Root CA, O=<name>`, basic constraints CA (critical, path
    /// length 0), key usage keyCertSign + cRLSign (critical), subject key identifier.
    public static func create(
        name: String, privateKey: P256.Signing.PrivateKey = P256.Signing.PrivateKey(), atSecondsSince1970 now: Int64
    ) throws -> CertificateAuthority {
        let subject = try DistinguishedName {
            OrganizationName(name)
            CommonName("\(name) Root CA")
        }
        let publicKey = Certificate.PublicKey(privateKey.publicKey)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: publicKey)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: date(now - backdateSeconds), notValidAfter: date(now + rootValiditySeconds),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(privateKey))
        return CertificateAuthority(certificate: certificate, privateKey: privateKey)
    }

    /// Loads a root from its certificate PEM and PKCS#8 private-key PEM; the key must match.
    public init(certificatePEM: String, privateKeyPEM: String) throws {
        let certificate: Certificate
        let key: P256.Signing.PrivateKey
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
            key = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw ChainCryptoError(code: "crypto.invalid_certificate", reason: "CA certificate or key PEM: \(error)")
        }
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw ChainCryptoError(
                code: "crypto.invalid_certificate", reason: "the CA private key does not match the CA certificate")
        }
        self.init(certificate: certificate, privateKey: key)
    }

    init(certificate: Certificate, privateKey: P256.Signing.PrivateKey) {
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// The root certificate, PEM.
    public var certificatePEM: String {
        get throws { try certificate.serializeAsPEM().pemString }
    }

    /// The root private key, PKCS#8 PEM (write it with owner-only permissions).
    public var privateKeyPEM: String { privateKey.pemRepresentation }

    /// Issues a member's TLS certificate: `CN=<member id>, O=<display name>`, basic constraints
    /// not-a-CA and key usage digitalSignature (both critical), extended key usage serverAuth +
    /// clientAuth (every node is both), non-critical SAN with exactly the two identity URIs (no
    /// host names: peers are authenticated by identity, not by address), key identifiers.
    public func issue(
        publicKey: P256.Signing.PublicKey, identity: MemberIdentity, displayName: String,
        atSecondsSince1970 now: Int64, validitySeconds: Int64 = memberValiditySeconds,
        serialNumber: Certificate.SerialNumber = Certificate.SerialNumber()
    ) throws -> Certificate {
        try issue(
            publicKey: publicKey, identity: identity, displayName: displayName,
            notValidBeforeSeconds: now - CertificateAuthority.backdateSeconds,
            notValidAfterSeconds: now + validitySeconds, serialNumber: serialNumber)
    }

    /// Issues with an explicit validity window (tests make expired and future certificates).
    public func issue(
        publicKey: P256.Signing.PublicKey, identity: MemberIdentity, displayName: String,
        notValidBeforeSeconds: Int64, notValidAfterSeconds: Int64,
        serialNumber: Certificate.SerialNumber = Certificate.SerialNumber()
    ) throws -> Certificate {
        let subject = try DistinguishedName {
            OrganizationName(displayName)
            CommonName(identity.member.value)
        }
        let leafKey = Certificate.PublicKey(publicKey)
        let caKeyID = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.serverAuth, .clientAuth])
            SubjectAlternativeNames(identity.subjectAlternativeNameURIs.map { .uniformResourceIdentifier($0) })
            SubjectKeyIdentifier(hash: leafKey)
            AuthorityKeyIdentifier(keyIdentifier: caKeyID)
        }
        return try Certificate(
            version: .v3, serialNumber: serialNumber, publicKey: leafKey,
            notValidBefore: CertificateAuthority.date(notValidBeforeSeconds),
            notValidAfter: CertificateAuthority.date(notValidAfterSeconds), issuer: certificate.subject,
            subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(privateKey))
    }

    static func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }
}

extension Certificate {
    /// The DER encoding (what TLS sends and `verify(leafDER:…)` takes).
    public var derBytes: [UInt8] {
        get throws {
            var serializer = DER.Serializer()
            try serializer.serialize(self)
            return serializer.serializedBytes
        }
    }
}
