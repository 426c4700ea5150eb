import ChainCore
import Ledger

/// The credit domain as a deterministic `Application`: members and governance, catalog,
/// commitments, consents, query orders, deliveries and receipts, points, the audit trail,
/// objections and mediation, retention and supervision alerts.
///
/// Pure: no I/O, no clock (time is `BlockContext.timestampMillis`), no randomness. Envelope
/// signatures are checked by the caller; enterprise signatures inside payloads are checked here
/// with `verifier`. Every rejected transaction changes nothing but its recorded rejection.
public struct CreditRulesApplication: Application {
    public internal(set) var state: CreditState
    public let hasher: any ChainHasher
    public let verifier: any ChainVerifier

    // Effects of the block being executed and of the current transaction.
    var context = BlockContext(chainID: ChainID(.zero), height: Height(0), timestampMillis: 0, proposer: .none)
    var transactionHash = Hash.zero
    var validatorUpdates: [ValidatorSetUpdate] = []
    var revokedCertificates: [RevokedCertificate] = []
    var pendingValidatorUpdates: [ValidatorSetUpdate] = []
    var pendingRevocations: [RevokedCertificate] = []
    /// Set by a rule before it can fail, so that a rejected order is also logged for its subject.
    var rejectionAudit: (subject: Hash, purpose: Purpose?, consentID: Hash?)?
    /// Parameters as of the start of the block: a governance change applies from the next block.
    var blockParameters = CreditParameters()
    /// Catalog entries read during this block; cleared whenever a transaction fails or the
    /// catalog changes, so it never holds a value the state does not.
    var typeCache: [String: DataTypeEntry] = [:]
    /// What an accepted transaction created, for its result's detail (`order 12`, `consent <id>`…):
    /// the submitter learns the id the chain assigned from the transaction's result.
    var createdDetail = ""

    /// Builds the genesis state from the application section of genesis.
    public init(genesis: CreditGenesis, hasher: any ChainHasher, verifier: any ChainVerifier) throws {
        try genesis.validate()
        self.hasher = hasher
        self.verifier = verifier
        state = CreditState(hasher: hasher)
        for m in genesis.members { state.write(Keys.member(m.id), m) }
        state.write(Keys.memberList, MemberList(ids: genesis.members.map(\.id).sorted()))
        var publishers: [String: MemberID] = [:]
        for p in genesis.sourcePublishers {
            publishers[p.source] = p.member
            state.write(Keys.publisher(p.source), p.member)
        }
        for t in genesis.catalog {
            guard let publisher = publishers[t.source] else {
                throw CreditRulesError("genesis.unmapped_source", t.code)
            }
            state.write(Keys.type(t.code), DataTypeEntry(type: t, publisher: publisher, suspended: false))
        }
        for p in Purpose.allCases {
            let roles = genesis.purposes.first(where: { $0.purpose == p })?.roles ?? []
            state.write(Keys.purposes(p), RoleList(roles))
        }
        state.write(Keys.parameters, genesis.parameters)
        for a in genesis.points {
            let old = state.read(Keys.points(a.member), as: PointsBalance.self)?.value ?? 0
            state.write(Keys.points(a.member), PointsBalance(old + a.points))
        }
        state.commitTransaction()
        _ = state.finishBlock()
    }

    /// Loads a state previously produced by these rules (the node's store or a snapshot);
    /// throws `state.unreadable_entry` for entries these rules cannot read.
    public init(entries: [(key: [UInt8], value: [UInt8])], hasher: any ChainHasher, verifier: any ChainVerifier)
        throws
    {
        self.hasher = hasher
        self.verifier = verifier
        state = CreditState(hasher: hasher)
        try state.load(entries)
    }

    public var stateRoot: Hash { state.root }

    public func stateEntries() -> [StateWrite] { state.entries().map { StateWrite(key: $0.key, value: $0.value) } }

    // MARK: - Application

