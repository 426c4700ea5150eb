import ChainCore

/// What an audit entry records (Art. 22: who, when, what, why).
public enum AuditAction: UInt8, Sendable, CaseIterable {
    case consentGranted = 1
    case consentRevoked = 2
    case orderPlaced = 3
    case orderRejected = 4
    case delivered = 5
    case receipt = 6
    case objectionFiled = 7
    case objectionAnswered = 8
    case caseOpened = 9
    case caseClosed = 10
    case correctionNotice = 11
    case recordExpired = 12
}

/// One entry of a subject's hash-chained audit log: `previous` is the hash of the entry before
/// (zero for the first), so the log cannot be rewritten without changing every later hash.
public struct AuditEntry: Hashable, Sendable, CanonicalCodable {
    public static let detailMax = 160
    public var sequence: UInt64
    public var previous: Hash
    public var actor: MemberID
    public var action: AuditAction
    public var timestampMillis: Int64
    public var height: UInt64
    public var purpose: Purpose?
    public var orderID: UInt64?
    public var consentID: Hash?
    /// What: data types, record ids or a result code; never credit data.
    public var detail: String
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.u64(sequence)
        e.hash(previous)
        e.value(actor)
        e.u8(action.rawValue)
        e.i64(timestampMillis)
        e.u64(height)
        e.optional(purpose) { e, p in e.u8(p.rawValue) }
        e.optional(orderID) { e, v in e.u64(v) }
        e.optional(consentID) { e, h in e.hash(h) }
        e.string(detail, max: Self.detailMax)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("audit.version", supported: 1...1)
        sequence = try d.u64("audit.sequence")
        previous = try d.hash("audit.previous")
        actor = try d.value()
        action = try d.tag("audit.action")
        timestampMillis = try d.i64("audit.timestamp")
        height = try d.u64("audit.height")
        purpose = try d.optional("audit.purpose") { try $0.tag("audit.purpose") }
        orderID = try d.optional("audit.order_id") { try $0.u64("audit.order_id") }
        consentID = try d.optional("audit.consent_id") { try $0.hash("audit.consent_id") }
        detail = try d.string("audit.detail", max: Self.detailMax)
    }
    init(
        sequence: UInt64, previous: Hash, actor: MemberID, action: AuditAction, timestampMillis: Int64, height: UInt64,
        purpose: Purpose?, orderID: UInt64?, consentID: Hash?, detail: String
    ) {
        self.sequence = sequence
        self.previous = previous
        self.actor = actor
        self.action = action
        self.timestampMillis = timestampMillis
        self.height = height
        self.purpose = purpose
        self.orderID = orderID
        self.consentID = consentID
        self.detail = detail
    }
}

/// The head of a subject's audit log: entry count and the hash of the last entry.
public struct AuditHead: Hashable, Sendable, CanonicalCodable {
    public var count: UInt64
    public var head: Hash
    public func encode(to e: inout CanonicalEncoder) {
        e.u64(count)
        e.hash(head)
    }
    public init(count: UInt64, head: Hash) {
        self.count = count
        self.head = head
    }
    public init(from d: inout CanonicalDecoder) throws {
        count = try d.u64("audit_head.count")
        head = try d.hash("audit_head.head")
    }
}

/// The global audit index: the n-th audit event of the network and where it is.
public struct AuditIndexEntry: Hashable, Sendable, CanonicalCodable {
    public var subject: Hash
    public var sequence: UInt64
    public func encode(to e: inout CanonicalEncoder) {
        e.hash(subject)
        e.u64(sequence)
    }
    public init(subject: Hash, sequence: UInt64) {
        self.subject = subject
        self.sequence = sequence
    }
    public init(from d: inout CanonicalDecoder) throws {
        subject = try d.hash("audit_index.subject")
        sequence = try d.u64("audit_index.sequence")
    }
}

/// A rejected transaction, kept for the supervisor.
public struct RejectedAttempt: Hashable, Sendable, CanonicalCodable {
    public var sequence: UInt64
    public var member: MemberID
    public var kind: UInt16
    public var code: String
    public var timestampMillis: Int64
    public var height: UInt64
    public var transactionHash: Hash
    public func encode(to e: inout CanonicalEncoder) {
        e.u64(sequence)
        e.value(member)
        e.u16(kind)
        e.string(code, max: 96)
        e.i64(timestampMillis)
        e.u64(height)
        e.hash(transactionHash)
    }
    public init(from d: inout CanonicalDecoder) throws {
        sequence = try d.u64("rejected.sequence")
        member = try d.value()
        kind = try d.u16("rejected.kind")
        code = try d.string("rejected.code", max: 96)
        timestampMillis = try d.i64("rejected.timestamp")
        height = try d.u64("rejected.height")
        transactionHash = try d.hash("rejected.transaction_hash")
    }
    init(
        sequence: UInt64, member: MemberID, kind: UInt16, code: String, timestampMillis: Int64, height: UInt64,
        transactionHash: Hash
    ) {
        self.sequence = sequence
        self.member = member
        self.kind = kind
        self.code = code
        self.timestampMillis = timestampMillis
        self.height = height
        self.transactionHash = transactionHash
    }
}

