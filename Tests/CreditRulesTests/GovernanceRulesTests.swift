import ChainCore
import Ledger
import Testing

@testable import CreditRules

/// Members and governance (mission.md, "Governance"): governing members are bureaus and the
/// supervisor; the genesis threshold (2 here) executes a proposal.
@Suite struct GovernanceRulesTests {
    let newBank = Member(id: mid("bank-c"), role: .bank, signingKey: [1, 2, 3])

    @Test func proposalExecutesAtTheThreshold() throws {
        var f = Fixture()
        #expect(f.run(Fixture.bureauA, ProposePayload(action: .addMember(newBank))) == "ok")
        #expect(f.app.proposal(0)?.status == .open)
        #expect(f.app.member(newBank.id) == nil)
        #expect(f.run(Fixture.bureauA, VotePayload(proposalID: 0, approve: true)) == "governance.already_voted")
        #expect(f.run(Fixture.bureauB, VotePayload(proposalID: 0, approve: true)) == "ok")
        #expect(f.app.proposal(0)?.status == .executed)
        #expect(f.app.member(newBank.id)?.status == .active)
    }

    @Test func onlyGoverningMembersProposeAndVote() {
        var f = Fixture()
        #expect(f.run(Fixture.bankA, ProposePayload(action: .addMember(newBank))) == "governance.not_governing")
        #expect(f.run(Fixture.supervisor, ProposePayload(action: .addMember(newBank))) == "ok")
        #expect(f.run(Fixture.hub, VotePayload(proposalID: 0, approve: true)) == "governance.not_governing")
    }

    /// The supervisor can veto an open proposal.
    @Test func supervisorVeto() {
        var f = Fixture()
        #expect(f.run(Fixture.bureauA, ProposePayload(action: .setParameter(name: "sweep_max", value: 5))) == "ok")
        #expect(f.run(Fixture.bureauB, VetoPayload(proposalID: 0, reason: "no")) == "governance.not_supervisor")
        #expect(f.run(Fixture.supervisor, VetoPayload(proposalID: 0, reason: "not now")) == "ok")
        #expect(f.app.proposal(0)?.status == .vetoed)
        #expect(f.run(Fixture.bureauB, VotePayload(proposalID: 0, approve: true)) == "governance.proposal_closed")
        #expect(f.app.parameters.sweepMax == 1000)
    }

    @Test func proposalRejectedWhenItCannotPass() {
        var f = Fixture()
        #expect(f.run(Fixture.bureauA, ProposePayload(action: .setParameter(name: "sweep_max", value: 5))) == "ok")
        #expect(f.run(Fixture.bureauB, VotePayload(proposalID: 0, approve: false)) == "ok")
        #expect(f.app.proposal(0)?.status == .open)
        #expect(f.run(Fixture.supervisor, VotePayload(proposalID: 0, approve: false)) == "ok")
        #expect(f.app.proposal(0)?.status == .rejected)
    }

