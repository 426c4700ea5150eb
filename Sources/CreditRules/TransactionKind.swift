import ChainCore

/// The payload kinds of CreditRules transactions (`TransactionEnvelope.kind`). Numbers are
/// stable; docs/encoding.md gives each payload's layout.
public enum TransactionKind: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case propose = 1
    case vote = 2
    case veto = 3
    case freeze = 4
    case unfreeze = 5
    case registerEnterprise = 10
    case rotateEnterpriseKey = 11
    case suspendType = 20
    case publishCommitments = 30
    case grantConsent = 40
    case revokeConsent = 41
    case placeOrder = 50
    case recordDelivery = 60
    case recordReceipt = 61
    case fileObjection = 70
    case answerObjection = 71
    case openCase = 72
    case closeCase = 73
    case acknowledgeAlert = 80

    public var name: String {
        switch self {
        case .propose: return "governance.propose"
        case .vote: return "governance.vote"
        case .veto: return "governance.veto"
        case .freeze: return "supervision.freeze"
        case .unfreeze: return "supervision.unfreeze"
        case .registerEnterprise: return "enterprise.register"
        case .rotateEnterpriseKey: return "enterprise.rotate_key"
        case .suspendType: return "catalog.suspend"
        case .publishCommitments: return "commitment.publish"
        case .grantConsent: return "consent.grant"
        case .revokeConsent: return "consent.revoke"
        case .placeOrder: return "order.place"
        case .recordDelivery: return "delivery.record"
        case .recordReceipt: return "receipt.record"
        case .fileObjection: return "objection.file"
        case .answerObjection: return "objection.answer"
        case .openCase: return "case.open"
        case .closeCase: return "case.close"
        case .acknowledgeAlert: return "alert.acknowledge"
        }
    }

    public var description: String { name }
}

/// A payload of one transaction kind.
public protocol CreditPayload: CanonicalCodable, Hashable {
    static var kind: TransactionKind { get }
}

/// Domains of the enterprise acts signed inside payloads.
public enum CreditDomains {
    public static let consent = Domain("creditchain/consent/v1")
    public static let consentRevocation = Domain("creditchain/consent-revocation/v1")
    public static let objection = Domain("creditchain/objection/v1")
    public static let enterpriseKey = Domain("creditchain/enterprise-key/v1")
    public static let consentID = Domain("creditchain/consent-id/v1")
    public static let audit = Domain("creditchain/audit/v1")
}

/// Limits shared by payloads.
public enum CreditLimits {
    public static let recordIDMax = 64
    public static let textMax = 512
    public static let referenceMax = 64
    public static let publicKeyMax = 128
    public static let signatureMax = 128
    public static let nonceLength = 16
    public static let batchMax = 4096
    public static let scopeMax = 64
    public static let orderTypesMax = 64
    public static let listMax = 1024
}