/// Where an objection stands.
public enum ObjectionStatus: UInt8, Sendable, CaseIterable {
    case open = 1
    case corrected = 2
    case annotated = 3
    case rejected = 4
}

/// An objection (Art. 25) with its deadline and answer.
public struct Objection: Hashable, Sendable, CanonicalCodable {
    public var id: UInt64
    public var body: ObjectionBody
    public var filedBy: MemberID
    public var publisher: MemberID
    public var filedAtMillis: Int64
    public var deadlineMillis: Int64
    public var status: ObjectionStatus
    public var answerText: String
    public var answeredAtMillis: Int64?
    public var overdue: Bool
    public var caseID: UInt64?
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.u64(id)
        e.value(body)
        e.value(filedBy)
        e.value(publisher)
        e.i64(filedAtMillis)
        e.i64(deadlineMillis)
        e.u8(status.rawValue)
        e.string(answerText, max: CreditLimits.textMax)
        e.optional(answeredAtMillis) { e, v in e.i64(v) }
        e.bool(overdue)
        e.optional(caseID) { e, v in e.u64(v) }
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("objection_entry.version", supported: 1...1)
        id = try d.u64("objection_entry.id")
        body = try d.value()
        filedBy = try d.value()
        publisher = try d.value()
        filedAtMillis = try d.i64("objection_entry.filed_at")
        deadlineMillis = try d.i64("objection_entry.deadline")
        status = try d.tag("objection_entry.status")
        answerText = try d.string("objection_entry.answer", max: CreditLimits.textMax)
        answeredAtMillis = try d.optional("objection_entry.answered_at") { try $0.i64("objection_entry.answered_at") }
        overdue = try d.bool("objection_entry.overdue")
        caseID = try d.optional("objection_entry.case_id") { try $0.u64("objection_entry.case_id") }
    }
    init(
        id: UInt64, body: ObjectionBody, filedBy: MemberID, publisher: MemberID, filedAtMillis: Int64,
        deadlineMillis: Int64
    ) {
        self.id = id
        self.body = body
        self.filedBy = filedBy
        self.publisher = publisher
        self.filedAtMillis = filedAtMillis
        self.deadlineMillis = deadlineMillis
        status = .open
        answerText = ""
        answeredAtMillis = nil
        overdue = false
        caseID = nil
    }
}

/// A mediation case over an objection.
public struct MediationCase: Hashable, Sendable, CanonicalCodable {
    public var id: UInt64
    public var objectionID: UInt64
    public var mediator: MemberID
    public var openedAtMillis: Int64
    public var outcome: CaseOutcome?
    public var text: String
    public var closedAtMillis: Int64?
    public func encode(to e: inout CanonicalEncoder) {
        e.u64(id)
        e.u64(objectionID)
        e.value(mediator)
        e.i64(openedAtMillis)
        e.optional(outcome) { e, o in e.u8(o.rawValue) }
        e.string(text, max: CreditLimits.textMax)
        e.optional(closedAtMillis) { e, v in e.i64(v) }
    }
    public init(from d: inout CanonicalDecoder) throws {
        id = try d.u64("case.id")
        objectionID = try d.u64("case.objection_id")
        mediator = try d.value()
        openedAtMillis = try d.i64("case.opened_at")
        outcome = try d.optional("case.outcome") { try $0.tag("case.outcome") }
        text = try d.string("case.text", max: CreditLimits.textMax)
        closedAtMillis = try d.optional("case.closed_at") { try $0.i64("case.closed_at") }
    }
    init(id: UInt64, objectionID: UInt64, mediator: MemberID, openedAtMillis: Int64) {
        self.id = id
        self.objectionID = objectionID
        self.mediator = mediator
        self.openedAtMillis = openedAtMillis
        outcome = nil
        text = ""
        closedAtMillis = nil
    }
}

/// A notice to a bank that a record it received was corrected.
public struct CorrectionNotice: Hashable, Sendable, CanonicalCodable {
    public var sequence: UInt64
    public var bank: MemberID
    public var record: RecordRef
    public var oldVersion: UInt32
    public var newVersion: UInt32
    public var objectionID: UInt64
    public var timestampMillis: Int64
    public func encode(to e: inout CanonicalEncoder) {
        e.u64(sequence)
        e.value(bank)
        e.value(record)
        e.u32(oldVersion)
        e.u32(newVersion)
        e.u64(objectionID)
        e.i64(timestampMillis)
    }
    public init(from d: inout CanonicalDecoder) throws {
        sequence = try d.u64("notice.sequence")
        bank = try d.value()
        record = try d.value()
        oldVersion = try d.u32("notice.old_version")
        newVersion = try d.u32("notice.new_version")
        objectionID = try d.u64("notice.objection_id")
        timestampMillis = try d.i64("notice.timestamp")
    }
    init(
        sequence: UInt64, bank: MemberID, record: RecordRef, oldVersion: UInt32, newVersion: UInt32,
        objectionID: UInt64, timestampMillis: Int64
    ) {
        self.sequence = sequence
        self.bank = bank
        self.record = record
        self.oldVersion = oldVersion
        self.newVersion = newVersion
        self.objectionID = objectionID
        self.timestampMillis = timestampMillis
    }
}

