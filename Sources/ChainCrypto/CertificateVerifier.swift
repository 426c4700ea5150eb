import ChainCore
import Foundation
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

/// The outcome of checking a member's certificate: trusted, with the identity it proves, or
/// refused with a reason. A value, not an error, so callers must look at it.
public enum CertificateVerdict: Hashable, Sendable, CustomStringConvertible {
    case trusted(MemberIdentity)
    case refused(CertificateRefusal)

    /// The identity when trusted.
    public var identity: MemberIdentity? {
        if case .trusted(let identity) = self { return identity }
        return nil
    }

    /// The refusal when refused.
    public var refusal: CertificateRefusal? {
        if case .refused(let refusal) = self { return refusal }
        return nil
    }

    public var description: String {
        switch self {
        case .trusted(let identity): return "trusted: \(identity)"
        case .refused(let refusal): return "refused: \(refusal)"
        }
    }
}

/// Why a certificate is refused: a stable dotted `code` (logged, and used by the API as the
/// problem type) and a reason for people. Also thrown by `MemberIdentity.from(certificate:)`.
public struct CertificateRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    /// The reasons, each distinct so an operator can tell an expired certificate from an attack.
    public enum Code: String, Hashable, Sendable, CaseIterable {
        /// Not a parseable X.509 certificate.
        case malformed = "cert.malformed"
        /// `notAfter` is before the verification time.
        case expired = "cert.expired"
        /// `notBefore` is after the verification time.
        case notYetValid = "cert.not_yet_valid"
        /// No chain to the consortium root: another CA issued it.
        case untrustedChain = "cert.untrusted_chain"
        /// The consortium CA's name and key id match but the signature does not verify: the
        /// certificate was altered after issuance, or forged.
        case badSignature = "cert.bad_signature"
        /// The (issuer, serial) pair is in the on-chain revoked set.
        case revoked = "cert.revoked"
        /// The certificate's role is not the one the caller expected.
        case wrongRole = "cert.wrong_role"
        /// The certificate's member id is not the one the caller expected.
        case wrongMember = "cert.wrong_member"
        /// No (or an ambiguous, or unreadable) `creditchain:role:` / `creditchain:member:` SAN.
        case missingIdentity = "cert.missing_identity"
        /// Another RFC 5280 rule failed (basic constraints, version, critical extensions…).
        case policy = "cert.policy"
    }

    public var code: Code
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }

    /// How a refusal travels through swift-certificates' string-only `PolicyFailureReason`:
    /// `<code>|<reason>`, parsed back by `init(policyFailureText:)`.
    var policyFailureText: String { code.rawValue + "|" + reason }

    init(policyFailureText text: String) {
        if let bar = text.firstIndex(of: "|"), let code = Code(rawValue: String(text[..<bar])) {
            self.init(code, String(text[text.index(after: bar)...]))
        } else {
            self.init(.policy, text)
        }
    }
}

/// Refuses a chain with a certificate outside its validity period at a given time, with distinct
/// reasons for expired and not-yet-valid (RFC5280Policy only says "fails to meet policy").
public struct ValidityPeriodPolicy: VerifierPolicy, Sendable {
    public let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = []
    public let time: Date

    public init(atSecondsSince1970 seconds: Int64) {
        time = Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    public func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        for certificate in chain {
            if time < certificate.notValidBefore {
                let refusal = CertificateRefusal(
                    .notYetValid, "\(certificate.subject) is valid from \(certificate.notValidBefore)")
                return .failsToMeetPolicy(reason: refusal.policyFailureText)
            }
            if time > certificate.notValidAfter {
                let refusal = CertificateRefusal(
                    .expired, "\(certificate.subject) expired at \(certificate.notValidAfter)")
                return .failsToMeetPolicy(reason: refusal.policyFailureText)
            }
        }
        return .meetsPolicy
    }
}

/// Refuses a chain whose leaf does not carry exactly one consortium identity, or carries another
/// role or member than the one expected.
public struct MemberIdentityPolicy: VerifierPolicy, Sendable {
    public let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = []
    public let expectedRole: MemberRole?
    public let expectedMember: MemberID?

    public init(expectedRole: MemberRole?, expectedMember: MemberID?) {
        self.expectedRole = expectedRole
        self.expectedMember = expectedMember
    }

    public func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        guard let leaf = chain.first else { return .failsToMeetPolicy(reason: "empty chain") }
        let identity: MemberIdentity
        do {
            identity = try MemberIdentity.from(certificate: leaf)
        } catch {
            return .failsToMeetPolicy(reason: error.policyFailureText)
        }
        if let expectedRole, identity.role != expectedRole {
            let refusal = CertificateRefusal(.wrongRole, "role is \(identity.role), expected \(expectedRole)")
            return .failsToMeetPolicy(reason: refusal.policyFailureText)
        }
        if let expectedMember, identity.member != expectedMember {
            let refusal = CertificateRefusal(.wrongMember, "member is \(identity.member), expected \(expectedMember)")
            return .failsToMeetPolicy(reason: refusal.policyFailureText)
        }
        return .meetsPolicy
    }
}

