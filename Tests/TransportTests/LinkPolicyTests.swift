import ChainCrypto
import Testing

@testable import Transport

@Suite struct LinkPolicyTests {
    let policy = LinkPolicy(inboundRoles: [.bureau, .mediator], outboundRoles: [.bureau])
    let bureauB = MemberIdentity(member: member("bureau-b"), role: .bureau)

    @Test func outboundNeedsTheExpectedMember() throws {
        try policy.check(bureauB, on: .outbound(expected: member("bureau-b")))
        let error = #expect(throws: TransportError.self) {
            try policy.check(bureauB, on: .outbound(expected: member("bureau-c")))
        }
        #expect(error?.code == "cert.wrong_member")
    }

    @Test func outboundNeedsAnAllowedRole() {
        let mediator = MemberIdentity(member: member("mediator-1"), role: .mediator)
        let error = #expect(throws: TransportError.self) {
            try policy.check(mediator, on: .outbound(expected: member("mediator-1")))
        }
        #expect(error?.code == "cert.wrong_role")
    }

    @Test func anyOutboundRoleWhenUnrestricted() throws {
        let open = LinkPolicy(inboundRoles: [], outboundRoles: nil)
        try open.check(MemberIdentity(member: member("bank-1"), role: .bank), on: .outbound(expected: member("bank-1")))
    }

    @Test func inboundNeedsAnAllowedRole() throws {
        try policy.check(bureauB, on: .inbound)
        let bank = MemberIdentity(member: member("bank-1"), role: .bank)
        let error = #expect(throws: TransportError.self) { try policy.check(bank, on: .inbound) }
        #expect(error?.code == "cert.wrong_role")
    }
}
