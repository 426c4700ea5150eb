import ChainCore
import CreditRules
import Ledger

/// The credit workload: a small consortium (a registrar bureau, two data sources, two banks, a
/// supervisor and a mediator) and six enterprises whose flows interleave across clients:
/// register → publish commitments → grant consent → place order → record delivery → record
/// receipt, then revocations, repeat orders, new versions, objections answered by the source and
/// mediation cases. Every tick may also add one deliberately invalid transaction (wrong role,
/// missing, forged, expired, revoked or replayed consent, replayed unique id, expired envelope,
/// a record past retention) whose stable code is known in advance; checker C6 requires exactly
/// that code.
///
/// Clients decide from the committed state of the latest committed height (what a client reads
/// from its gateway) and retry a step whose transaction has not shown up after 2.5 s. Every key
/// (members' and enterprises') is a `SimulationSigner` key drawn from the seed; envelopes are
/// signed and checker C7 verifies them.
public struct CreditRulesWorkload: SimulatedWorkload {
    public typealias App = SimulatedCreditApplication

    struct Actor: Sendable {
        let id: MemberID
        let signer: SimulationSigner
    }

    struct Enterprise: Sendable {
        let index: Int
        let subject: Hash
        let signer: SimulationSigner
        /// Consents this enterprise signed, newest last.
        var consents: [Hash] = []
        var round = 0
    }

    static let types = ["SIM-REG", "SIM-TAX", "SIM-PEN", "SIM-ENF"]
    static let retryMillis: Int64 = 2_500
    static let shortConsentMillis: Int64 = 1_500
    static let longConsentMillis: Int64 = 3_600_000

    public let fault: CreditFault?
    public private(set) var outcomes: [String: Int] = [:]
    let hasher = SimulationHasher()
    let verifier = SimulationVerifier()
    var chainID = ChainID(.zero)
    var seed: UInt64 = 0
    var actors: [String: Actor] = [:]
    var enterprises: [Enterprise] = []
    var view: CreditRulesApplication?
    var viewHeight: UInt64 = 0
    var viewTime: Int64 = 0
    var uniqueCounter: UInt64 = 0
    var lastSubmitted: [String: Int64] = [:]
    /// Deliberately invalid transactions awaiting their result, with the code they must get.
    var expected: [Hash: String] = [:]
    var bodies: [Hash: (body: ConsentBody, signature: [UInt8])] = [:]
    var ordersByConsent: [Hash: [UInt64]] = [:]
    var knownOrders: UInt64 = 0
    var objectionsBySubject: [Hash: [UInt64]] = [:]
    var knownObjections: UInt64 = 0
    /// Consents whose revocation committed `ok`, and those whose revocation was ever submitted.
    var revokedOK = Set<Hash>()
    var revokeSubmitted = Set<Hash>()
    /// Committed `ok` envelopes far from expiry, for the replay attempts.
    var replayable: [TransactionEnvelope] = []
    var checker: CreditInvariantChecker?

    public init(fault: CreditFault? = nil) { self.fault = fault }

    // MARK: - Genesis

    static func member(_ s: String) -> MemberID {
        guard let id = try? MemberID(s) else { preconditionFailure("well-formed member id \(s)") }
        return id
    }

    /// The consortium's catalog: two public/restricted positive types and a negative type of the
    /// market-regulation source, a negative court type with an event end.
    static let catalog: [DataType] = {
        let uscc = FieldSpec(name: "subject_uscc", type: .uscc)
        return [
            DataType(
                code: "SIM-REG", source: "SIM-AMR", category: "basic", nameEn: "Registration", negative: false,
                retentionYears: nil, sensitivity: .public, consentRequired: false,
                fields: [uscc, FieldSpec(name: "name", type: .string)], pricePoints: 1, eventStartField: nil,
                eventEndField: nil),
            DataType(
                code: "SIM-TAX", source: "SIM-AMR", category: "credit_enhancement", nameEn: "Tax grade",
                negative: false, retentionYears: nil, sensitivity: .restricted, consentRequired: true,
                fields: [uscc, FieldSpec(name: "grade", type: .enum, values: ["A", "B", "C", "D"])], pricePoints: 5,
                eventStartField: nil, eventEndField: nil),
            DataType(
                code: "SIM-PEN", source: "SIM-AMR", category: "warning", nameEn: "Administrative penalty",
                negative: true, retentionYears: 3, sensitivity: .restricted, consentRequired: true,
                fields: [
                    uscc, FieldSpec(name: "decided_on", type: .date),
                    FieldSpec(name: "amount", type: .decimal, scale: 2, unit: "CNY"),
                ], pricePoints: 3, eventStartField: "decided_on", eventEndField: nil),
            DataType(
                code: "SIM-ENF", source: "SIM-CRT", category: "warning", nameEn: "Enforcement case", negative: true,
                retentionYears: 5, sensitivity: .confidential, consentRequired: true,
                fields: [
                    uscc, FieldSpec(name: "filed_on", type: .date),
                    FieldSpec(name: "closed_on", type: .date, optional: true),
                ], pricePoints: 8, eventStartField: "filed_on", eventEndField: "closed_on"),
        ]
    }()

