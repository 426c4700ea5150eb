import ChainCore
import Crypto
import Foundation
import SwiftASN1
import Testing
import X509

@testable import ChainCrypto

/// A fixed verification time (2026-09-20T…Z); certificates are issued relative to it.
private let now: Int64 = 1_790_000_000
private let day: Int64 = 86_400

private struct Fixture {
    let ca: CertificateAuthority
    let verifier: ConsortiumCertificateVerifier
    let identity: MemberIdentity

    init(revoked: Set<RevokedCertificate> = []) throws {
        ca = try CertificateAuthority.create(name: "GBA Credit Consortium", atSecondsSince1970: now - 30 * day)
        verifier = ConsortiumCertificateVerifier(root: ca.certificate, revoked: revoked)
        identity = MemberIdentity(member: try MemberID("bank-of-shenzhen"), role: .bank)
    }

    func issue(
        notBefore: Int64 = now - day, notAfter: Int64 = now + 365 * day, identity: MemberIdentity? = nil,
        by authority: CertificateAuthority? = nil
    ) throws -> Certificate {
        try (authority ?? ca).issue(
            publicKey: P256.Signing.PrivateKey().publicKey, identity: identity ?? self.identity,
            displayName: "Bank of Shenzhen", notValidBeforeSeconds: notBefore, notValidAfterSeconds: notAfter)
    }

    func verdict(
        _ certificate: Certificate, role: MemberRole? = .bank, member: MemberID? = nil,
        verifier: ConsortiumCertificateVerifier? = nil
    ) async throws -> CertificateVerdict {
        await (verifier ?? self.verifier).verify(
            leafDER: try certificate.derBytes, intermediatesDER: [], expectedRole: role, expectedMember: member,
            atSecondsSince1970: now)
    }
}

private func refusalCode(_ verdict: CertificateVerdict) -> CertificateRefusal.Code? { verdict.refusal?.code }

@Suite struct CertificateVerifierTests {
    @Test func aGoodCertificateIsTrustedWithItsIdentity() async throws {
        let f = try Fixture()
        let cert = try f.issue()
        let verdict = try await f.verdict(cert, role: .bank, member: f.identity.member)
        #expect(verdict == .trusted(f.identity))
        // Without expectations the identity is still returned.
        #expect(try await f.verdict(cert, role: nil) == .trusted(f.identity))
        // The PEM round trip used by Transport gives the same answer.
        let fromPEM = try ConsortiumCertificateVerifier(rootCertificatePEM: try f.ca.certificatePEM)
        #expect(try await f.verdict(cert, verifier: fromPEM) == .trusted(f.identity))
    }

    @Test func anExpiredCertificateIsRefused() async throws {
        let f = try Fixture()
        let cert = try f.issue(notBefore: now - 400 * day, notAfter: now - 1)
        #expect(refusalCode(try await f.verdict(cert)) == .expired)
    }

    @Test func aNotYetValidCertificateIsRefused() async throws {
        let f = try Fixture()
        let cert = try f.issue(notBefore: now + 60, notAfter: now + 365 * day)
        #expect(refusalCode(try await f.verdict(cert)) == .notYetValid)
    }

    @Test func theValidityBoundsAreInclusive() async throws {
        let f = try Fixture()
        #expect(try await f.verdict(try f.issue(notBefore: now, notAfter: now + day)).identity != nil)
        #expect(try await f.verdict(try f.issue(notBefore: now - day, notAfter: now)).identity != nil)
    }

    @Test func aCertificateFromAnotherCAIsRefusedEvenUnderTheSameName() async throws {
        let f = try Fixture()
        // Same consortium name, so same issuer DN: only the key tells them apart.
        let impostor = try CertificateAuthority.create(name: "GBA Credit Consortium", atSecondsSince1970: now - day)
        let cert = try f.issue(by: impostor)
        let verdict = try await f.verdict(cert)
        #expect(refusalCode(verdict) == .untrustedChain, "\(verdict)")
        let other = try CertificateAuthority.create(name: "Another Consortium", atSecondsSince1970: now - day)
        #expect(refusalCode(try await f.verdict(try f.issue(by: other))) == .untrustedChain)
    }

    @Test func theWrongRoleIsRefused() async throws {
        let f = try Fixture()
        let cert = try f.issue()
        let verdict = try await f.verdict(cert, role: .bureau)
        #expect(refusalCode(verdict) == .wrongRole)
        #expect(verdict.refusal?.reason == "role is bank, expected bureau")
    }

    @Test func theWrongMemberIsRefused() async throws {
        let f = try Fixture()
        let verdict = try await f.verdict(try f.issue(), role: .bank, member: try MemberID("bank-of-guangzhou"))
        #expect(refusalCode(verdict) == .wrongMember)
    }

