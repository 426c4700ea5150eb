import ChainCore
import Ledger

/// What a governance proposal changes once the governing members approve it.
public enum GovernanceAction: Hashable, Sendable, CanonicalCodable {
    case addMember(Member)
    case removeMember(MemberID)
    case changeRole(MemberID, MemberRole)
    case rotateMemberKeys(MemberID, signingKey: [UInt8], encryptionKey: [UInt8], tlsCertificateHash: Hash?)
    /// The complete new validator set, in force from `effectiveHeight`.
    case setValidators(effectiveHeight: Height, validators: [Validator])
    /// Adds or replaces a data type (e.g. a bureau's product) published by `publisher`.
    case putDataType(DataType, publisher: MemberID)
    case setParameter(name: String, value: Int64)
    case revokeCertificate(issuer: [UInt8], serial: [UInt8])
    case setPurposeRoles(PurposeRoles)

    public static let validatorsMax = 256

    public func encode(to e: inout CanonicalEncoder) {
        switch self {
        case .addMember(let m):
            e.u8(1)
            e.value(m)
        case .removeMember(let id):
            e.u8(2)
            e.value(id)
        case .changeRole(let id, let role):
            e.u8(3)
            e.value(id)
            e.u8(role.rawValue)
        case .rotateMemberKeys(let id, let signingKey, let encryptionKey, let tls):
            e.u8(4)
            e.value(id)
            e.lengthPrefixed(signingKey, max: Member.keyMax)
            e.lengthPrefixed(encryptionKey, max: Member.keyMax)
            e.optional(tls) { e, h in e.hash(h) }
        case .setValidators(let h, let vs):
            e.u8(5)
            e.value(h)
            e.array(vs, max: Self.validatorsMax)
        case .putDataType(let t, let publisher):
            e.u8(6)
            e.value(t)
            e.value(publisher)
        case .setParameter(let name, let value):
            e.u8(7)
            e.string(name, max: 64)
            e.i64(value)
        case .revokeCertificate(let issuer, let serial):
            e.u8(8)
            e.lengthPrefixed(issuer, max: RevokedCertificate.issuerMax)
            e.lengthPrefixed(serial, max: RevokedCertificate.serialMax)
        case .setPurposeRoles(let p):
            e.u8(9)
            e.value(p)
        }
    }

    public init(from d: inout CanonicalDecoder) throws {
        switch try d.u8("governance_action.tag") {
        case 1: self = .addMember(try d.value())
        case 2: self = .removeMember(try d.value())
        case 3: self = .changeRole(try d.value(), try d.tag("governance_action.role"))
        case 4:
            self = .rotateMemberKeys(
                try d.value(), signingKey: try d.lengthPrefixed("governance_action.signing_key", max: Member.keyMax),
                encryptionKey: try d.lengthPrefixed("governance_action.encryption_key", max: Member.keyMax),
                tlsCertificateHash: try d.optional("governance_action.tls") { try $0.hash("governance_action.tls") })
        case 5:
            self = .setValidators(
                effectiveHeight: try d.value(),
                validators: try d.array("governance_action.validators", max: Self.validatorsMax, minElementSize: 8))
        case 6: self = .putDataType(try d.value(), publisher: try d.value())
        case 7:
            self = .setParameter(
                name: try d.string("governance_action.name", max: 64), value: try d.i64("governance_action.value"))
        case 8:
            self = .revokeCertificate(
                issuer: try d.lengthPrefixed("governance_action.issuer", max: RevokedCertificate.issuerMax),
                serial: try d.lengthPrefixed("governance_action.serial", max: RevokedCertificate.serialMax))
        case 9: self = .setPurposeRoles(try d.value())
        case let other:
            throw ChainCoreError(
                code: "codec.unknown_tag", field: "governance_action.tag", reason: "unknown tag \(other)")
        }
    }
}

/// Kind 1: a governing member proposes an action (its proposal counts as its yes vote).
public struct ProposePayload: CreditPayload {
    public static let kind = TransactionKind.propose
    public var action: GovernanceAction
    public init(action: GovernanceAction) { self.action = action }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(action)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("propose.version", supported: 1...1)
        action = try d.value()
    }
}

/// Kind 2: a governing member votes on an open proposal.
public struct VotePayload: CreditPayload {
    public static let kind = TransactionKind.vote
    public var proposalID: UInt64
    public var approve: Bool
    public init(proposalID: UInt64, approve: Bool) {
        self.proposalID = proposalID
        self.approve = approve
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.u64(proposalID)
        e.bool(approve)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("vote.version", supported: 1...1)
        proposalID = try d.u64("vote.proposal_id")
        approve = try d.bool("vote.approve")
    }
}

/// Kind 3: the supervisor vetoes an open proposal.
public struct VetoPayload: CreditPayload {
    public static let kind = TransactionKind.veto
    public var proposalID: UInt64
    public var reason: String
    public init(proposalID: UInt64, reason: String) {
        self.proposalID = proposalID
        self.reason = reason
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.u64(proposalID)
        e.string(reason, max: CreditLimits.textMax)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("veto.version", supported: 1...1)
        proposalID = try d.u64("veto.proposal_id")
        reason = try d.string("veto.reason", max: CreditLimits.textMax)
    }
}

/// Kind 4 (freeze) and 5 (unfreeze): the supervisor stops or restores a member at once.
public struct FreezePayload: CreditPayload {
    public static let kind = TransactionKind.freeze
    public var member: MemberID
    public var reason: String
    public init(member: MemberID, reason: String) {
        self.member = member
        self.reason = reason
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(member)
        e.string(reason, max: CreditLimits.textMax)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("freeze.version", supported: 1...1)
        member = try d.value()
        reason = try d.string("freeze.reason", max: CreditLimits.textMax)
    }
}

/// Kind 5: the supervisor lifts a freeze.
public struct UnfreezePayload: CreditPayload {
    public static let kind = TransactionKind.unfreeze
    public var member: MemberID
    public init(member: MemberID) { self.member = member }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(member)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("unfreeze.version", supported: 1...1)
        member = try d.value()
    }
}

/// Kind 20: the supervisor suspends (or resumes) a data type; a suspended type is neither
/// published nor ordered.
public struct SuspendTypePayload: CreditPayload {
    public static let kind = TransactionKind.suspendType
    public var typeCode: String
    public var suspended: Bool
    public init(typeCode: String, suspended: Bool) {
        self.typeCode = typeCode
        self.suspended = suspended
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.string(typeCode, max: DataType.codeMax)
        e.bool(suspended)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("suspend_type.version", supported: 1...1)
        typeCode = try d.string("suspend_type.type", max: DataType.codeMax)
        suspended = try d.bool("suspend_type.suspended")
    }
}

/// Kind 80: the supervisor acknowledges an alert.
public struct AcknowledgeAlertPayload: CreditPayload {
    public static let kind = TransactionKind.acknowledgeAlert
    public var alertID: UInt64
    public var note: String
    public init(alertID: UInt64, note: String = "") {
        self.alertID = alertID
        self.note = note
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.u64(alertID)
        e.string(note, max: CreditLimits.textMax)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("acknowledge_alert.version", supported: 1...1)
        alertID = try d.u64("acknowledge_alert.alert_id")
        note = try d.string("acknowledge_alert.note", max: CreditLimits.textMax)
    }
}