    @Test func expiredProposalTakesNoVotes() {
        var f = Fixture()
        #expect(f.run(Fixture.bureauA, ProposePayload(action: .setParameter(name: "sweep_max", value: 5))) == "ok")
        #expect(
            f.run(Fixture.bureauB, VotePayload(proposalID: 0, approve: true), advance: 8 * Fixture.day)
                == "governance.proposal_expired")
    }

    /// Validator-set changes take effect at a defined height and reach the consensus layer.
    @Test func validatorSetChangeIsReported() {
        var f = Fixture()
        let vs = [
            Validator(member: Fixture.bureauA, publicKey: [1]), Validator(member: Fixture.bureauB, publicKey: [2]),
        ]
        #expect(
            f.run(Fixture.bureauA, ProposePayload(action: .setValidators(effectiveHeight: Height(100), validators: vs)))
                == "ok")
        let t = f.tx(Fixture.supervisor, VotePayload(proposalID: 0, approve: true))
        let exec = f.block([t])
        #expect(exec.results[0].isOK)
        #expect(exec.validatorUpdates == [ValidatorSetUpdate(effectiveHeight: Height(100), validators: vs)])
        #expect(
            f.run(Fixture.bureauA, ProposePayload(action: .setValidators(effectiveHeight: Height(1), validators: vs)))
                == "governance.bad_validator_set")
    }

    /// A bureau's own product type enters the catalog by governance and it may then publish it.
    @Test func bureauProductTypeByGovernance() {
        var f = Fixture()
        let product = DataType(
            code: "BUREAU-A-SCORE-001", source: "BUREAU-A", category: "credit_enhancement", nameEn: "Risk score",
            negative: false, retentionYears: nil, sensitivity: .confidential, consentRequired: true,
            fields: [FieldSpec(name: "uscc", type: .uscc), FieldSpec(name: "score", type: .integer)], pricePoints: 10,
            eventStartField: nil, eventEndField: nil)
        #expect(
            f.run(Fixture.bureauA, ProposePayload(action: .putDataType(product, publisher: Fixture.bureauA))) == "ok")
        #expect(f.run(Fixture.supervisor, VotePayload(proposalID: 0, approve: true)) == "ok")
        let e = TestEnterprise(uscc: "91440101MA5CYNP25X", seed: 1)
        let item = Fixture.commitment(e, type: "BUREAU-A-SCORE-001", record: "s1")
        #expect(f.run(Fixture.bureauA, PublishCommitmentsPayload(items: [item])) == "ok")
        #expect(
            f.run(
                Fixture.hub,
                PublishCommitmentsPayload(items: [Fixture.commitment(e, type: "BUREAU-A-SCORE-001", record: "s2")]))
                == "commitment.not_publisher")
    }

    @Test func parameterChangeAndUnknownParameter() {
        var f = Fixture()
        #expect(
            f.run(Fixture.bureauA, ProposePayload(action: .setParameter(name: "no_such", value: 1)))
                == "governance.unknown_parameter")
        #expect(
            f.run(
                Fixture.bureauA,
                ProposePayload(action: .setParameter(name: "objection_deadline_millis", value: 30 * Fixture.day)))
                == "governance.bad_parameter")
        #expect(
            f.run(Fixture.bureauA, ProposePayload(action: .setParameter(name: "order_records_max", value: 9))) == "ok")
        #expect(f.run(Fixture.bureauB, VotePayload(proposalID: 0, approve: true)) == "ok")
        #expect(f.app.parameters.orderRecordsMax == 9)
    }

    /// The supervisor freezes a member at once: every transaction it signs fails and changes
    /// nothing but the recorded rejection; unfreezing restores it.
    @Test func frozenMemberChangesNothing() {
        var f = Fixture()
        #expect(f.run(Fixture.bureauA, FreezePayload(member: Fixture.hub, reason: "x")) == "supervision.not_supervisor")
        #expect(f.run(Fixture.supervisor, FreezePayload(member: Fixture.hub, reason: "investigation")) == "ok")
        let e = TestEnterprise(uscc: "91440101MA5CYNP25X", seed: 1)
        let item = Fixture.commitment(e, type: "AMR-REG-001", record: "r1")
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [item])) == "member.frozen")
        #expect(f.app.record(item.recordRef) == nil)
        #expect(
            f.app.precheck(
                f.tx(Fixture.hub, PublishCommitmentsPayload(items: [item])),
                context: BlockContext(
                    chainID: Fixture.chainID, height: Height(f.height + 1), timestampMillis: f.time,
                    proposer: Fixture.hub))?.code == "member.frozen")
        #expect(f.run(Fixture.supervisor, UnfreezePayload(member: Fixture.hub)) == "ok")
        #expect(f.run(Fixture.hub, PublishCommitmentsPayload(items: [item])) == "ok")
        #expect(
            f.run(Fixture.supervisor, FreezePayload(member: Fixture.supervisor, reason: "x"))
                == "supervision.self_freeze")
    }

    /// A removed member's transactions fail.
    @Test func removedMember() {
        var f = Fixture()
        #expect(f.run(Fixture.bureauA, ProposePayload(action: .removeMember(Fixture.bankB))) == "ok")
        #expect(f.run(Fixture.bureauB, VotePayload(proposalID: 0, approve: true)) == "ok")
        #expect(f.run(Fixture.bankB, UnfreezePayload(member: Fixture.bankB)) == "member.removed")
    }

    /// The keys admission reads follow governance: a member added, a key rotated, a member removed.
    @Test func signingKeysFollowGovernance() throws {
        var f = Fixture()
        let before = try #require(f.app.signingKeys())
        #expect(before[Fixture.bankB] == f.app.member(Fixture.bankB)?.signingKey)
        #expect(before[newBank.id] == nil)
        #expect(f.run(Fixture.bureauA, ProposePayload(action: .addMember(newBank))) == "ok")
        // The vote's result says what it did to the proposal.
        let vote = f.block([f.tx(Fixture.bureauB, VotePayload(proposalID: 0, approve: true))]).results[0]
        #expect(vote.code == "ok")
        #expect(vote.detail == "proposal 0 executed")
        #expect(f.app.signingKeys()?[newBank.id] == [1, 2, 3])
        let rotate = ProposePayload(
            action: .rotateMemberKeys(newBank.id, signingKey: [4, 5, 6], encryptionKey: [], tlsCertificateHash: nil))
        #expect(f.run(Fixture.bureauA, rotate) == "ok")
        #expect(f.run(Fixture.bureauB, VotePayload(proposalID: 1, approve: true)) == "ok")
        #expect(f.app.signingKeys()?[newBank.id] == [4, 5, 6])
        #expect(f.run(Fixture.bureauA, ProposePayload(action: .removeMember(Fixture.bankB))) == "ok")
        #expect(f.run(Fixture.bureauB, VotePayload(proposalID: 2, approve: true)) == "ok")
        #expect(f.app.signingKeys()?[Fixture.bankB] == nil)
        #expect(f.app.signingKeys()?.count == before.count)
    }

    /// The node refreshes its key directory only after blocks that can change keys: exactly the
    /// blocks that write a member entry (adding, rotating, removing), not a vote that only opens
    /// a proposal or a data source's commitments.
    @Test func onlyMemberWritesChangeSigningKeys() {
        var f = Fixture()
        let propose = f.block([f.tx(Fixture.bureauA, ProposePayload(action: .addMember(newBank)))])
        #expect(!f.app.changesSigningKeys(propose.writes))
        let executed = f.block([f.tx(Fixture.bureauB, VotePayload(proposalID: 0, approve: true))])
        #expect(f.app.changesSigningKeys(executed.writes))
        let acme = TestEnterprise(uscc: "91440101MA5CYNP25X", seed: 1)
        f.register(acme)
        let publish = f.block([
            f.tx(
                Fixture.hub,
                PublishCommitmentsPayload(items: [Fixture.commitment(acme, type: "AMR-REG-001", record: "r1")]))
        ])
        #expect(publish.results[0].code == "ok")
        #expect(!f.app.changesSigningKeys(publish.writes))
    }

    /// Envelope replay and expiry are refused deterministically.
    @Test func replayedAndExpiredEnvelopes() {
        var f = Fixture()
        let t = f.tx(Fixture.supervisor, SuspendTypePayload(typeCode: "AMR-REG-001", suspended: true))
        #expect(f.block([t]).results[0].code == "ok")
        #expect(f.block([t]).results[0].code == "tx.replayed")
        let stale = f.envelope(
            Fixture.supervisor, SuspendTypePayload(typeCode: "AMR-REG-001", suspended: false), unique: 999, expiry: 1)
        #expect(f.block([stale]).results[0].code == "tx.expired")
        let unknown = TransactionEnvelope(
            suite: .standard, signer: Fixture.supervisor, uniqueID: Array(repeating: 5, count: 16),
            expiry: Height(f.height + 3),
            kind: 999, payload: [])
        #expect(f.block([unknown]).results[0].code == "tx.unknown_kind")
        let garbage = TransactionEnvelope(
            suite: .standard, signer: Fixture.supervisor, uniqueID: Array(repeating: 6, count: 16),
            expiry: Height(f.height + 3),
            kind: TransactionKind.freeze.rawValue, payload: [1, 2])
        #expect(f.block([garbage]).results[0].code == "tx.malformed_payload")
        let stranger = TransactionEnvelope(
            suite: .standard, signer: mid("nobody"), uniqueID: Array(repeating: 7, count: 16),
            expiry: Height(f.height + 3),
            kind: TransactionKind.freeze.rawValue, payload: [])
        #expect(f.block([stranger]).results[0].code == "member.unknown")
    }
}