    @Test func aRevokedCertificateIsRefusedAndOnlyThatOne() async throws {
        let f = try Fixture()
        let revokedCert = try f.issue()
        let otherCert = try f.issue()
        let revoked: Set = [try RevokedCertificate(certificate: revokedCert)]
        let verifier = ConsortiumCertificateVerifier(root: f.ca.certificate, revoked: revoked)
        #expect(refusalCode(try await f.verdict(revokedCert, verifier: verifier)) == .revoked)
        #expect(try await f.verdict(otherCert, verifier: verifier) == .trusted(f.identity))
        // The pair is the issuer DN's DER and the serial's bytes.
        let pair = try #require(revoked.first)
        #expect(pair.serial == Array(revokedCert.serialNumber.bytes))
        var serializer = DER.Serializer()
        try serializer.serialize(f.ca.certificate.subject)
        #expect(serializer.serializedBytes == pair.issuer)
    }

    @Test func revokingTheRootRefusesEveryMember() async throws {
        let f = try Fixture()
        let verifier = ConsortiumCertificateVerifier(
            root: f.ca.certificate, revoked: [try RevokedCertificate(certificate: f.ca.certificate)])
        #expect(refusalCode(try await f.verdict(try f.issue(), verifier: verifier)) == .revoked)
    }

    @Test func aTamperedCertificateIsRefused() async throws {
        let f = try Fixture()
        var der = try f.issue().derBytes
        // Change the member id inside the signed SAN: "bank-of-shenzhen" → "bank-of-shenzhea".
        let needle = Array("creditchain:member:bank-of-shenzhen".utf8)
        let start = try #require(
            (0...(der.count - needle.count)).first { Array(der[$0..<$0 + needle.count]) == needle })
        der[start + needle.count - 1] = UInt8(ascii: "a")
        let verdict = await f.verifier.verify(
            leafDER: der, intermediatesDER: [], expectedRole: nil, expectedMember: nil, atSecondsSince1970: now)
        #expect(refusalCode(verdict) == .badSignature, "\(verdict)")
    }

    @Test func garbageIsRefusedAsMalformed() async throws {
        let f = try Fixture()
        let verdict = await f.verifier.verify(
            leafDER: [0x30, 0x03, 0x02, 0x01, 0x01], intermediatesDER: [], expectedRole: nil, expectedMember: nil,
            atSecondsSince1970: now)
        #expect(refusalCode(verdict) == .malformed)
        #expect(throws: ChainCryptoError.self) {
            _ = try ConsortiumCertificateVerifier(rootCertificatePEM: "not a certificate")
        }
    }

    @Test func aCertificateWithoutTheIdentityURIsIsRefused() async throws {
        let f = try Fixture()
        let key = P256.Signing.PrivateKey()
        let cert = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: Date(timeIntervalSince1970: TimeInterval(now - day)),
            notValidAfter: Date(timeIntervalSince1970: TimeInterval(now + day)), issuer: f.ca.certificate.subject,
            subject: try DistinguishedName { CommonName("bank-of-shenzhen") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                SubjectAlternativeNames([.dnsName("node1.example")])
            },
            issuerPrivateKey: .init(f.ca.privateKey))
        #expect(refusalCode(try await f.verdict(cert, role: nil)) == .missingIdentity)
    }

    @Test func theIdentityIsReadFromExactlyOneRoleAndOneMemberURI() throws {
        func certificate(_ uris: [String]) throws -> Certificate {
            let key = P256.Signing.PrivateKey()
            let name = try DistinguishedName { CommonName("x") }
            return try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
                notValidBefore: Date(timeIntervalSince1970: 0), notValidAfter: Date(timeIntervalSince1970: 1),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    SubjectAlternativeNames(uris.map { .uniformResourceIdentifier($0) })
                }, issuerPrivateKey: .init(key))
        }
        let good = try certificate(["https://example.org", "creditchain:member:gd-amr", "creditchain:role:data-source"])
        #expect(
            try MemberIdentity.from(certificate: good)
                == MemberIdentity(member: try MemberID("gd-amr"), role: .dataSource))
        for bad in [
            ["creditchain:member:gd-amr"],
            ["creditchain:role:bank"],
            ["creditchain:role:bank", "creditchain:role:bureau", "creditchain:member:gd-amr"],
            ["creditchain:role:bank", "creditchain:member:a", "creditchain:member:b"],
            ["creditchain:role:owner", "creditchain:member:gd-amr"],
            ["creditchain:role:bank", "creditchain:member:GD_AMR"],
        ] {
            #expect(throws: CertificateRefusal.self, "\(bad)") {
                _ = try MemberIdentity.from(certificate: certificate(bad))
            }
            do {
                _ = try MemberIdentity.from(certificate: certificate(bad))
            } catch let error as CertificateRefusal {
                #expect(error.code == .missingIdentity)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func everyFailureHasItsOwnReasonCode() async throws {
        let f = try Fixture()
        let good = try f.issue()
        let impostor = try CertificateAuthority.create(name: "GBA Credit Consortium", atSecondsSince1970: now - day)
        var tampered = try good.derBytes
        tampered[tampered.count - 40] ^= 0x01  // inside the signature value
        let revokedVerifier = ConsortiumCertificateVerifier(
            root: f.ca.certificate, revoked: [try RevokedCertificate(certificate: good)])
        let codes: [CertificateRefusal.Code?] = [
            refusalCode(try await f.verdict(try f.issue(notBefore: now - 9 * day, notAfter: now - day))),
            refusalCode(try await f.verdict(try f.issue(notBefore: now + day, notAfter: now + 9 * day))),
            refusalCode(try await f.verdict(try f.issue(by: impostor))),
            refusalCode(try await f.verdict(good, role: .supervisor)),
            refusalCode(try await f.verdict(good, verifier: revokedVerifier)),
            refusalCode(
                await f.verifier.verify(
                    leafDER: tampered, intermediatesDER: [], expectedRole: nil, expectedMember: nil,
                    atSecondsSince1970: now)),
        ]
        #expect(codes == [.expired, .notYetValid, .untrustedChain, .wrongRole, .revoked, .badSignature])
        #expect(Set(codes).count == codes.count)
    }

    @Test func theRootHasTheExtensionsOpenSSLExpects() throws {
        let f = try Fixture()
        let root = f.ca.certificate
        #expect(root.issuer == root.subject)
        #expect(try root.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(try root.extensions.keyUsage?.keyCertSign == true)
        let leaf = try f.issue()
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try leaf.extensions.extendedKeyUsage?.contains(.clientAuth) == true)
        #expect(try leaf.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        let san = try #require(leaf.extensions[oid: .X509ExtensionID.subjectAlternativeName])
        #expect(!san.critical)
        let names = try #require(try leaf.extensions.subjectAlternativeNames)
        #expect(
            names.map { name -> String in
                if case .uniformResourceIdentifier(let uri) = name { return uri }
                return "not a URI"
            } == ["creditchain:role:bank", "creditchain:member:bank-of-shenzhen"])
    }

    @Test func revokedPairsHaveACanonicalEncoding() throws {
        let pair = RevokedCertificate(issuer: [0x30, 0x00], serial: [0x01, 0x02])
        #expect(pair.canonicalBytes == [0, 0, 0, 2, 0x30, 0x00, 0, 0, 0, 2, 1, 2])
        #expect(try RevokedCertificate(canonicalBytes: pair.canonicalBytes) == pair)
        #expect(throws: ChainCoreError.self) {
            _ = try RevokedCertificate(
                canonicalBytes: [0, 0, 0, 2, 0x30, 0x00, 0, 0, 0, 33] + [UInt8](repeating: 1, count: 33))
        }
    }
}

