import Foundation
import Testing

@testable import Transport

@Suite struct X509PeerAuthorizerTests {
    @Test func acceptsAMemberOfTheConsortium() async throws {
        let pki = try TestPKI()
        let authorizer = X509PeerAuthorizer(roots: [pki.certificate])
        let credential = try pki.issue(member: "validator-a", role: "validator")
        let identity = try await authorizer.authenticate(peerChain: [credential.certificate])
        #expect(identity.member == member("validator-a"))
        #expect(identity.role == role("validator"))
    }

    private func refusal(_ authorizer: X509PeerAuthorizer, _ credential: TestCredential) async -> String? {
        do {
            _ = try await authorizer.authenticate(peerChain: [credential.certificate])
            return nil
        } catch let error as TransportError {
            return error.code
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func refusesACertificateFromAnotherCA() async throws {
        let pki = try TestPKI()
        let other = try TestPKI(commonName: "CreditChain Test CA")  // same name, other key
        let authorizer = X509PeerAuthorizer(roots: [pki.certificate])
        let credential = try other.issue(member: "validator-a", role: "validator")
        #expect(await refusal(authorizer, credential) == "peer.certificate_untrusted")
    }

    @Test func refusesExpiredAndNotYetValid() async throws {
        let pki = try TestPKI()
        let authorizer = X509PeerAuthorizer(roots: [pki.certificate])
        let expired = try pki.issue(
            member: "a", role: "validator", notValidBefore: Date() - 7200, notValidAfter: Date() - 3600)
        #expect(await refusal(authorizer, expired) == "peer.certificate_expired")
        let future = try pki.issue(
            member: "a", role: "validator", notValidBefore: Date() + 3600, notValidAfter: Date() + 7200)
        #expect(await refusal(authorizer, future) == "peer.certificate_not_yet_valid")
    }

    @Test func refusesRevokedMembersAndSerials() async throws {
        let pki = try TestPKI()
        let revocations = RevocationList()
        let authorizer = X509PeerAuthorizer(roots: [pki.certificate], revocations: revocations)
        let a = try pki.issue(member: "a", role: "validator")
        let b = try pki.issue(member: "b", role: "validator")
        #expect(await refusal(authorizer, a) == nil)
        revocations.revoke(member: member("a"))
        revocations.revoke(serial: b.certificate.serialNumber)
        #expect(await refusal(authorizer, a) == "peer.revoked")
        #expect(await refusal(authorizer, b) == "peer.revoked")
    }

    @Test func refusesTheCAItselfAsAPeer() async throws {
        let pki = try TestPKI()
        let authorizer = X509PeerAuthorizer(roots: [pki.certificate])
        do {
            _ = try await authorizer.authenticate(peerChain: [pki.certificate])
            Issue.record("the CA certificate names no member and must be refused")
        } catch let error as TransportError {
            #expect(error.code == "peer.identity_missing")
        }
    }

    @Test func refusesAnEmptyChain() async {
        let authorizer = X509PeerAuthorizer(roots: [(try? TestPKI())!.certificate])
        await #expect(throws: TransportError.self) { _ = try await authorizer.authenticate(peerChain: []) }
    }
}