    public func precheck(_ transaction: TransactionEnvelope, context: BlockContext) -> TransactionResult? {
        guard let kind = TransactionKind(rawValue: transaction.kind) else {
            return CreditRulesError("tx.unknown_kind", "kind \(transaction.kind)").result
        }
        guard let member = state.read(Keys.member(transaction.signer), as: Member.self) else {
            return CreditRulesError("member.unknown").result
        }
        switch member.status {
        case .active: break
        case .frozen: return CreditRulesError("member.frozen").result
        case .removed: return CreditRulesError("member.removed").result
        }
        guard transaction.expiry >= context.height else { return CreditRulesError("tx.expired").result }
        if state.isRemembered(Keys.replayID(transaction.signer, transaction.uniqueID, expiry: transaction.expiry.value))
        {
            return CreditRulesError("tx.replayed").result
        }
        do {
            try Self.decodeCheck(kind, transaction.payload)
        } catch {
            return CreditRulesError.payload(error).result
        }
        return nil
    }

    public mutating func executeBlock(_ context: BlockContext, transactions: [TransactionEnvelope]) -> BlockExecution {
        self.context = context
        validatorUpdates = []
        revokedCertificates = []
        blockParameters = parameters
        typeCache.removeAll(keepingCapacity: true)
        runSweeps()
        state.commitTransaction()
        var results: [TransactionResult] = []
        results.reserveCapacity(transactions.count)
        for tx in transactions { results.append(execute(tx)) }
        state.writeReplayRecords(height: context.height.value)
        let writes = state.finishBlock()
        return BlockExecution(
            results: results, stateRoot: state.root, validatorUpdates: validatorUpdates,
            revokedCertificates: revokedCertificates, writes: writes)
    }

    public mutating func applyExecuted(_ execution: BlockExecution) -> Bool {
        state.applyCommitted(execution.writes)
        return true
    }

    // MARK: - Reads for the shells

    /// The member record, when known.
    public func member(_ id: MemberID) -> Member? { state.read(Keys.member(id)) }
    /// A member's signing key (the mempool checks envelope signatures with it).
    public func signingKey(of id: MemberID) -> [UInt8]? { member(id)?.signingKey }
    /// Keys live in member entries only.
    public func changesSigningKeys(_ writes: [StateWrite]) -> Bool {
        writes.contains { $0.key.starts(with: Keys.memberTag) }
    }
    /// The signing keys of every member not removed (a frozen member's envelopes still reach
    /// execution, which records their refusal).
    public func signingKeys() -> [MemberID: [UInt8]]? {
        var keys: [MemberID: [UInt8]] = [:]
        for id in memberIDs() {
            guard let m = member(id), m.status != .removed else { continue }
            keys[id] = m.signingKey
        }
        return keys
    }
    public func dataType(_ code: String) -> DataTypeEntry? { state.read(Keys.type(code)) }
    public func enterprise(_ subject: Hash) -> EnterpriseEntry? { state.read(Keys.enterprise(subject)) }
    public func record(_ ref: RecordRef) -> RecordEntry? { state.read(Keys.record(ref)) }
    public func consent(_ id: Hash) -> ConsentEntry? { state.read(Keys.consent(id)) }
    public func order(_ id: UInt64) -> QueryOrder? { state.read(Keys.order(id)) }
    public func objection(_ id: UInt64) -> Objection? { state.read(Keys.objection(id)) }
    public func mediationCase(_ id: UInt64) -> MediationCase? { state.read(Keys.mediationCase(id)) }
    public func alert(_ seq: UInt64) -> Alert? { state.read(Keys.alert(seq)) }
    public func notice(_ seq: UInt64) -> CorrectionNotice? { state.read(Keys.notice(seq)) }
    public func proposal(_ id: UInt64) -> Proposal? { state.read(Keys.proposal(id)) }
    public func rejectedAttempt(_ seq: UInt64) -> RejectedAttempt? { state.read(Keys.rejected(seq)) }
    public func points(_ member: MemberID) -> Int64 {
        state.read(Keys.points(member), as: PointsBalance.self)?.value ?? 0
    }
    public func statement(_ member: MemberID, period: UInt32) -> PointStatement? {
        state.read(Keys.statement(member, period))
    }
    public var parameters: CreditParameters { state.read(Keys.parameters) ?? CreditParameters() }
    public func auditHead(_ subject: Hash) -> AuditHead? { state.read(Keys.auditHead(subject)) }
    public func auditEntry(_ subject: Hash, _ seq: UInt64) -> AuditEntry? { state.read(Keys.audit(subject, seq)) }
    public func auditIndex(_ seq: UInt64) -> AuditIndexEntry? { state.read(Keys.auditIndex(seq)) }
    /// The whole audit log of a subject, oldest first (Art. 22: the subject learns who queried it).
    public func auditLog(_ subject: Hash) -> [AuditEntry] {
        let n = auditHead(subject)?.count ?? 0
        return (0..<n).compactMap { auditEntry(subject, $0) }
    }
    /// Record ids of a subject for a type.
    public func recordIDs(subject: Hash, type: String) -> [String] {
        state.read(Keys.subjectRecords(subject, type), as: RecordIDList.self)?.ids ?? []
    }
    /// How many of a sequence exist: `order`, `audit`, `rejected`, `objection`, `case`, `notice`,
    /// `alert`, `proposal`.
    public func count(_ name: StaticString) -> UInt64 {
        state.read(Keys.counter(name), as: Counter.self)?.value ?? 0
    }
    /// The H(audit domain, entry) hash that chains the log.
    public func auditHash(_ entry: AuditEntry) -> Hash { hasher.hash(CreditDomains.audit, entry.canonicalBytes) }

