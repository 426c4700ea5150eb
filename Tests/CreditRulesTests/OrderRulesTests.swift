import ChainCore
import Ledger
import Testing

@testable import CreditRules

/// Orders, deliveries, receipts and points (Art. 13, 18, 22).
@Suite struct OrderRulesTests {
    let acme = TestEnterprise(uscc: "91440101MA5CYNP25X", seed: 1)

    /// Publishes a registration (public), a financial record (confidential, 5 points) and a
    /// tax credit rating (restricted, 3 points) for acme, and registers acme's key.
    func seeded() -> Fixture {
        var f = Fixture()
        f.register(acme)
        let items = [
            Fixture.commitment(acme, type: "AMR-REG-001", record: "reg-1"),
            Fixture.commitment(acme, type: "AMR-ANF-001", record: "anf-2025"),
            Fixture.commitment(acme, type: "TAX-CRD-001", record: "tax-2025"),
        ]
        let code = f.run(Fixture.hub, PublishCommitmentsPayload(items: items))
        precondition(code == "ok", code)
        return f
    }

    @Test func orderListsCurrentRecordsAndReservesPoints() throws {
        var f = seeded()
        let id = f.consent(acme, f.consentBody(acme, categories: ["business"]))
        let order = PlaceOrderPayload(
            consentID: id, purpose: .loanApplication, loanReference: "LA-2026-001",
            types: ["AMR-ANF-001", "AMR-REG-001"])
        #expect(f.run(Fixture.bankA, order) == "ok")
        let o = try #require(f.app.order(0))
        #expect(o.items.map(\.record.recordID) == ["anf-2025", "reg-1"])
        #expect(o.reservedPoints == 6 && o.status == .open && o.items.allSatisfy { $0.publisher == Fixture.hub })
        #expect(f.app.points(Fixture.bankA) == 10_000 - 6)
        // Art. 22: who, when, what, why.
        let entry = try #require(f.app.auditLog(acme.subject).last)
        #expect(entry.action == .orderPlaced && entry.actor == Fixture.bankA && entry.purpose == .loanApplication)
        #expect(entry.orderID == 0 && entry.detail.contains("AMR-ANF-001"))
    }

    /// Art. 13/18: a type outside the consent's scope is refused — unless it is public.
    @Test func scopeMustCoverEveryNonPublicType() {
        var f = seeded()
        let id = f.consent(acme, f.consentBody(acme, types: ["AMR-REG-001"]))
        let outside = PlaceOrderPayload(
            consentID: id, purpose: .loanApplication, loanReference: "L", types: ["TAX-CRD-001"])
        #expect(f.run(Fixture.bankA, outside) == "order.scope_not_covered")
        // A consent holding only public types is enough for public types.
        let publicOnly = PlaceOrderPayload(
            consentID: id, purpose: .loanApplication, loanReference: "L", types: ["AMR-REG-001", "AMR-ABN-001"])
        #expect(f.run(Fixture.bankA, publicOnly) == "ok")
    }

    /// A rejected order is recorded for the supervisor and in the subject's audit log.
    @Test func rejectedOrderIsRecorded() throws {
        var f = seeded()
        let id = f.consent(acme, f.consentBody(acme, types: ["AMR-REG-001"]))
        let before = f.app.points(Fixture.bankA)
        let outside = PlaceOrderPayload(
            consentID: id, purpose: .loanApplication, loanReference: "L", types: ["TAX-CRD-001"])
        #expect(f.run(Fixture.bankA, outside) == "order.scope_not_covered")
        #expect(f.app.points(Fixture.bankA) == before)
        #expect(f.app.count("order") == 0)
        let attempt = try #require(f.app.rejectedAttempt(f.app.count("rejected") - 1))
        #expect(attempt.member == Fixture.bankA && attempt.code == "order.scope_not_covered")
        #expect(attempt.kind == TransactionKind.placeOrder.rawValue)
        let last = try #require(f.app.auditLog(acme.subject).last)
        #expect(last.action == .orderRejected && last.detail == "order.scope_not_covered")
    }

    /// The consent belongs to one bank (wrong-bank consents fail).
    @Test func wrongBankFails() {
        var f = seeded()
        let id = f.consent(acme, f.consentBody(acme, categories: ["business"]))
        let order = PlaceOrderPayload(
            consentID: id, purpose: .loanApplication, loanReference: "L", types: ["AMR-ANF-001"])
        #expect(f.run(Fixture.bankB, order) == "consent.wrong_bank")
    }