/// Verifies member TLS certificates against the consortium root: chain and signatures, validity
/// period at a given time, RFC 5280 rules, on-chain revocation, and the SAN identity. Transport
/// calls it for every TLS peer and the API server for client certificates; the time is an input,
/// so replicas and tests agree on the result.
public struct ConsortiumCertificateVerifier: Sendable {
    public let root: Certificate
    public let revoked: Set<RevokedCertificate>

    /// - Throws: `ChainCryptoError` (`crypto.invalid_certificate`) when the PEM is not a certificate.
    public init(rootCertificatePEM: String, revoked: Set<RevokedCertificate> = []) throws {
        do {
            root = try Certificate(pemEncoded: rootCertificatePEM)
        } catch {
            throw ChainCryptoError(code: "crypto.invalid_certificate", reason: "root certificate PEM: \(error)")
        }
        self.revoked = revoked
    }

    public init(root: Certificate, revoked: Set<RevokedCertificate> = []) {
        self.root = root
        self.revoked = revoked
    }

    /// Checks `leafDER` (with optional intermediates) at `atSecondsSince1970`. `expectedRole` and
    /// `expectedMember` are nil when any role or member is acceptable (the identity is returned).
    public func verify(
        leafDER: [UInt8], intermediatesDER: [[UInt8]] = [], expectedRole: MemberRole? = nil,
        expectedMember: MemberID? = nil, atSecondsSince1970 time: Int64
    ) async -> CertificateVerdict {
        let leaf: Certificate
        var intermediates: [Certificate] = []
        do {
            leaf = try Certificate(derEncoded: leafDER)
            for der in intermediatesDER { intermediates.append(try Certificate(derEncoded: der)) }
        } catch {
            return .refused(CertificateRefusal(.malformed, "not a DER X.509 certificate: \(error)"))
        }
        return await verify(
            leaf: leaf, intermediates: intermediates, expectedRole: expectedRole, expectedMember: expectedMember,
            atSecondsSince1970: time)
    }

    /// The same check on parsed certificates (NIOSSL hands over parsed peer chains).
    public func verify(
        leaf: Certificate, intermediates: [Certificate] = [], expectedRole: MemberRole? = nil,
        expectedMember: MemberID? = nil, atSecondsSince1970 time: Int64
    ) async -> CertificateVerdict {
        let validationTime = Date(timeIntervalSince1970: TimeInterval(time))
        // Our own validity policy runs first so expiry gets its own reason; RFC5280Policy then
        // enforces version, basic constraints and name constraints (its expiry check agrees).
        var verifier = Verifier(rootCertificates: CertificateStore([root])) {
            ValidityPeriodPolicy(atSecondsSince1970: time)
            RFC5280Policy(fixedExpiryValidationTime: validationTime)
            RevocationPolicy(revoked: revoked)
            MemberIdentityPolicy(expectedRole: expectedRole, expectedMember: expectedMember)
        }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates))
        switch result {
        case .validCertificate:
            do {
                return .trusted(try MemberIdentity.from(certificate: leaf))
            } catch {
                return .refused(error)
            }
        case .couldNotValidate(let failures):
            if let first = failures.first {
                return .refused(CertificateRefusal(policyFailureText: first.policyFailureReason.description))
            }
            return .refused(diagnoseUnbuildableChain(leaf: leaf, intermediates: intermediates))
        }
    }

    /// No candidate chain reached the policies. Tell apart a certificate from another CA (no
    /// issuer of that name, or one whose key id differs) from one that names our CA and its key
    /// but whose signature fails (altered or forged).
    func diagnoseUnbuildableChain(leaf: Certificate, intermediates: [Certificate]) -> CertificateRefusal {
        let handled = RFC5280Policy().verifyingCriticalExtensions
        for ext in leaf.extensions where ext.critical && !handled.contains(ext.oid) {
            return CertificateRefusal(.policy, "unsupported critical extension \(ext.oid)")
        }
        let candidates = ([root] + intermediates).filter { $0.subject == leaf.issuer }
        guard !candidates.isEmpty else {
            return CertificateRefusal(
                .untrustedChain, "issued by \(leaf.issuer), not by the consortium CA \(root.subject)")
        }
        let leafKeyID = (try? leaf.extensions.authorityKeyIdentifier)?.flatMap { $0.keyIdentifier }
        if let leafKeyID {
            let matching = candidates.filter { candidate in
                (try? candidate.extensions.subjectKeyIdentifier)?.map { $0.keyIdentifier } == leafKeyID
            }
            if matching.isEmpty {
                return CertificateRefusal(
                    .untrustedChain, "issued by a different key named \(leaf.issuer); not the consortium CA's")
            }
        }
        return CertificateRefusal(.badSignature, "the issuer's signature does not verify: altered or forged")
    }
}