    // MARK: - Transaction execution

    mutating func execute(_ tx: TransactionEnvelope) -> TransactionResult {
        transactionHash = tx.hash(using: hasher)
        pendingValidatorUpdates = []
        pendingRevocations = []
        rejectionAudit = nil
        createdDetail = ""
        do {
            try admit(tx)
            rememberTransaction(tx)
            try dispatch(tx)
            state.commitTransaction()
            validatorUpdates.append(contentsOf: pendingValidatorUpdates)
            revokedCertificates.append(contentsOf: pendingRevocations)
            return createdDetail.isEmpty ? .ok : TransactionResult(code: "ok", detail: createdDetail)
        } catch {
            let e = (error as? CreditRulesError) ?? CreditRulesError.payload(error)
            state.discardTransaction()
            typeCache.removeAll(keepingCapacity: true)
            recordRejection(tx, e)
            state.commitTransaction()
            return e.result
        }
    }

    /// Signer standing, expiry and replay (the envelope signature was checked by the caller).
    mutating func admit(_ tx: TransactionEnvelope) throws {
        guard let member = state.read(Keys.member(tx.signer), as: Member.self) else {
            throw CreditRulesError("member.unknown", "the signer is not a member")
        }
        switch member.status {
        case .active: break
        case .frozen: throw CreditRulesError("member.frozen", "the supervisor froze the signer")
        case .removed: throw CreditRulesError("member.removed", "the signer was removed")
        }
        guard tx.expiry >= context.height else { throw CreditRulesError("tx.expired", "past its expiry height") }
        guard tx.expiry.value - context.height.value <= UInt64(max(0, blockParameters.transactionLifetimeBlocksMax))
        else {
            throw CreditRulesError("tx.expiry_too_far", "expiry beyond the transaction lifetime")
        }
        guard !state.isRemembered(Keys.replayID(tx.signer, tx.uniqueID, expiry: tx.expiry.value)) else {
            throw CreditRulesError("tx.replayed", "unique id already used")
        }
    }

    /// Remembers the unique id until the envelope's expiry (for replay refusal), whatever the
    /// transaction's outcome; the prune sweep forgets it afterwards. An envelope replayed with
    /// another expiry is another id, but the same signed bytes cannot change their expiry. An
    /// envelope already past its expiry can never be included again and is not remembered.
    mutating func rememberTransaction(_ tx: TransactionEnvelope) {
        guard tx.expiry >= context.height else { return }
        state.remember(signer: tx.signer, uniqueID: tx.uniqueID, expiry: tx.expiry.value)
    }

