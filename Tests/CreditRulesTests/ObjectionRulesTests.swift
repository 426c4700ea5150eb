import ChainCore
import Ledger
import Testing

@testable import CreditRules

/// Objections and mediation (Art. 25).
@Suite struct ObjectionRulesTests {
    let acme = TestEnterprise(uscc: "91440101MA5CYNP25X", seed: 1)
    let ref = RecordRef(typeCode: "TAX-CRD-001", recordID: "tax-2025")

    /// acme registered, one tax rating published, delivered to and verified by bank A.
    func delivered() -> Fixture {
        var f = Fixture()
        f.register(acme)
        precondition(
            f.run(
                Fixture.hub,
                PublishCommitmentsPayload(items: [Fixture.commitment(acme, type: "TAX-CRD-001", record: "tax-2025")]))
                == "ok")
        let id = f.consent(acme, f.consentBody(acme, categories: ["credit_enhancement"]))
        precondition(
            f.run(
                Fixture.bankA,
                PlaceOrderPayload(consentID: id, purpose: .loanApplication, loanReference: "L", types: ["TAX-CRD-001"]))
                == "ok")
        precondition(
            f.run(
                Fixture.hub,
                RecordDeliveryPayload(orderID: 0, items: [DeliveredItem(record: ref, ciphertextHash: .zero)])) == "ok")
        precondition(
            f.run(Fixture.bankA, RecordReceiptPayload(orderID: 0, items: [ReceiptItem(record: ref, verified: true)]))
                == "ok")
        return f
    }

    func objection(_ reason: String = "the rating is outdated", version: UInt32 = 1, nonce: UInt8 = 1)
        -> FileObjectionPayload
    {
        let body = ObjectionBody(
            subject: acme.subject, record: ref, version: version, reason: reason,
            nonce: Array(repeating: nonce, count: 16))
        return FileObjectionPayload(
            body: body, signature: acme.sign(CreditDomains.objection, body.canonicalBytes, chainID: Fixture.chainID))
    }

    @Test func objectionHasATwentyDayDeadline() throws {
        var f = delivered()
        #expect(f.run(Fixture.mediator, objection()) == "ok")
        let o = try #require(f.app.objection(0))
        #expect(
            o.deadlineMillis - o.filedAtMillis == 20 * Fixture.day && o.status == .open && o.publisher == Fixture.hub)
        #expect(f.run(Fixture.mediator, objection()) == "objection.replayed")
        #expect(f.run(Fixture.mediator, objection(version: 2, nonce: 2)) == "objection.stale_version")
        let forged = FileObjectionPayload(body: objection(nonce: 3).body, signature: Array(repeating: 0, count: 64))
        #expect(f.run(Fixture.mediator, forged) == "objection.bad_signature")
    }

    /// Correct: a new linked version, and a notice to every bank that received the old one.
    @Test func correctionCreatesLinkedVersionAndNotices() throws {
        var f = delivered()
        #expect(f.run(Fixture.mediator, objection()) == "ok")
        let fix = Fixture.commitment(acme, type: "TAX-CRD-001", record: "tax-2025", version: 2, salt: 5)
        #expect(
            f.run(Fixture.bankA, AnswerObjectionPayload(objectionID: 0, action: .correct, text: "x", correction: fix))
                == "objection.not_publisher")
        #expect(
            f.run(Fixture.hub, AnswerObjectionPayload(objectionID: 0, action: .correct, text: "updated"))
                == "objection.correction_missing")
        #expect(
            f.run(
                Fixture.hub, AnswerObjectionPayload(objectionID: 0, action: .correct, text: "updated", correction: fix))
                == "ok")
        let r = try #require(f.app.record(ref))
        #expect(r.version == 2 && r.history.last?.objectionID == 0)
        let n = try #require(f.app.notice(0))
        #expect(n.bank == Fixture.bankA && n.oldVersion == 1 && n.newVersion == 2)
        #expect(f.app.objection(0)?.status == .corrected)
        #expect(
            f.run(Fixture.hub, AnswerObjectionPayload(objectionID: 0, action: .reject, text: "again"))
                == "objection.closed")
    }

    /// Annotate: both views recorded with the record.
    @Test func annotationIsRecordedWithTheRecord() throws {
        var f = delivered()
        #expect(f.run(Fixture.mediator, objection()) == "ok")
        #expect(
            f.run(
                Fixture.hub,
                AnswerObjectionPayload(objectionID: 0, action: .annotate, text: "enterprise disputes the rating"))
                == "ok")
        #expect(f.app.record(ref)?.annotations.first?.text == "enterprise disputes the rating")
        #expect(f.app.objection(0)?.status == .annotated)
    }

    /// Reject requires reasons.
    @Test func rejectionNeedsReasons() {
        var f = delivered()
        #expect(f.run(Fixture.mediator, objection()) == "ok")
        #expect(
            f.run(Fixture.hub, AnswerObjectionPayload(objectionID: 0, action: .reject, text: ""))
                == "objection.reasons_missing")
        #expect(
            f.run(Fixture.hub, AnswerObjectionPayload(objectionID: 0, action: .reject, text: "source data verified"))
                == "ok")
        #expect(f.app.objection(0)?.status == .rejected)
    }

    /// Overdue objections (past 20 days of block time) raise one supervisor alert.
    @Test func overdueObjectionAlertsTheSupervisor() throws {
        var f = delivered()
        #expect(f.run(Fixture.mediator, objection()) == "ok")
        f.block([], advance: 19 * Fixture.day)
        #expect(f.app.objection(0)?.overdue == false)
        f.block([], advance: 2 * Fixture.day)
        f.block([], advance: 1)
        #expect(f.app.objection(0)?.overdue == true)
        let alerts = (0..<f.app.count("alert")).compactMap { f.app.alert($0) }
        #expect(alerts.filter { $0.rule == "alert.objection_overdue" }.count == 1)
    }

    /// A mediator opens a case on an objection and records the outcome; the log shows it.
    @Test func mediationCase() throws {
        var f = delivered()
        #expect(f.run(Fixture.mediator, objection()) == "ok")
        #expect(f.run(Fixture.bankA, OpenCasePayload(objectionID: 0)) == "case.not_mediator")
        #expect(f.run(Fixture.mediator, OpenCasePayload(objectionID: 0)) == "ok")
        #expect(f.run(Fixture.mediator, OpenCasePayload(objectionID: 0)) == "case.already_open")
        #expect(f.run(Fixture.mediator, CloseCasePayload(caseID: 0, outcome: .settled, text: "agreed")) == "ok")
        #expect(f.app.mediationCase(0)?.outcome == .settled)
        #expect(f.run(Fixture.mediator, CloseCasePayload(caseID: 0, outcome: .settled, text: "again")) == "case.closed")
        let actions = f.app.auditLog(acme.subject).map(\.action)
        #expect(actions.contains(.caseOpened) && actions.contains(.caseClosed) && actions.contains(.objectionFiled))
    }
}