/// Independent check: OpenSSL's own verifier accepts what we issue (and rejects an expired one).
@Suite struct CertificateOpenSSLTests {
    static let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    private func openSSLVerify(ca: String, leaf: String) throws -> (status: Int32, output: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("creditchain-openssl-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try ca.write(to: dir.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
        try leaf.write(to: dir.appendingPathComponent("member.pem"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.openssl, "openssl CLI not installed"))
        process.arguments = ["verify", "-x509_strict", "-CAfile", "ca.pem", "member.pem"]
        process.currentDirectoryURL = dir
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test func openSSLVerifiesAMemberCertificate() throws {
        let wallClock = Int64(Date().timeIntervalSince1970)
        let ca = try CertificateAuthority.create(name: "GBA Credit Consortium", atSecondsSince1970: wallClock)
        let identity = MemberIdentity(member: try MemberID("gd-amr"), role: .dataSource)
        let leaf = try ca.issue(
            publicKey: P256.Signing.PrivateKey().publicKey, identity: identity, displayName: "广东省市场监督管理局",
            atSecondsSince1970: wallClock)
        let result = try openSSLVerify(ca: try ca.certificatePEM, leaf: try leaf.serializeAsPEM().pemString)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "member.pem: OK")

        let expired = try ca.issue(
            publicKey: P256.Signing.PrivateKey().publicKey, identity: identity, displayName: "x",
            notValidBeforeSeconds: wallClock - 10 * day, notValidAfterSeconds: wallClock - day)
        let refused = try openSSLVerify(ca: try ca.certificatePEM, leaf: try expired.serializeAsPEM().pemString)
        #expect(refused.status != 0)
        #expect(refused.output.contains("expired"))
    }
}