    mutating func dispatch(_ tx: TransactionEnvelope) throws {
        guard let kind = TransactionKind(rawValue: tx.kind) else {
            throw CreditRulesError("tx.unknown_kind", "kind \(tx.kind)")
        }
        let signer = tx.signer
        let p = tx.payload
        switch kind {
        case .propose: try propose(try decode(p), by: signer)
        case .vote: try vote(try decode(p), by: signer)
        case .veto: try veto(try decode(p), by: signer)
        case .freeze: try freeze(try decode(p), by: signer)
        case .unfreeze: try unfreeze(try decode(p), by: signer)
        case .registerEnterprise: try registerEnterprise(try decode(p), by: signer)
        case .rotateEnterpriseKey: try rotateEnterpriseKey(try decode(p), by: signer)
        case .suspendType: try suspendType(try decode(p), by: signer)
        case .publishCommitments: try publish(try decode(p), by: signer)
        case .grantConsent: try grantConsent(try decode(p), by: signer)
        case .revokeConsent: try revokeConsent(try decode(p), by: signer)
        case .placeOrder: try placeOrder(try decode(p), by: signer)
        case .recordDelivery: try recordDelivery(try decode(p), by: signer)
        case .recordReceipt: try recordReceipt(try decode(p), by: signer)
        case .fileObjection: try fileObjection(try decode(p), by: signer)
        case .answerObjection: try answerObjection(try decode(p), by: signer)
        case .openCase: try openCase(try decode(p), by: signer)
        case .closeCase: try closeCase(try decode(p), by: signer)
        case .acknowledgeAlert: try acknowledgeAlert(try decode(p), by: signer)
        }
    }

    func decode<T: CanonicalCodable>(_ bytes: [UInt8]) throws -> T {
        do { return try T(canonicalBytes: bytes) } catch { throw CreditRulesError.payload(error) }
    }

    static func decodeCheck(_ kind: TransactionKind, _ p: [UInt8]) throws {
        switch kind {
        case .propose: _ = try ProposePayload(canonicalBytes: p)
        case .vote: _ = try VotePayload(canonicalBytes: p)
        case .veto: _ = try VetoPayload(canonicalBytes: p)
        case .freeze: _ = try FreezePayload(canonicalBytes: p)
        case .unfreeze: _ = try UnfreezePayload(canonicalBytes: p)
        case .registerEnterprise: _ = try RegisterEnterprisePayload(canonicalBytes: p)
        case .rotateEnterpriseKey: _ = try RotateEnterpriseKeyPayload(canonicalBytes: p)
        case .suspendType: _ = try SuspendTypePayload(canonicalBytes: p)
        case .publishCommitments: _ = try PublishCommitmentsPayload(canonicalBytes: p)
        case .grantConsent: _ = try GrantConsentPayload(canonicalBytes: p)
        case .revokeConsent: _ = try RevokeConsentPayload(canonicalBytes: p)
        case .placeOrder: _ = try PlaceOrderPayload(canonicalBytes: p)
        case .recordDelivery: _ = try RecordDeliveryPayload(canonicalBytes: p)
        case .recordReceipt: _ = try RecordReceiptPayload(canonicalBytes: p)
        case .fileObjection: _ = try FileObjectionPayload(canonicalBytes: p)
        case .answerObjection: _ = try AnswerObjectionPayload(canonicalBytes: p)
        case .openCase: _ = try OpenCasePayload(canonicalBytes: p)
        case .closeCase: _ = try CloseCasePayload(canonicalBytes: p)
        case .acknowledgeAlert: _ = try AcknowledgeAlertPayload(canonicalBytes: p)
        }
    }

    // MARK: - Shared helpers

    var now: Int64 { context.timestampMillis }
    var today: Int64 { CivilDate.dayNumber(timestampMillis: now) }

    func requireMember(_ id: MemberID) throws -> Member {
        guard let m = state.read(Keys.member(id), as: Member.self) else { throw CreditRulesError("member.unknown") }
        return m
    }