/// Retention (Art. 16 applied to enterprises by network policy).
@Suite struct RetentionTests {
    let acme = TestEnterprise(uscc: "91440101MA5CYNP25X", seed: 1)

    /// Expiry = retention_years after the event end; the sweep marks it and orders skip it.
    @Test func negativeRecordExpiresFiveYearsAfterTheEventEnd() throws {
        var f = Fixture()
        f.register(acme)
        // Listed 2020-03-01, removed 2021-01-05 → expires 2026-01-05 (UTC+8).
        let item = Fixture.commitment(
            acme, type: "AMR-ABN-001", record: "abn-1", start: dayOf(2020, 3, 1), end: dayOf(2021, 1, 5), negative: true
        )
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [item])) == "ok")
        let r = try #require(f.app.record(item.recordRef))
        #expect(r.expiresAtMillis == CivilDate(year: 2026, month: 1, day: 5).startMillis)
        let id = f.consent(acme, f.consentBody(acme, categories: ["warning"]))
        #expect(
            f.run(
                Fixture.bankA,
                PlaceOrderPayload(consentID: id, purpose: .loanApplication, loanReference: "L", types: ["AMR-ABN-001"]))
                == "ok")
        #expect(f.app.order(0)?.items.count == 1)
        // Move to 2026-01-05 00:00 +08:00.
        f.block([], advance: CivilDate(year: 2026, month: 1, day: 5).startMillis - f.time)
        #expect(f.app.record(item.recordRef)?.expired == true)
        #expect(f.app.auditLog(acme.subject).last?.action == .recordExpired)
        #expect(
            f.run(
                Fixture.bankA,
                PlaceOrderPayload(consentID: id, purpose: .loanApplication, loanReference: "L", types: ["AMR-ABN-001"]))
                == "ok")
        #expect(f.app.order(1)?.items.isEmpty == true)
    }

    /// An unset end on a type with an end field means the event is ongoing: no expiry.
    @Test func ongoingEventDoesNotExpire() throws {
        var f = Fixture()
        let item = Fixture.commitment(
            acme, type: "AMR-ABN-001", record: "abn-2", start: dayOf(2015, 1, 1), negative: true)
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [item])) == "ok")
        #expect(f.app.record(item.recordRef)?.expiresAtMillis == nil)
        // Recording the end later starts the retention clock.
        var ended = Fixture.commitment(
            acme, type: "AMR-ABN-001", record: "abn-2", version: 2, start: dayOf(2015, 1, 1), end: dayOf(2025, 12, 1),
            negative: true)
        ended.commitment = .zero
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [ended])) == "ok")
        #expect(f.app.record(item.recordRef)?.expiresAtMillis == CivilDate(year: 2030, month: 12, day: 1).startMillis)
    }

    /// Without an end field, retention counts from the start field.
    @Test func typeWithoutEndFieldCountsFromStart() throws {
        var f = Fixture()
        let item = Fixture.commitment(
            acme, type: "AMR-PEN-001", record: "pen-1", start: dayOf(2024, 2, 29), negative: true)
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [item])) == "ok")
        // 29 Feb 2024 + 5 years → 28 Feb 2029.
        #expect(f.app.record(item.recordRef)?.expiresAtMillis == CivilDate(year: 2029, month: 2, day: 28).startMillis)
    }

    /// The sweep is bounded per block and catches up over later blocks.
    @Test func sweepIsBoundedPerBlock() {
        var p = CreditParameters()
        p.sweepMax = 3
        var f = Fixture(parameters: p)
        let items = (0..<7).map {
            Fixture.commitment(acme, type: "AMR-PEN-001", record: "p\($0)", start: dayOf(2021, 1, 10), negative: true)
        }
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: items)) == "ok")
        f.block([], advance: CivilDate(year: 2026, month: 1, day: 10).startMillis - f.time)
        let expired1 = items.filter { f.app.record($0.recordRef)?.expired == true }.count
        #expect(expired1 < 7)
        for _ in 0..<5 { f.block([]) }
        #expect(items.allSatisfy { f.app.record($0.recordRef)?.expired == true })
    }
}