/// A supervision alert raised by a deterministic rule; the supervisor acknowledges it.
public struct Alert: Hashable, Sendable, CanonicalCodable {
    public var sequence: UInt64
    /// The rule, a stable dotted code (docs/errors.md, "Alerts").
    public var rule: String
    public var member: MemberID?
    public var subject: Hash?
    public var detail: String
    public var raisedAtMillis: Int64
    public var height: UInt64
    public var acknowledgedBy: MemberID?
    public var acknowledgedAtMillis: Int64?
    public var note: String
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.u64(sequence)
        e.string(rule, max: 96)
        e.optional(member) { e, m in e.value(m) }
        e.optional(subject) { e, h in e.hash(h) }
        e.string(detail, max: CreditLimits.textMax)
        e.i64(raisedAtMillis)
        e.u64(height)
        e.optional(acknowledgedBy) { e, m in e.value(m) }
        e.optional(acknowledgedAtMillis) { e, v in e.i64(v) }
        e.string(note, max: CreditLimits.textMax)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("alert.version", supported: 1...1)
        sequence = try d.u64("alert.sequence")
        rule = try d.string("alert.rule", max: 96)
        member = try d.optional("alert.member") { try MemberID(from: &$0) }
        subject = try d.optional("alert.subject") { try $0.hash("alert.subject") }
        detail = try d.string("alert.detail", max: CreditLimits.textMax)
        raisedAtMillis = try d.i64("alert.raised_at")
        height = try d.u64("alert.height")
        acknowledgedBy = try d.optional("alert.acknowledged_by") { try MemberID(from: &$0) }
        acknowledgedAtMillis = try d.optional("alert.acknowledged_at") { try $0.i64("alert.acknowledged_at") }
        note = try d.string("alert.note", max: CreditLimits.textMax)
    }
    init(
        sequence: UInt64, rule: String, member: MemberID?, subject: Hash?, detail: String, raisedAtMillis: Int64,
        height: UInt64
    ) {
        self.sequence = sequence
        self.rule = rule
        self.member = member
        self.subject = subject
        self.detail = detail
        self.raisedAtMillis = raisedAtMillis
        self.height = height
        acknowledgedBy = nil
        acknowledgedAtMillis = nil
        note = ""
    }
}

/// A proposal's life.
public enum ProposalStatus: UInt8, Sendable, CaseIterable {
    case open = 1
    case executed = 2
    case vetoed = 3
    case expired = 4
    /// Approved, but the action could not be applied (its result code is recorded).
    case failed = 5
    case rejected = 6
}

/// A governance proposal and its votes.
public struct Proposal: Hashable, Sendable, CanonicalCodable {
    public var id: UInt64
    public var action: GovernanceAction
    public var proposer: MemberID
    public var createdAtMillis: Int64
    public var expiresAtMillis: Int64
    public var yes: [MemberID]
    public var no: [MemberID]
    public var status: ProposalStatus
    public var resultCode: String
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.u64(id)
        e.value(action)
        e.value(proposer)
        e.i64(createdAtMillis)
        e.i64(expiresAtMillis)
        e.array(yes, max: CreditGenesis.membersMax)
        e.array(no, max: CreditGenesis.membersMax)
        e.u8(status.rawValue)
        e.string(resultCode, max: 96)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("proposal.version", supported: 1...1)
        id = try d.u64("proposal.id")
        action = try d.value()
        proposer = try d.value()
        createdAtMillis = try d.i64("proposal.created_at")
        expiresAtMillis = try d.i64("proposal.expires_at")
        yes = try d.array("proposal.yes", max: CreditGenesis.membersMax, minElementSize: 5)
        no = try d.array("proposal.no", max: CreditGenesis.membersMax, minElementSize: 5)
        status = try d.tag("proposal.status")
        resultCode = try d.string("proposal.result", max: 96)
    }
    init(id: UInt64, action: GovernanceAction, proposer: MemberID, createdAtMillis: Int64, expiresAtMillis: Int64) {
        self.id = id
        self.action = action
        self.proposer = proposer
        self.createdAtMillis = createdAtMillis
        self.expiresAtMillis = expiresAtMillis
        yes = [proposer]
        no = []
        status = .open
        resultCode = ""
    }
}