    func requireRole(_ id: MemberID, _ roles: MemberRole..., code: String = "member.role_not_allowed") throws -> Member
    {
        let m = try requireMember(id)
        guard roles.contains(m.role) else { throw CreditRulesError(code, "\(m.role) may not do this") }
        return m
    }

    /// Next id of a named sequence: ids start at 0 and the counter holds how many exist, so
    /// readers scan 0..<count.
    mutating func nextID(_ name: StaticString) -> UInt64 {
        let key = Keys.counter(name)
        let n = state.read(key, as: Counter.self)?.value ?? 0
        state.write(key, Counter(n + 1))
        return n
    }

    mutating func recordRejection(_ tx: TransactionEnvelope, _ e: CreditRulesError) {
        if e.code != "tx.replayed" { rememberTransaction(tx) }
        let seq = nextID("rejected")
        state.write(
            Keys.rejected(seq),
            RejectedAttempt(
                sequence: seq, member: tx.signer, kind: tx.kind, code: e.code, timestampMillis: now,
                height: context.height.value, transactionHash: transactionHash))
        if let a = rejectionAudit {
            appendAudit(
                subject: a.subject, actor: tx.signer, action: .orderRejected, purpose: a.purpose, orderID: nil,
                consentID: a.consentID, detail: e.code)
        }
        let dayKey = Keys.dailyRejected(tx.signer, today)
        let n = (state.read(dayKey, as: Counter.self)?.value ?? 0) + 1
        state.write(dayKey, Counter(n))
        if n == UInt64(max(1, blockParameters.alertRejectedAttemptsMax)) {
            raiseAlert("alert.repeated_rejections", member: tx.signer, subject: nil, detail: "\(n) rejected today")
        }
    }

    mutating func appendAudit(
        subject: Hash, actor: MemberID, action: AuditAction, purpose: Purpose?, orderID: UInt64?, consentID: Hash?,
        detail: String
    ) {
        let headKey = Keys.auditHead(subject)
        let head = state.read(headKey, as: AuditHead.self) ?? AuditHead(count: 0, head: .zero)
        let entry = AuditEntry(
            sequence: head.count, previous: head.head, actor: actor, action: action, timestampMillis: now,
            height: context.height.value, purpose: purpose, orderID: orderID, consentID: consentID,
            detail: String(detail.utf8.prefix(AuditEntry.detailMax)) ?? "")
        let bytes = entry.canonicalBytes
        state.put(Keys.audit(subject, head.count), bytes)
        state.write(headKey, AuditHead(count: head.count + 1, head: hasher.hash(CreditDomains.audit, bytes)))
        let g = nextID("audit")
        state.write(Keys.auditIndex(g), AuditIndexEntry(subject: subject, sequence: head.count))
    }

    mutating func raiseAlert(_ rule: String, member: MemberID?, subject: Hash?, detail: String) {
        let seq = nextID("alert")
        state.write(
            Keys.alert(seq),
            Alert(
                sequence: seq, rule: rule, member: member, subject: subject, detail: detail, raisedAtMillis: now,
                height: context.height.value))
    }

    mutating func addPoints(_ member: MemberID, _ delta: Int64) {
        let key = Keys.points(member)
        let old = state.read(key, as: PointsBalance.self)?.value ?? 0
        state.write(key, PointsBalance(old + delta))
    }

    mutating func updateStatement(_ member: MemberID, _ body: (inout PointStatement) -> Void) {
        let period = CivilDate(timestampMillis: now).period
        let key = Keys.statement(member, period)
        var s = state.read(key, as: PointStatement.self) ?? PointStatement(period: period)
        body(&s)
        state.write(key, s)
    }
}

extension MemberID {
    /// Placeholder proposer before the first block.
    static let none: MemberID = {
        // "none" satisfies the member id rules; a failure here would be a programming error.
        guard let id = try? MemberID("none") else { preconditionFailure("invalid placeholder member id") }
        return id
    }()
}