    static let roles: [(name: String, role: MemberRole, registrar: Bool)] = [
        ("sim-supervisor", .supervisor, false), ("sim-bureau", .bureau, true), ("sim-amr", .dataSource, false),
        ("sim-court", .dataSource, false), ("sim-bank-a", .bank, false), ("sim-bank-b", .bank, false),
        ("sim-mediator", .mediator, false),
    ]

    /// The credit genesis of a seed: keys drawn from a generator of its own, so the simulation's
    /// generator (network, faults) is not consumed by key generation.
    func makeGenesis(keys: inout SimulationRandom) -> (CreditGenesis, [String: Actor]) {
        var actors = [String: Actor]()
        var members = [Member]()
        for r in Self.roles {
            let signer = SimulationSigner(secret: keys.next())
            let id = Self.member(r.name)
            actors[r.name] = Actor(id: id, signer: signer)
            members.append(Member(id: id, role: r.role, signingKey: signer.publicKey, registrar: r.registrar))
        }
        let genesis = CreditGenesis(
            members: members, catalog: Self.catalog,
            sourcePublishers: [
                SourcePublisher(source: "SIM-AMR", member: Self.member("sim-amr")),
                SourcePublisher(source: "SIM-CRT", member: Self.member("sim-court")),
            ],
            purposes: CreditGenesis.defaultPurposes,
            points: [
                PointAllocation(member: Self.member("sim-bank-a"), points: 100_000),
                PointAllocation(member: Self.member("sim-bank-b"), points: 100_000),
            ])
        return (genesis, actors)
    }

    public mutating func genesis(chainID: ChainID, seed: UInt64) -> SimulatedCreditApplication {
        self.chainID = chainID
        self.seed = seed
        var keys = SimulationRandom(seed: seed ^ 0x6372_6564_6974_0001)
        let (genesis, actors) = makeGenesis(keys: &keys)
        self.actors = actors
        enterprises = (0..<6).map { i in
            var e = CanonicalEncoder()
            e.u64(seed)
            e.u64(UInt64(i))
            // Stands in for the HMAC pseudonym of the enterprise's USCC (computed off chain).
            return Enterprise(
                index: i, subject: hasher.hash(Domain.subject, e.bytes), signer: SimulationSigner(secret: keys.next()))
        }
        guard let rules = try? CreditRulesApplication(genesis: genesis, hasher: hasher, verifier: verifier) else {
            preconditionFailure("the simulation's credit genesis is valid")
        }
        view = rules
        checker = CreditInvariantChecker(chainID: chainID, genesis: genesis)
        return SimulatedCreditApplication(rules: rules, fault: fault)
    }

    func actor(_ name: String) -> Actor {
        guard let a = actors[name] else { preconditionFailure("unknown simulated member \(name)") }
        return a
    }

    var banks: [Actor] { [actor("sim-bank-a"), actor("sim-bank-b")] }

    // MARK: - Transactions

