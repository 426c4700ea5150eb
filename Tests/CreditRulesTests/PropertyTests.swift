import ChainCore
import Ledger
import Testing

@testable import CreditRules

/// Seeded random transaction sequences with invariants checked after every block.
@Suite struct PropertyTests {
    static let types = ["AMR-REG-001", "AMR-ANF-001", "TAX-CRD-001", "AMR-ABN-001", "AMR-PEN-001", "HPC-ENF-001"]
    static let banks = [Fixture.bankA, Fixture.bankB, Fixture.bureauA]

    struct Model {
        var enterprises: [TestEnterprise]
        var consents: [Hash] = []
        var versions: [RecordRef: UInt32] = [:]
        var nonce: UInt8 = 0
    }

    static func randomTransaction(_ f: inout Fixture, _ m: inout Model, _ rng: inout SeededGenerator)
        -> TransactionEnvelope?
    {
        let e = m.enterprises[Int.random(in: 0..<m.enterprises.count, using: &rng)]
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<30:
            let type = types[Int.random(in: 0..<types.count, using: &rng)]
            let ref = RecordRef(
                typeCode: type, recordID: "\(e.subject.short)-\(type)-\(Int.random(in: 0..<3, using: &rng))")
            let v = (m.versions[ref] ?? 0) + 1
            m.versions[ref] = v
            let dt = f.app.dataType(type)!.type
            let start = dayOf(2020 + Int.random(in: 0..<6, using: &rng), 1 + Int.random(in: 0..<12, using: &rng), 1)
            let end: Int32? = dt.eventEndField != nil && Bool.random(using: &rng) ? start + 30 : nil
            let item = CommitmentItem(
                typeCode: type, subject: e.subject, recordID: ref.recordID, version: v,
                commitment: Hash(w0: rng.next(), w1: 0, w2: 0, w3: 0), eventStart: dt.negative ? start : nil,
                eventEnd: end, negative: dt.negative)
            let publisher = f.app.dataType(type)!.publisher
            return f.tx(publisher, PublishCommitmentsPayload(items: [item]))
        case 30..<45:
            m.nonce &+= 1
            let bank = banks[Int.random(in: 0..<banks.count, using: &rng)]
            let purpose = Purpose.allCases[Int.random(in: 0..<4, using: &rng)]
            let cats = DataType.categories.filter { _ in Bool.random(using: &rng) }
            let body = ConsentBody(
                subject: e.subject, bank: bank, purpose: purpose, categories: cats.isEmpty ? ["basic"] : cats,
                types: Bool.random(using: &rng) ? ["TAX-CRD-001"] : [], validFromMillis: f.time,
                validUntilMillis: f.time + Int64.random(in: 1...20, using: &rng) * Fixture.day,
                nonce: Array(repeating: m.nonce, count: 15) + [UInt8(truncatingIfNeeded: m.consents.count)])
            m.consents.append(body.id(using: TestHasher()))
            return f.tx(bank, f.grant(e, body))
        case 45..<70:
            guard !m.consents.isEmpty else { return nil }
            let cid = m.consents[Int.random(in: 0..<m.consents.count, using: &rng)]
            guard let c = f.app.consent(cid) else { return nil }
            let ts = types.filter { _ in Bool.random(using: &rng) }
            let signer = Int.random(in: 0..<10, using: &rng) == 0 ? Fixture.bankB : c.body.bank
            return f.tx(
                signer,
                PlaceOrderPayload(
                    consentID: cid, purpose: c.body.purpose, loanReference: Bool.random(using: &rng) ? "L" : nil,
                    types: ts.isEmpty ? ["AMR-REG-001"] : ts))
        case 70..<82:
            let n = f.app.count("order")
            guard n > 0, let o = f.app.order(UInt64.random(in: 0..<n, using: &rng)),
                let item = o.items.first(where: { $0.state == .pending })
            else { return nil }
            return f.tx(
                item.publisher,
                RecordDeliveryPayload(orderID: o.id, items: [DeliveredItem(record: item.record, ciphertextHash: .zero)])
            )
        case 82..<92:
            let n = f.app.count("order")
            guard n > 0, let o = f.app.order(UInt64.random(in: 0..<n, using: &rng)),
                let item = o.items.first(where: { $0.state == .delivered })
            else { return nil }
            return f.tx(
                o.bank,
                RecordReceiptPayload(
                    orderID: o.id,
                    items: [ReceiptItem(record: item.record, verified: Int.random(in: 0..<5, using: &rng) > 0)]))
        case 92..<96:
            let target = [Fixture.hub, Fixture.bankA, Fixture.court][Int.random(in: 0..<3, using: &rng)]
            if f.app.member(target)?.status == .frozen {
                return f.tx(Fixture.supervisor, UnfreezePayload(member: target))
            }
            return f.tx(Fixture.supervisor, FreezePayload(member: target, reason: "random"))
        default:
            guard !m.consents.isEmpty else { return nil }
            let cid = m.consents[Int.random(in: 0..<m.consents.count, using: &rng)]
            guard let c = f.app.consent(cid), let owner = m.enterprises.first(where: { $0.subject == c.body.subject })
            else { return nil }
            let rev = ConsentRevocation(consentID: cid, subject: owner.subject)
            return f.tx(
                Fixture.bankA,
                RevokeConsentPayload(
                    revocation: rev,
                    signature: owner.sign(CreditDomains.consentRevocation, rev.canonicalBytes, chainID: Fixture.chainID)
                ))
        }
    }

    static func checkInvariants(
        _ f: Fixture, _ exec: BlockExecution, _ txs: [TransactionEnvelope], frozenBefore: Set<MemberID>,
        enterprises: [TestEnterprise]
    ) {
        let app = f.app
        // Points are conserved: balances plus open reservations equal the genesis allocation.
        var total: Int64 = 0
        for id in [
            Fixture.supervisor, Fixture.bureauA, Fixture.bureauB, Fixture.hub, Fixture.court, Fixture.bankA,
            Fixture.bankB, Fixture.mediator,
        ] {
            total += app.points(id)
        }
        for i in 0..<app.count("order") {
            guard let o = app.order(i) else { continue }
            total += o.reservedPoints
            #expect(o.reservedPoints >= 0)
            #expect(o.status == .open || o.reservedPoints == 0)
            // Every order (and so every delivery) has a consent that was valid and covering.
            let c = app.consent(o.consentID)
            #expect(c != nil)
            if let c {
                #expect(c.body.bank == o.bank && c.body.purpose == o.purpose && c.body.subject == o.subject)
                #expect(o.placedAtMillis >= c.body.validFromMillis && o.placedAtMillis < c.body.validUntilMillis)
                #expect(c.revokedAtMillis.map { $0 >= o.placedAtMillis } ?? true)
                for item in o.items {
                    let t = app.dataType(item.record.typeCode)!.type
                    #expect(c.body.covers(t) || t.isOpenUnderAnyConsent)
                }
            }
            if o.status != .open { #expect(!o.items.contains { $0.state == .pending || $0.state == .delivered }) }
            // No expired or superseded record is listed by an order placed in this block.
            if o.height == f.height {
                for item in o.items {
                    let r = app.record(item.record)!
                    #expect(r.version == item.version || r.publishedAtMillis == f.time)
                    #expect(r.isDeliverable(atMillis: o.placedAtMillis) || r.publishedAtMillis == f.time)
                }
            }
        }
        #expect(total == 20_000)
        // One audit entry per order per subject; each log is an unbroken hash chain.
        var placed: [UInt64: Int] = [:]
        for e in enterprises {
            let log = app.auditLog(e.subject)
            var previous = Hash.zero
            for entry in log {
                #expect(entry.previous == previous)
                previous = app.auditHash(entry)
                if entry.action == .orderPlaced, let id = entry.orderID { placed[id, default: 0] += 1 }
            }
            #expect(app.auditHead(e.subject)?.head ?? .zero == previous)
        }
        for i in 0..<app.count("order") { #expect(placed[i] == 1) }
        // Frozen members change nothing.
        for (tx, result) in zip(txs, exec.results) where frozenBefore.contains(tx.signer) {
            #expect(result.code == "member.frozen")
        }
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func randomSequencesKeepTheInvariants(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var f = Fixture()
        var model = Model(
            enterprises: (0..<4).map { TestEnterprise(uscc: "91440101MA5CYNP2\($0)X", seed: UInt8(10 + $0)) })
        for e in model.enterprises { f.register(e) }
        var roots: [Hash] = []
        for _ in 0..<60 {
            let frozen = Set(
                [Fixture.hub, Fixture.bankA, Fixture.court].filter { f.app.member($0)?.status == .frozen })
            var txs: [TransactionEnvelope] = []
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                if let t = Self.randomTransaction(&f, &model, &rng) { txs.append(t) }
            }
            // Within a block, a freeze takes effect for later transactions only; keep the check simple.
            let freezes = txs.contains {
                $0.kind == TransactionKind.freeze.rawValue || $0.kind == TransactionKind.unfreeze.rawValue
            }
            let advance = Int64.random(in: 0...3, using: &rng) * Fixture.day / 2 + 1000
            let exec = f.block(txs, advance: advance)
            roots.append(exec.stateRoot)
            Self.checkInvariants(f, exec, freezes ? [] : txs, frozenBefore: frozen, enterprises: model.enterprises)
        }
        // Executing the same blocks again from genesis gives the same roots.
        var replay = Fixture()
        for (i, (ctx, txs)) in f.blocks.enumerated() {
            let exec = replay.app.executeBlock(ctx, transactions: txs)
            if i >= model.enterprises.count { #expect(exec.stateRoot == roots[i - model.enterprises.count]) }
        }
        #expect(replay.app.stateRoot == f.app.stateRoot)
        #expect(replay.app.state.entries().count == f.app.state.entries().count)
        // A copy that only applies the executions' writes (a node's committed copy) reaches the
        // same entries, and then executes further blocks exactly as the copy that ran every block
        // (its derived replay-record index included: the later blocks prune expired records).
        var applied = Fixture()
        var executed = Fixture()
        for (ctx, txs) in f.blocks {
            let exec = executed.app.executeBlock(ctx, transactions: txs)
            let accepted = applied.app.applyExecuted(exec)
            #expect(accepted)
            #expect(applied.app.stateRoot == exec.stateRoot)
        }
        #expect(applied.app.stateEntries() == executed.app.stateEntries())
        var deletions = 0
        var later =
            f.blocks.last?.0
            ?? BlockContext(
                chainID: Fixture.chainID, height: Height(0), timestampMillis: Fixture.start, proposer: Fixture.hub)
        for _ in 0..<30 {
            later = BlockContext(
                chainID: later.chainID, height: later.height.next, timestampMillis: later.timestampMillis + Fixture.day,
                proposer: later.proposer)
            let a = applied.app.executeBlock(later, transactions: [])
            let b = executed.app.executeBlock(later, transactions: [])
            #expect(a.stateRoot == b.stateRoot)
            #expect(a.writes == b.writes)
            deletions += b.writes.filter { $0.value == nil }.count
        }
        #expect(deletions > 0)
        // Some of everything happened.
        #expect(f.app.count("order") > 0)
    }
}
