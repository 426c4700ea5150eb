import ChainCore
import Testing

@testable import CreditRules

@Suite struct ReadPolicyTests {
    let policy = ReadPolicy()
    let acme = TestEnterprise(uscc: "91440101MA5CYNP25X", seed: 1)

    func order() -> QueryOrder {
        QueryOrder(
            id: 1, bank: Fixture.bankA, subject: acme.subject, consentID: .zero, purpose: .loanApplication,
            loanReference: nil, types: ["TAX-CRD-001"],
            items: [
                OrderItem(
                    record: RecordRef(typeCode: "TAX-CRD-001", recordID: "t"), version: 1, commitment: .zero,
                    publisher: Fixture.hub, price: 3)
            ],
            reservedPoints: 3, placedAtMillis: 0, height: 1, expiresAtMillis: 1, status: .open)
    }

    @Test func ordersAreReadByTheirParties() {
        let o = order()
        #expect(policy.order(o, reader: .member(Fixture.supervisor, .supervisor)).isAllowed)
        #expect(policy.order(o, reader: .member(Fixture.bankA, .bank)).isAllowed)
        #expect(policy.order(o, reader: .member(Fixture.hub, .dataSource)).isAllowed)
        #expect(policy.order(o, reader: .enterprise(acme.subject)).isAllowed)
        #expect(!policy.order(o, reader: .member(Fixture.bankB, .bank)).isAllowed)
        #expect(!policy.order(o, reader: .member(Fixture.court, .dataSource)).isAllowed)
        #expect(!policy.order(o, reader: .enterprise(.zero)).isAllowed)
    }

    @Test func alertsAreTheSupervisors() {
        let a = Alert(sequence: 0, rule: "alert.x", member: nil, subject: nil, detail: "", raisedAtMillis: 0, height: 0)
        #expect(policy.alert(a, reader: .member(Fixture.supervisor, .supervisor)).isAllowed)
        #expect(!policy.alert(a, reader: .member(Fixture.bankA, .bank)).isAllowed)
    }

    /// A mediator reads the audit log of a subject it has a case on; the subject reads its own (Art. 22).
    @Test func auditLogReaders() {
        #expect(policy.auditLog(subject: acme.subject, reader: .enterprise(acme.subject)).isAllowed)
        #expect(!policy.auditLog(subject: acme.subject, reader: .member(Fixture.mediator, .mediator)).isAllowed)
        #expect(
            policy.auditLog(
                subject: acme.subject, reader: .member(Fixture.mediator, .mediator),
                mediatorsWithCase: [Fixture.mediator]
            ).isAllowed)
        #expect(!policy.auditLog(subject: acme.subject, reader: .member(Fixture.bankA, .bank)).isAllowed)
    }

    @Test func pointsAreReadByTheirOwner() {
        #expect(policy.points(of: Fixture.bankA, reader: .member(Fixture.bankA, .bank)).isAllowed)
        #expect(!policy.points(of: Fixture.bankA, reader: .member(Fixture.bankB, .bank)).isAllowed)
    }
}
