import Testing

@testable import Transport

@Suite struct PeerIdentityTests {
    @Test func readsMemberAndRoleFromSANURIs() throws {
        let pki = try TestPKI()
        let credential = try pki.issue(member: "bureau-1", role: "bureau")
        let identity = try PeerIdentity(certificate: credential.certificate)
        #expect(identity == PeerIdentity(member: member("bureau-1"), role: role("bureau")))
    }

    @Test func refusesMissingDuplicateOrInvalidURIs() throws {
        let pki = try TestPKI()
        let cases: [([String], String)] = [
            ([], "peer.identity_missing"),
            (["creditchain:member:a"], "peer.identity_missing"),
            (["creditchain:member:a", "creditchain:member:b", "creditchain:role:bank"], "peer.identity_missing"),
            (["creditchain:member:Not_Valid", "creditchain:role:bank"], "peer.identity_invalid"),
            (["creditchain:member:a", "creditchain:role:"], "peer.identity_invalid"),
        ]
        for (uris, code) in cases {
            let credential = try pki.issue(member: "x", role: "y", uris: uris)
            let error = #expect(throws: TransportError.self) { try PeerIdentity(certificate: credential.certificate) }
            #expect(error?.code == code, "\(uris)")
        }
    }

    @Test func otherURIsAreIgnored() throws {
        let pki = try TestPKI()
        let credential = try pki.issue(
            member: "x", role: "y",
            uris: ["https://example.invalid/", "creditchain:role:observer", "creditchain:member:obs-1"])
        #expect(try PeerIdentity(certificate: credential.certificate).member == member("obs-1"))
    }
}

@Suite struct LinkPolicyTests {
    let policy = LinkPolicy(inboundRoles: [role("validator"), role("observer")], outboundRoles: [role("validator")])
    let validatorB = PeerIdentity(member: member("validator-b"), role: role("validator"))

    @Test func outboundNeedsTheExpectedMember() throws {
        try policy.check(validatorB, on: .outbound(expected: member("validator-b")))
        let error = #expect(throws: TransportError.self) {
            try policy.check(validatorB, on: .outbound(expected: member("validator-c")))
        }
        #expect(error?.code == "peer.wrong_member")
    }

    @Test func outboundNeedsAnAllowedRole() {
        let observer = PeerIdentity(member: member("obs"), role: role("observer"))
        let error = #expect(throws: TransportError.self) {
            try policy.check(observer, on: .outbound(expected: member("obs")))
        }
        #expect(error?.code == "peer.wrong_role")
    }

    @Test func inboundNeedsAnAllowedRole() throws {
        try policy.check(validatorB, on: .inbound)
        let bank = PeerIdentity(member: member("bank-1"), role: role("bank"))
        let error = #expect(throws: TransportError.self) { try policy.check(bank, on: .inbound) }
        #expect(error?.code == "peer.wrong_role")
    }
}
