import ChainCrypto
import Foundation
import Testing

@testable import Transport

@Suite struct ConsortiumPeerAuthorizerTests {
    private func refusal(_ authorizer: ConsortiumPeerAuthorizer, _ credential: TestCredential) async -> String? {
        do {
            _ = try await authorizer.authenticate(peerChain: [credential.certificate])
            return nil
        } catch let error as TransportError {
            return error.code
        } catch {
            return "unexpected \(error)"
        }
    }

    private func authorizer(_ pki: TestPKI) -> ConsortiumPeerAuthorizer {
        ConsortiumPeerAuthorizer(verifier: ConsortiumCertificateVerifier(root: pki.certificate))
    }

    @Test func acceptsAMemberOfTheConsortium() async throws {
        let pki = try TestPKI()
        let credential = try pki.issue(member: "bureau-a", role: "bureau")
        let identity = try await authorizer(pki).authenticate(peerChain: [credential.certificate])
        #expect(identity == MemberIdentity(member: member("bureau-a"), role: .bureau))
    }

    @Test func refusesACertificateFromAnotherCA() async throws {
        let pki = try TestPKI()
        let other = try TestPKI(commonName: "Another CA")
        #expect(
            await refusal(authorizer(pki), try other.issue(member: "bureau-a", role: "bureau"))
                == "cert.untrusted_chain")
    }

    @Test func refusesExpiredAndNotYetValid() async throws {
        let pki = try TestPKI()
        let expired = try pki.issue(
            member: "a", role: "bureau", notValidBefore: Date() - 7200, notValidAfter: Date() - 3600)
        #expect(await refusal(authorizer(pki), expired) == "cert.expired")
        let future = try pki.issue(
            member: "a", role: "bureau", notValidBefore: Date() + 3600, notValidAfter: Date() + 7200)
        #expect(await refusal(authorizer(pki), future) == "cert.not_yet_valid")
    }

    @Test func refusesRevokedCertificatesAndMembers() async throws {
        let pki = try TestPKI()
        let authorizer = authorizer(pki)
        let a = try pki.issue(member: "a", role: "bureau")
        let b = try pki.issue(member: "b", role: "bureau")
        #expect(await refusal(authorizer, a) == nil)
        #expect(await refusal(authorizer, b) == nil)
        authorizer.revoke(member: member("a"))
        authorizer.update(revoked: [try RevokedCertificate(certificate: b.certificate)])
        #expect(await refusal(authorizer, a) == "cert.revoked")
        #expect(await refusal(authorizer, b) == "cert.revoked")
    }

    @Test func refusesMissingOrUnknownIdentity() async throws {
        let pki = try TestPKI()
        let unknownRole = try pki.issue(member: "a", role: "validator")
        #expect(await refusal(authorizer(pki), unknownRole) == "cert.missing_identity")
        let twoMembers = try pki.issue(
            member: "a", role: "bureau",
            uris: ["creditchain:member:a", "creditchain:member:b", "creditchain:role:bureau"])
        #expect(await refusal(authorizer(pki), twoMembers) == "cert.missing_identity")
    }

    @Test func refusesAnEmptyChain() async throws {
        let error = await #expect(throws: TransportError.self) {
            _ = try await authorizer(try TestPKI()).authenticate(peerChain: [])
        }
        #expect(error?.code == "cert.malformed")
    }
}
