import ChainCore
import Ledger
import Testing

@testable import CreditRules

@Suite struct CommitmentRulesTests {
    let acme = TestEnterprise(uscc: "91440101MA5CYNP25X", seed: 1)

    @Test func sourcePublishesAndRecordsFirstContribution() throws {
        var f = Fixture()
        let item = Fixture.commitment(acme, type: "AMR-REG-001", record: "r1")
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [item])) == "ok")
        let r = try #require(f.app.record(RecordRef(typeCode: "AMR-REG-001", recordID: "r1")))
        #expect(r.version == 1 && r.commitment == item.commitment && r.firstPublisher == Fixture.hub)
        #expect(r.firstHeight == 1 && r.expiresAtMillis == nil)
        #expect(f.app.recordIDs(subject: acme.subject, type: "AMR-REG-001") == ["r1"])
    }

    /// Only the type's source publishes it (catalog source-to-member map).
    @Test func onlyTheTypesSourcePublishes() {
        var f = Fixture()
        let root = f.app.stateRoot
        let item = Fixture.commitment(acme, type: "HPC-LIT-001", record: "c1", start: dayOf(2025, 6, 1), negative: true)
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [item])) == "commitment.not_publisher")
        #expect(f.app.record(item.recordRef) == nil)
        #expect(f.app.stateRoot != root)  // only the rejection record changed the state
        #expect(f.app.rejectedAttempt(0)?.code == "commitment.not_publisher")
        #expect(f.run(Fixture.court, PublishCommitmentsPayload(items: [item])) == "ok")
    }

    /// A new version supersedes the old; versions are monotonic; the first publication stays.
    @Test func versionsAreMonotonicAndKeepHistory() throws {
        var f = Fixture()
        #expect(
            f.run(
                Fixture.hub,
                PublishCommitmentsPayload(items: [Fixture.commitment(acme, type: "AMR-REG-001", record: "r1")])) == "ok"
        )
        let v2 = Fixture.commitment(acme, type: "AMR-REG-001", record: "r1", version: 2, salt: 2)
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [v2])) == "ok")
        let again = Fixture.commitment(acme, type: "AMR-REG-001", record: "r1", version: 2, salt: 3)
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [again])) == "commitment.version_not_increasing")
        let r = try #require(f.app.record(v2.recordRef))
        #expect(r.version == 2 && r.commitment == v2.commitment && r.history.map(\.version) == [1])
        #expect(r.firstHeight == 1)
    }

    /// A batch is atomic: one bad item rejects the whole batch.
    @Test func batchIsAtomicAndBounded() {
        var p = CreditParameters()
        p.commitmentBatchMax = 2
        var f = Fixture(parameters: p)
        let good = Fixture.commitment(acme, type: "AMR-REG-001", record: "a")
        let bad = Fixture.commitment(acme, type: "NO-SUCH-TYPE", record: "b")
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [good, bad])) == "catalog.unknown_type")
        #expect(f.app.record(good.recordRef) == nil)
        let three = ["x", "y", "z"].map { Fixture.commitment(acme, type: "AMR-REG-001", record: $0) }
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: three)) == "commitment.batch_too_large")
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [good, good])) == "commitment.duplicate_in_batch")
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [])) == "commitment.empty_batch")
    }

    @Test func negativeFlagAndEventDatesFollowTheCatalog() {
        var f = Fixture()
        let noFlag = Fixture.commitment(acme, type: "AMR-PEN-001", record: "p1", start: dayOf(2025, 1, 1))
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [noFlag])) == "commitment.negative_mismatch")
        let noStart = Fixture.commitment(acme, type: "AMR-PEN-001", record: "p1", negative: true)
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [noStart])) == "commitment.missing_event_start")
        let reversed = Fixture.commitment(
            acme, type: "AMR-ABN-001", record: "a1", start: dayOf(2025, 5, 1), end: dayOf(2025, 4, 1), negative: true)
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [reversed])) == "commitment.bad_event_dates")
    }

    /// Art. 16 (applied to enterprises): adverse information is kept five years from the end of
    /// the act; a record already past that is refused.
    @Test func recordPastRetentionIsRefused() {
        var f = Fixture()
        let old = Fixture.commitment(
            acme, type: "AMR-ABN-001", record: "a1", start: dayOf(2019, 1, 1), end: dayOf(2020, 3, 1), negative: true)
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [old])) == "commitment.already_expired")
    }

    /// The supervisor suspends a type: no more publishing or ordering of it.
    @Test func suspendedTypeIsNotPublished() {
        var f = Fixture()
        #expect(
            f.run(Fixture.hub, SuspendTypePayload(typeCode: "AMR-REG-001", suspended: true))
                == "supervision.not_supervisor")
        #expect(f.run(Fixture.supervisor, SuspendTypePayload(typeCode: "AMR-REG-001", suspended: true)) == "ok")
        let item = Fixture.commitment(acme, type: "AMR-REG-001", record: "r1")
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [item])) == "catalog.type_suspended")
        #expect(f.run(Fixture.supervisor, SuspendTypePayload(typeCode: "AMR-REG-001", suspended: false)) == "ok")
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [item])) == "ok")
    }

    @Test func aRecordKeepsItsSubject() {
        var f = Fixture()
        let other = TestEnterprise(uscc: "91440300MA5FAKE01X", seed: 2)
        #expect(
            f.run(
                Fixture.hub,
                PublishCommitmentsPayload(items: [Fixture.commitment(acme, type: "AMR-REG-001", record: "r1")])) == "ok"
        )
        let moved = Fixture.commitment(other, type: "AMR-REG-001", record: "r1", version: 2)
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [moved])) == "commitment.subject_mismatch")
    }
}

extension CommitmentItem {
    var recordRef: RecordRef { RecordRef(typeCode: typeCode, recordID: recordID) }
}
