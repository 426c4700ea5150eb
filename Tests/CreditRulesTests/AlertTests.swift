import ChainCore
import Ledger
import Testing

@testable import CreditRules

/// Supervision alerts with deterministic rules (parameters in genesis).
@Suite struct AlertTests {
    let acme = TestEnterprise(uscc: "91440101MA5CYNP25X", seed: 1)

    /// A bank's orders today far above its trailing daily average raise one spike alert.
    @Test func orderSpikeAgainstTrailingAverage() {
        var p = CreditParameters()
        p.alertSpikeMinimum = 4
        p.alertSpikePercent = 200
        p.alertSpikeWindowDays = 2
        var f = Fixture(parameters: p)
        f.register(acme)
        let id = f.consent(acme, f.consentBody(acme, categories: ["basic"], until: f.time + 20 * Fixture.day))
        let order = PlaceOrderPayload(
            consentID: id, purpose: .loanApplication, loanReference: "L", types: ["AMR-REG-001"])
        // One order a day for two days, then eight in one day.
        f.run(Fixture.bankA, order, advance: Fixture.day)
        f.run(Fixture.bankA, order, advance: Fixture.day)
        f.block([], advance: Fixture.day)
        let txs = (0..<8).map { _ in f.tx(Fixture.bankA, order) }
        f.block(txs)
        let rules = (0..<f.app.count("alert")).compactMap { f.app.alert($0)?.rule }
        #expect(rules.filter { $0 == "alert.order_spike" }.count == 1)
    }

    /// Repeated rejected attempts by one member in a day raise one alert.
    @Test func repeatedRejectionsAlert() {
        var p = CreditParameters()
        p.alertRejectedAttemptsMax = 3
        var f = Fixture(parameters: p)
        let bad = PlaceOrderPayload(
            consentID: .zero, purpose: .loanApplication, loanReference: "L", types: ["AMR-REG-001"])
        for _ in 0..<5 { #expect(f.run(Fixture.bankB, bad) == "order.unknown_consent") }
        let alerts = (0..<f.app.count("alert")).compactMap { f.app.alert($0) }
        #expect(alerts.filter { $0.rule == "alert.repeated_rejections" && $0.member == Fixture.bankB }.count == 1)
        #expect(f.app.count("rejected") == 5)
    }

    /// Only the supervisor acknowledges alerts.
    @Test func onlyTheSupervisorAcknowledges() {
        var p = CreditParameters()
        p.alertRejectedAttemptsMax = 1
        var f = Fixture(parameters: p)
        f.run(Fixture.bankB, UnfreezePayload(member: Fixture.bankA))
        #expect(f.app.alert(0)?.rule == "alert.repeated_rejections")
        #expect(f.run(Fixture.bankB, AcknowledgeAlertPayload(alertID: 0)) == "supervision.not_supervisor")
        #expect(f.run(Fixture.supervisor, AcknowledgeAlertPayload(alertID: 7)) == "alert.unknown")
        #expect(f.run(Fixture.supervisor, AcknowledgeAlertPayload(alertID: 0)) == "ok")
    }
}
