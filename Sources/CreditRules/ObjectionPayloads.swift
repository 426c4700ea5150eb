import ChainCore

/// An enterprise's objection to a record (Art. 25), signed with its key (domain
/// `creditchain/objection/v1`); the nonce refuses replays.
public struct ObjectionBody: Hashable, Sendable, CanonicalCodable {
    public var subject: Hash
    public var record: RecordRef
    public var version: UInt32
    public var reason: String
    public var nonce: [UInt8]
    public init(subject: Hash, record: RecordRef, version: UInt32, reason: String, nonce: [UInt8]) {
        precondition(nonce.count == CreditLimits.nonceLength, "a nonce is 16 bytes")
        self.subject = subject
        self.record = record
        self.version = version
        self.reason = reason
        self.nonce = nonce
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.hash(subject)
        e.value(record)
        e.u32(version)
        e.string(reason, max: CreditLimits.textMax)
        e.raw(nonce)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("objection.version", supported: 1...1)
        subject = try d.hash("objection.subject")
        record = try d.value()
        version = try d.u32("objection.record_version")
        reason = try d.string("objection.reason", max: CreditLimits.textMax)
        nonce = try d.raw(CreditLimits.nonceLength, "objection.nonce")
    }
}

/// Kind 70: a signed objection, carried by any member (the portal's host, a bureau, a mediator).
public struct FileObjectionPayload: CreditPayload {
    public static let kind = TransactionKind.fileObjection
    public var body: ObjectionBody
    public var signature: [UInt8]
    public init(body: ObjectionBody, signature: [UInt8]) {
        self.body = body
        self.signature = signature
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(body)
        e.lengthPrefixed(signature, max: CreditLimits.signatureMax)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("file_objection.version", supported: 1...1)
        body = try d.value()
        signature = try d.lengthPrefixed("file_objection.signature", max: CreditLimits.signatureMax)
    }
}

/// How a source answers an objection (Art. 25).
public enum ObjectionAnswerAction: UInt8, Sendable, CaseIterable {
    /// A new, linked version of the record is published; past recipients get a notice.
    case correct = 1
    /// Both views are recorded with the record.
    case annotate = 2
    /// The record stands; the reasons are recorded.
    case reject = 3
}

/// Kind 71: the publishing source answers an objection.
public struct AnswerObjectionPayload: CreditPayload {
    public static let kind = TransactionKind.answerObjection
    public var objectionID: UInt64
    public var action: ObjectionAnswerAction
    public var text: String
    /// For `correct`: the new version's commitment (same type, subject and record id).
    public var correction: CommitmentItem?
    public init(objectionID: UInt64, action: ObjectionAnswerAction, text: String, correction: CommitmentItem? = nil) {
        self.objectionID = objectionID
        self.action = action
        self.text = text
        self.correction = correction
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.u64(objectionID)
        e.u8(action.rawValue)
        e.string(text, max: CreditLimits.textMax)
        e.optional(correction) { e, c in e.value(c) }
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("answer_objection.version", supported: 1...1)
        objectionID = try d.u64("answer_objection.objection_id")
        action = try d.tag("answer_objection.action")
        text = try d.string("answer_objection.text", max: CreditLimits.textMax)
        correction = try d.optional("answer_objection.correction") { try CommitmentItem(from: &$0) }
    }
}

/// Kind 72: a mediator takes up an objection as a mediation case.
public struct OpenCasePayload: CreditPayload {
    public static let kind = TransactionKind.openCase
    public var objectionID: UInt64
    public init(objectionID: UInt64) { self.objectionID = objectionID }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.u64(objectionID)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("open_case.version", supported: 1...1)
        objectionID = try d.u64("open_case.objection_id")
    }
}

/// The outcome of a mediation case.
public enum CaseOutcome: UInt8, Sendable, CaseIterable {
    case corrected = 1
    case annotated = 2
    case objectionRejected = 3
    case settled = 4
}

/// Kind 73: the mediator records a case's outcome.
public struct CloseCasePayload: CreditPayload {
    public static let kind = TransactionKind.closeCase
    public var caseID: UInt64
    public var outcome: CaseOutcome
    public var text: String
    public init(caseID: UInt64, outcome: CaseOutcome, text: String) {
        self.caseID = caseID
        self.outcome = outcome
        self.text = text
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.u64(caseID)
        e.u8(outcome.rawValue)
        e.string(text, max: CreditLimits.textMax)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("close_case.version", supported: 1...1)
        caseID = try d.u64("close_case.case_id")
        outcome = try d.tag("close_case.outcome")
        text = try d.string("close_case.text", max: CreditLimits.textMax)
    }
}