    /// Expired and not-yet-valid consents fail; the purpose must be the consent's (Art. 18).
    @Test func consentTimeAndPurpose() {
        var f = seeded()
        let later = f.consent(
            acme, f.consentBody(acme, categories: ["business"], from: f.time + 2 * Fixture.day, nonce: 7))
        let order = PlaceOrderPayload(
            consentID: later, purpose: .loanApplication, loanReference: "L", types: ["AMR-ANF-001"])
        #expect(f.run(Fixture.bankA, order) == "consent.not_yet_valid")
        let short = f.consent(
            acme, f.consentBody(acme, categories: ["business"], until: f.time + Fixture.day, nonce: 8))
        let wrongPurpose = PlaceOrderPayload(
            consentID: short, purpose: .guaranteeReview, loanReference: nil, types: ["AMR-ANF-001"])
        #expect(f.run(Fixture.bankA, wrongPurpose) == "consent.purpose_mismatch")
        let onTime = PlaceOrderPayload(
            consentID: short, purpose: .loanApplication, loanReference: "L", types: ["AMR-ANF-001"])
        #expect(f.run(Fixture.bankA, onTime, advance: 2 * Fixture.day) == "consent.expired")
    }

    /// Genesis says which roles may use which purpose: a data source may not query.
    @Test func purposeMustBeAllowedForTheRole() {
        var f = seeded()
        let body = f.consentBody(acme, bank: Fixture.court, purpose: .loanApplication, categories: ["business"])
        #expect(f.run(Fixture.court, f.grant(acme, body)) == "ok")
        let order = PlaceOrderPayload(
            consentID: body.id(using: TestHasher()), purpose: .loanApplication, loanReference: "L",
            types: ["AMR-ANF-001"])
        #expect(f.run(Fixture.court, order) == "order.purpose_not_allowed")
    }