    mutating func envelope<P: CreditPayload>(_ by: Actor, _ payload: P, expiry: UInt64? = nil, uniqueID: [UInt8]? = nil)
        -> TransactionEnvelope
    {
        uniqueCounter += 1
        var id = [UInt8]()
        for v in [seed, uniqueCounter] {
            for k in 0..<8 { id.append(UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64(k)))) }
        }
        var tx = TransactionEnvelope(
            suite: .standard, signer: by.id, uniqueID: uniqueID ?? id, expiry: Height(expiry ?? viewHeight + 500),
            kind: P.kind.rawValue, payload: payload.canonicalBytes)
        do { try tx.sign(with: by.signer, chainID: chainID) } catch { preconditionFailure("the test signer signs") }
        return tx
    }

    /// True (and remembered) when the step has not been submitted within the retry interval.
    mutating func due(_ key: String, _ now: Int64) -> Bool {
        if let t = lastSubmitted[key], now - t < Self.retryMillis { return false }
        lastSubmitted[key] = now
        return true
    }

    func sign(_ e: Enterprise, _ domain: Domain, _ canonical: [UInt8]) -> [UInt8] {
        (try? e.signer.sign(domain, chainID: chainID, canonical)) ?? []
    }

    public mutating func nextTransactions(nowMillis now: Int64, using random: inout SimulationRandom)
        -> [TransactionEnvelope]
    {
        guard let app = view else { return [] }
        var out = [TransactionEnvelope]()
        // Every enterprise's client looks at the chain each tick, starting from a random one.
        let first = random.below(enterprises.count)
        for k in enterprises.indices {
            if let tx = step((first + k) % enterprises.count, app, now, &random) { out.append(tx) }
        }
        if random.chance(0.35), let (tx, code) = invalid(app, &random) {
            expected[tx.hash(using: hasher)] = code
            out.append(tx)
        }
        return out
    }

    func recordID(_ e: Enterprise, _ type: String) -> String { "e\(e.index)-\(type)" }

    mutating func commitment(_ e: Enterprise, _ type: String, version: UInt32, _ random: inout SimulationRandom)
        -> CommitmentItem
    {
        var start: Int32?
        var end: Int32?
        if type == "SIM-PEN" { start = -Int32(10 + random.below(700)) }
        if type == "SIM-ENF" {
            start = -Int32(30 + random.below(600))
            if random.chance(0.5), let s = start { end = s + 20 }
        }
        return CommitmentItem(
            typeCode: type, subject: e.subject, recordID: recordID(e, type), version: version,
            commitment: Hash(w0: random.next(), w1: random.next(), w2: UInt64(version), w3: 0), eventStart: start,
            eventEnd: end, negative: type == "SIM-PEN" || type == "SIM-ENF")
    }

    /// The next step of one enterprise's flow, read from the committed state.
    mutating func step(_ i: Int, _ app: CreditRulesApplication, _ now: Int64, _ random: inout SimulationRandom)
        -> TransactionEnvelope?
    {
        let e = enterprises[i]
        guard app.enterprise(e.subject) != nil else {
            guard due("register/\(i)", now) else { return nil }
            let p = RegisterEnterprisePayload(subject: e.subject, publicKey: e.signer.publicKey)
            return envelope(actor("sim-bureau"), p)
        }
        for (source, types) in [("sim-amr", ["SIM-REG", "SIM-TAX", "SIM-PEN"]), ("sim-court", ["SIM-ENF"])] {
            let missing = types.filter { app.recordIDs(subject: e.subject, type: $0).isEmpty }
            guard !missing.isEmpty else { continue }
            guard due("publish/\(i)/\(source)", now) else { return nil }
            let items = missing.map { commitment(e, $0, version: 1, &random) }
            return envelope(actor(source), PublishCommitmentsPayload(items: items))
        }
        if let objection = openObjectionStep(e, app, now, &random) { return objection }
        guard let current = e.consents.last, let entry = app.consent(current) else {
            if let current = e.consents.last {
                // Signed but not committed yet: resend the same consent.
                guard due("consent/\(current.short)", now), let b = bodies[current] else { return nil }
                return envelope(actor(b.body.bank.value), GrantConsentPayload(body: b.body, signature: b.signature))
            }
            return grantConsent(i, now, &random)
        }
        let live = entry.revokedAtMillis == nil && viewTime < entry.body.validUntilMillis
        let orders = ordersByConsent[current] ?? []
        guard let last = orders.last, let order = app.order(last) else {
            guard live else { return grantConsent(i, now, &random) }
            guard due("order/\(current.short)/0", now) else { return nil }
            return placeOrder(entry, &random)
        }
        if order.status == .open {
            if let pending = order.items.first(where: { $0.state == .pending }) {
                guard due("deliver/\(last)/\(pending.publisher)", now) else { return nil }
                let items = order.items.filter { $0.state == .pending && $0.publisher == pending.publisher }.map {
                    DeliveredItem(
                        record: $0.record, ciphertextHash: hasher.hash(Domain.record, Array($0.record.recordID.utf8)))
                }
                return envelope(actor(pending.publisher.value), RecordDeliveryPayload(orderID: last, items: items))
            }
            let delivered = order.items.filter { $0.state == .delivered }
            guard !delivered.isEmpty, due("receipt/\(last)", now) else { return nil }
            let items = delivered.map { ReceiptItem(record: $0.record, verified: !random.chance(0.1)) }
            return envelope(actor(order.bank.value), RecordReceiptPayload(orderID: last, items: items))
        }
        // The order is settled: revoke, order again, publish a new version, object, or start over.
        let roll = random.below(100)
        // Only a consent still in force is revoked: an expired one may be the target of the
        // expired-consent probe (case 11), whose expected code must not depend on what commits first.
        if roll < 25, entry.revokedAtMillis == nil, viewTime < entry.body.validUntilMillis,
            due("revoke/\(current.short)", now)
        {
            revokeSubmitted.insert(current)
            let r = ConsentRevocation(consentID: current, subject: e.subject)
            let sig = sign(e, CreditDomains.consentRevocation, r.canonicalBytes)
            return envelope(actor(entry.body.bank.value), RevokeConsentPayload(revocation: r, signature: sig))
        }
        if roll < 40, live, orders.count < 3, due("order/\(current.short)/\(orders.count)", now) {
            return placeOrder(entry, &random)
        }
        if roll < 55, let record = app.record(RecordRef(typeCode: "SIM-TAX", recordID: recordID(e, "SIM-TAX"))),
            due("version/\(i)/\(record.version)", now)
        {
            let item = commitment(e, "SIM-TAX", version: record.version + 1, &random)
            return envelope(actor("sim-amr"), PublishCommitmentsPayload(items: [item]))
        }
        if roll < 70, (objectionsBySubject[e.subject] ?? []).count < 2,
            let record = app.record(RecordRef(typeCode: "SIM-PEN", recordID: recordID(e, "SIM-PEN"))),
            due("object/\(i)/\(record.version)", now)
        {
            uniqueCounter += 1
            var nonce = [UInt8](repeating: 0, count: 8)
            for k in 0..<8 { nonce[k] = UInt8(truncatingIfNeeded: uniqueCounter >> (56 - 8 * UInt64(k))) }
            let body = ObjectionBody(
                subject: e.subject, record: record.ref, version: record.version, reason: "penalty was annulled",
                nonce: nonce + nonce)
            let carrier = random.chance(0.5) ? actor("sim-mediator") : actor("sim-bureau")
            return envelope(
                carrier,
                FileObjectionPayload(body: body, signature: sign(e, CreditDomains.objection, body.canonicalBytes)))
        }
        guard due("next/\(i)/\(e.round)", now) else { return nil }
        return grantConsent(i, now, &random)
    }

    /// The source answers an open objection, or the mediator opens and closes a case on it.
    mutating func openObjectionStep(
        _ e: Enterprise, _ app: CreditRulesApplication, _ now: Int64, _ random: inout SimulationRandom
    ) -> TransactionEnvelope? {
        for id in objectionsBySubject[e.subject] ?? [] {
            guard let o = app.objection(id) else { continue }
            if let caseID = o.caseID, let c = app.mediationCase(caseID), c.outcome == nil {
                guard due("close/\(caseID)", now) else { return nil }
                let outcome = CaseOutcome.allCases[random.below(CaseOutcome.allCases.count)]
                return envelope(
                    actor("sim-mediator"), CloseCasePayload(caseID: caseID, outcome: outcome, text: "mediated"))
            }
            if o.caseID == nil, random.chance(0.3), due("case/\(id)", now) {
                return envelope(actor("sim-mediator"), OpenCasePayload(objectionID: id))
            }
            guard o.status == .open else { continue }
            guard due("answer/\(id)", now) else { return nil }
            let action = ObjectionAnswerAction.allCases[random.below(ObjectionAnswerAction.allCases.count)]
            var correction: CommitmentItem?
            if action == .correct, let record = app.record(o.body.record) {
                correction = commitment(e, record.typeCode, version: record.version + 1, &random)
            }
            return envelope(
                actor(o.publisher.value),
                AnswerObjectionPayload(objectionID: id, action: action, text: "checked", correction: correction))
        }
        return nil
    }

    mutating func grantConsent(_ i: Int, _ now: Int64, _ random: inout SimulationRandom) -> TransactionEnvelope? {
        guard due("grant/\(i)/\(enterprises[i].round)", now) else { return nil }
        let e = enterprises[i]
        let bank = banks[random.below(2)]
        let purpose = Purpose.allCases[random.below(Purpose.allCases.count)]
        var categories = ["basic", "credit_enhancement", "warning"].filter { _ in random.chance(0.6) }
        if categories.isEmpty { categories = ["credit_enhancement"] }
        let types = random.chance(0.3) ? ["SIM-ENF"] : []
        let length = random.chance(0.15) ? Self.shortConsentMillis : Self.longConsentMillis
        let body = consentBody(
            e, bank: bank.id, purpose: purpose, categories: categories, types: types,
            from: viewTime, until: viewTime + length)
        let sig = sign(e, CreditDomains.consent, body.canonicalBytes)
        let id = body.id(using: hasher)
        bodies[id] = (body, sig)
        enterprises[i].consents.append(id)
        enterprises[i].round += 1
        return envelope(bank, GrantConsentPayload(body: body, signature: sig))
    }

    mutating func consentBody(
        _ e: Enterprise, bank: MemberID, purpose: Purpose, categories: [String], types: [String], from: Int64,
        until: Int64
    ) -> ConsentBody {
        uniqueCounter += 1
        var nonce = [UInt8](repeating: 0xC0, count: 8)
        for k in 0..<8 { nonce.append(UInt8(truncatingIfNeeded: uniqueCounter >> (56 - 8 * UInt64(k)))) }
        return ConsentBody(
            subject: e.subject, bank: bank, purpose: purpose, categories: categories, types: types,
            validFromMillis: from, validUntilMillis: until, nonce: nonce)
    }

    mutating func placeOrder(_ c: ConsentEntry, _ random: inout SimulationRandom) -> TransactionEnvelope {
        var types = Self.types.filter { code in
            random.chance(0.7)
                && Self.catalog.contains { $0.code == code && (c.body.covers($0) || $0.isOpenUnderAnyConsent) }
        }
        if types.isEmpty { types = ["SIM-REG"] }
        let reference = c.body.purpose == .loanApplication && random.chance(0.9) ? "loan-\(uniqueCounter)" : nil
        let p = PlaceOrderPayload(consentID: c.id, purpose: c.body.purpose, loanReference: reference, types: types)
        return envelope(actor(c.body.bank.value), p)
    }

    // MARK: - Deliberately invalid transactions

    /// One invalid transaction whose code is certain whatever else commits first, or nil when
    /// the chosen kind has no precondition met yet.
    mutating func invalid(_ app: CreditRulesApplication, _ random: inout SimulationRandom)
        -> (TransactionEnvelope, String)?
    {
        let registered = enterprises.filter { app.enterprise($0.subject) != nil }
        let committed = enterprises.flatMap(\.consents).compactMap { app.consent($0) }
        let e = enterprises[random.below(enterprises.count)]
        switch random.below(13) {
        case 0:
            let item = CommitmentItem(
                typeCode: "SIM-REG", subject: e.subject, recordID: "bank-claim", version: 1,
                commitment: Hash(w0: random.next(), w1: 1, w2: 2, w3: 3))
            return (envelope(banks[0], PublishCommitmentsPayload(items: [item])), "commitment.not_publisher")
        case 1:
            let p = RegisterEnterprisePayload(subject: Hash(w0: random.next(), w1: 9, w2: 9, w3: 9), publicKey: [1])
            return (envelope(banks[1], p), "enterprise.not_registrar")
        case 2:
            let p = PlaceOrderPayload(
                consentID: Hash(w0: random.next(), w1: 7, w2: 7, w3: 7), purpose: .loanApplication, loanReference: "x",
                types: ["SIM-REG"])
            return (envelope(banks[0], p), "order.unknown_consent")
        case 3:
            guard let c = committed.last else { return nil }
            let other = banks.first { $0.id != c.body.bank } ?? banks[0]
            let p = PlaceOrderPayload(consentID: c.id, purpose: c.body.purpose, loanReference: "x", types: ["SIM-REG"])
            return (envelope(other, p), "consent.wrong_bank")
        case 4:
            guard let c = committed.first else { return nil }
            let p = PlaceOrderPayload(consentID: c.id, purpose: c.body.purpose, loanReference: "x", types: ["SIM-REG"])
            return (envelope(actor("sim-mediator"), p), "order.purpose_not_allowed")
        case 5:
            guard !replayable.isEmpty else { return nil }
            let original = replayable[random.below(replayable.count)]
            guard original.expiry.value >= viewHeight + 300, let by = actors[original.signer.value] else { return nil }
            let p = PlaceOrderPayload(
                consentID: .zero, purpose: .loanApplication, loanReference: "replay", types: ["SIM-REG"])
            return (envelope(by, p, expiry: original.expiry.value, uniqueID: original.uniqueID), "tx.replayed")
        case 6:
            let p = RegisterEnterprisePayload(subject: e.subject, publicKey: e.signer.publicKey)
            return (envelope(actor("sim-bureau"), p, expiry: viewHeight), "tx.expired")
        case 7:
            guard app.enterprise(e.subject) != nil else { return nil }
            let body = consentBody(
                e, bank: banks[0].id, purpose: .loanApplication, categories: ["basic"], types: [],
                from: viewTime - 10_000, until: viewTime - 1)
            let p = GrantConsentPayload(body: body, signature: sign(e, CreditDomains.consent, body.canonicalBytes))
            return (envelope(banks[0], p), "consent.expired")
        case 8:
            guard let victim = registered.first, let forger = enterprises.first(where: { $0.index != victim.index })
            else { return nil }
            let body = consentBody(
                victim, bank: banks[1].id, purpose: .guaranteeReview, categories: ["warning"], types: [],
                from: viewTime, until: viewTime + Self.longConsentMillis)
            let p = GrantConsentPayload(body: body, signature: sign(forger, CreditDomains.consent, body.canonicalBytes))
            return (envelope(banks[1], p), "consent.bad_signature")
        case 9:
            guard let c = committed.last(where: { $0.body.validUntilMillis > viewTime + 60_000 }) else { return nil }
            let p = GrantConsentPayload(body: c.body, signature: c.signature)
            return (envelope(banks[random.below(2)], p), "consent.replayed")
        case 10:
            guard let id = revokedOK.sorted().first, let b = bodies[id] else { return nil }
            let p = PlaceOrderPayload(consentID: id, purpose: b.body.purpose, loanReference: "x", types: ["SIM-REG"])
            return (envelope(actor(b.body.bank.value), p), "consent.revoked")
        case 11:
            guard
                let c = committed.first(where: {
                    $0.body.validUntilMillis <= viewTime && !revokeSubmitted.contains($0.id)
                })
            else { return nil }
            let p = PlaceOrderPayload(consentID: c.id, purpose: c.body.purpose, loanReference: "x", types: ["SIM-REG"])
            return (envelope(actor(c.body.bank.value), p), "consent.expired")
        default:
            let item = CommitmentItem(
                typeCode: "SIM-PEN", subject: e.subject, recordID: "\(recordID(e, "SIM-PEN"))-old", version: 1,
                commitment: Hash(w0: random.next(), w1: 4, w2: 4, w3: 4), eventStart: -(3 * 366 + 30),
                negative: true)
            return (envelope(actor("sim-amr"), PublishCommitmentsPayload(items: [item])), "commitment.already_expired")
        }
    }

    // MARK: - Observing commits

    public mutating func committed(_ block: Block, results: [TransactionResult], state: SimulatedCreditApplication)
        -> [String]
    {
        let app = state.rules
        view = app
        viewHeight = block.header.height.value
        viewTime = block.header.timestampMillis
        var violations = [String]()
        for (tx, result) in zip(block.transactions, results) {
            let kind = TransactionKind(rawValue: tx.kind)?.name ?? "kind-\(tx.kind)"
            outcomes["\(kind) \(result.code)", default: 0] += 1
            if let want = expected.removeValue(forKey: tx.hash(using: hasher)) {
                outcomes["invalid \(want)", default: 0] += 1
                if result.code != want {
                    violations.append(
                        "C6: height \(viewHeight): deliberately invalid \(kind) expected \(want), got \(result.code)")
                }
            }
            guard result.isOK else { continue }
            if tx.kind == TransactionKind.revokeConsent.rawValue,
                let p = try? RevokeConsentPayload(canonicalBytes: tx.payload)
            {
                revokedOK.insert(p.revocation.consentID)
            }
            if tx.expiry.value >= viewHeight + 400 {
                replayable.append(tx)
                if replayable.count > 16 { replayable.removeFirst() }
            }
        }
        let orderCount = app.count("order")
        while knownOrders < orderCount {
            if let o = app.order(knownOrders) { ordersByConsent[o.consentID, default: []].append(knownOrders) }
            knownOrders += 1
        }
        let objectionCount = app.count("objection")
        while knownObjections < objectionCount {
            if let o = app.objection(knownObjections) {
                objectionsBySubject[o.body.subject, default: []].append(knownObjections)
            }
            knownObjections += 1
        }
        if var c = checker {
            violations += c.check(block, results: results, app: app)
            checker = c
        }
        return violations
    }
}