    @Test func unknownConsentAndInsufficientPoints() {
        var f = seeded()
        let order = PlaceOrderPayload(
            consentID: .zero, purpose: .loanApplication, loanReference: "L", types: ["AMR-ANF-001"])
        #expect(f.run(Fixture.bankA, order) == "order.unknown_consent")
        var g = Fixture.genesis()
        g.points = []
        var f2 = Fixture()
        // swift-format-ignore: NeverForceTry
        f2.app = try! CreditRulesApplication(genesis: g, hasher: TestHasher(), verifier: TestVerifier())
        f2.register(acme)
        #expect(
            f2.run(
                Fixture.hub,
                PublishCommitmentsPayload(items: [Fixture.commitment(acme, type: "AMR-ANF-001", record: "a")])) == "ok")
        let id = f2.consent(acme, f2.consentBody(acme, categories: ["business"]))
        let o2 = PlaceOrderPayload(consentID: id, purpose: .loanApplication, loanReference: "L", types: ["AMR-ANF-001"])
        #expect(f2.run(Fixture.bankA, o2) == "points.insufficient")
    }

    /// Delivery by the source, receipt by the bank; verified records pay the source at the
    /// type's price, mismatches refund the bank and alert the supervisor.
    @Test func deliveryReceiptAndPoints() throws {
        var f = seeded()
        let id = f.consent(acme, f.consentBody(acme, categories: ["business", "credit_enhancement"]))
        let order = PlaceOrderPayload(
            consentID: id, purpose: .loanApplication, loanReference: "L", types: ["AMR-ANF-001", "TAX-CRD-001"])
        #expect(f.run(Fixture.bankA, order) == "ok")
        let anf = RecordRef(typeCode: "AMR-ANF-001", recordID: "anf-2025")
        let tax = RecordRef(typeCode: "TAX-CRD-001", recordID: "tax-2025")
        let delivery = RecordDeliveryPayload(
            orderID: 0,
            items: [
                DeliveredItem(record: anf, ciphertextHash: .zero), DeliveredItem(record: tax, ciphertextHash: .zero),
            ])
        #expect(f.run(Fixture.court, delivery) == "delivery.not_source")
        #expect(f.run(Fixture.hub, delivery) == "ok")
        #expect(f.run(Fixture.hub, delivery) == "delivery.already_delivered")
        let receipt = RecordReceiptPayload(
            orderID: 0, items: [ReceiptItem(record: anf, verified: true), ReceiptItem(record: tax, verified: false)])
        #expect(f.run(Fixture.bankB, receipt) == "receipt.not_bank")
        #expect(f.run(Fixture.bankA, receipt) == "ok")
        let o = try #require(f.app.order(0))
        #expect(o.status == .fulfilled && o.reservedPoints == 0)
        #expect(f.app.points(Fixture.hub) == 5)
        #expect(f.app.points(Fixture.bankA) == 10_000 - 5)
        let period = CivilDate(timestampMillis: f.time).period
        #expect(f.app.statement(Fixture.hub, period: period)?.earned == 5)
        #expect(f.app.statement(Fixture.bankA, period: period)?.spent == 5)
        #expect(f.app.statement(Fixture.bankA, period: period)?.refunded == 3)
        let alerts = (0..<f.app.count("alert")).compactMap { f.app.alert($0) }
        #expect(alerts.contains { $0.rule == "alert.delivery_mismatch" && $0.member == Fixture.hub })
        #expect(f.run(Fixture.hub, delivery) == "order.closed")
    }

    /// Reserved points return when an unfulfilled order expires.
    @Test func expiredOrderReturnsReservedPoints() throws {
        var f = seeded()
        let id = f.consent(acme, f.consentBody(acme, categories: ["business"]))
        let order = PlaceOrderPayload(
            consentID: id, purpose: .loanApplication, loanReference: "L", types: ["AMR-ANF-001"])
        #expect(f.run(Fixture.bankA, order) == "ok")
        #expect(f.app.points(Fixture.bankA) == 10_000 - 5)
        f.block([], advance: 8 * Fixture.day)
        let o = try #require(f.app.order(0))
        #expect(o.status == .expired && o.items[0].state == .lapsed)
        #expect(f.app.points(Fixture.bankA) == 10_000)
        let delivery = RecordDeliveryPayload(
            orderID: 0,
            items: [
                DeliveredItem(record: RecordRef(typeCode: "AMR-ANF-001", recordID: "anf-2025"), ciphertextHash: .zero)
            ])
        #expect(f.run(Fixture.hub, delivery) == "order.closed")
    }

    /// A superseded version is never listed; the order lists the current one.
    @Test func supersededVersionIsNotListed() throws {
        var f = seeded()
        let v2 = Fixture.commitment(acme, type: "AMR-ANF-001", record: "anf-2025", version: 2, salt: 9)
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [v2])) == "ok")
        let id = f.consent(acme, f.consentBody(acme, categories: ["business"]))
        #expect(
            f.run(
                Fixture.bankA,
                PlaceOrderPayload(consentID: id, purpose: .loanApplication, loanReference: "L", types: ["AMR-ANF-001"]))
                == "ok")
        let o = try #require(f.app.order(0))
        #expect(o.items.count == 1 && o.items[0].version == 2 && o.items[0].commitment == v2.commitment)
    }

    /// Supervision: a loan-application order without an application reference raises an alert
    /// (or is refused when genesis requires the reference).
    @Test func missingLoanReference() {
        var f = seeded()
        let id = f.consent(acme, f.consentBody(acme, categories: ["business"]))
        #expect(
            f.run(
                Fixture.bankA,
                PlaceOrderPayload(consentID: id, purpose: .loanApplication, loanReference: nil, types: ["AMR-ANF-001"]))
                == "ok")
        #expect(f.app.alert(0)?.rule == "alert.no_loan_reference")
        #expect(f.run(Fixture.supervisor, AcknowledgeAlertPayload(alertID: 0, note: "asked the bank")) == "ok")
        #expect(f.app.alert(0)?.acknowledgedBy == Fixture.supervisor)
        #expect(f.run(Fixture.supervisor, AcknowledgeAlertPayload(alertID: 0)) == "alert.already_acknowledged")
        var p = CreditParameters()
        p.requireLoanReference = 1
        var strict = Fixture(parameters: p)
        strict.register(acme)
        let sid = strict.consent(acme, strict.consentBody(acme, categories: ["business"]))
        #expect(
            strict.run(
                Fixture.bankA,
                PlaceOrderPayload(consentID: sid, purpose: .loanApplication, loanReference: nil, types: ["AMR-ANF-001"])
            ) == "order.reference_missing")
    }

    /// Supervision: one consent used beyond N orders raises one alert.
    @Test func consentReuseAlert() {
        var p = CreditParameters()
        p.alertConsentUsesMax = 2
        var f = Fixture(parameters: p)
        f.register(acme)
        let id = f.consent(acme, f.consentBody(acme, categories: ["basic"]))
        for _ in 0..<4 {
            #expect(
                f.run(
                    Fixture.bankA,
                    PlaceOrderPayload(
                        consentID: id, purpose: .loanApplication, loanReference: "L", types: ["AMR-REG-001"])) == "ok")
        }
        let rules = (0..<f.app.count("alert")).compactMap { f.app.alert($0)?.rule }
        #expect(rules.filter { $0 == "alert.consent_reuse" }.count == 1)
    }

    /// Supervision: a bank's daily orders above the threshold raise one alert.
    @Test func dailyOrderThresholdAlert() {
        var p = CreditParameters()
        p.alertDailyOrdersMax = 2
        var f = Fixture(parameters: p)
        f.register(acme)
        let id = f.consent(acme, f.consentBody(acme, categories: ["basic"]))
        let txs = (0..<4).map { _ in
            f.tx(
                Fixture.bankA,
                PlaceOrderPayload(consentID: id, purpose: .loanApplication, loanReference: "L", types: ["AMR-REG-001"]))
        }
        let results = f.block(txs).results
        #expect(results.allSatisfy { $0.isOK })
        let rules = (0..<f.app.count("alert")).compactMap { f.app.alert($0)?.rule }
        #expect(rules.filter { $0 == "alert.daily_orders" }.count == 1)
    }
}
