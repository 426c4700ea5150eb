import ChainCore

/// What an enterprise consents to (Art. 13, 18): which bank, for which purpose, which categories
/// or types, from when until when; the nonce makes every consent distinct and refuses replays.
/// The enterprise signs `DomainSeparation.signingBytes(creditchain/consent/v1, chain id,
/// canonical bytes)`.
public struct ConsentBody: Hashable, Sendable, CanonicalCodable {
    public var subject: Hash
    public var bank: MemberID
    public var purpose: Purpose
    public var categories: [String]
    public var types: [String]
    public var validFromMillis: Int64
    public var validUntilMillis: Int64
    public var nonce: [UInt8]

    public init(
        subject: Hash, bank: MemberID, purpose: Purpose, categories: [String] = [], types: [String] = [],
        validFromMillis: Int64, validUntilMillis: Int64, nonce: [UInt8]
    ) {
        precondition(nonce.count == CreditLimits.nonceLength, "a nonce is 16 bytes")
        self.subject = subject
        self.bank = bank
        self.purpose = purpose
        self.categories = categories
        self.types = types
        self.validFromMillis = validFromMillis
        self.validUntilMillis = validUntilMillis
        self.nonce = nonce
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.hash(subject)
        e.value(bank)
        e.u8(purpose.rawValue)
        e.array(categories, max: CreditLimits.scopeMax) { e, c in e.string(c, max: DataType.codeMax) }
        e.array(types, max: CreditLimits.scopeMax) { e, t in e.string(t, max: DataType.codeMax) }
        e.i64(validFromMillis)
        e.i64(validUntilMillis)
        e.raw(nonce)
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("consent.version", supported: 1...1)
        subject = try d.hash("consent.subject")
        bank = try d.value()
        purpose = try d.tag("consent.purpose")
        categories = try d.array("consent.categories", max: CreditLimits.scopeMax, minElementSize: 4) {
            try $0.string("consent.category", max: DataType.codeMax)
        }
        types = try d.array("consent.types", max: CreditLimits.scopeMax, minElementSize: 4) {
            try $0.string("consent.type", max: DataType.codeMax)
        }
        validFromMillis = try d.i64("consent.valid_from")
        validUntilMillis = try d.i64("consent.valid_until")
        nonce = try d.raw(CreditLimits.nonceLength, "consent.nonce")
    }

    /// The consent id: H("creditchain/consent-id/v1", canonical body).
    public func id(using hasher: any ChainHasher) -> Hash { hasher.hash(CreditDomains.consentID, canonicalBytes) }

    /// True when the scope names the type or its category.
    public func covers(_ type: DataType) -> Bool { types.contains(type.code) || categories.contains(type.category) }
}

/// Kind 40: a consent with the enterprise's signature, registered by any member (usually the bank).
public struct GrantConsentPayload: CreditPayload {
    public static let kind = TransactionKind.grantConsent
    public var body: ConsentBody
    public var signature: [UInt8]
    public init(body: ConsentBody, signature: [UInt8]) {
        self.body = body
        self.signature = signature
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(body)
        e.lengthPrefixed(signature, max: CreditLimits.signatureMax)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("grant_consent.version", supported: 1...1)
        body = try d.value()
        signature = try d.lengthPrefixed("grant_consent.signature", max: CreditLimits.signatureMax)
    }
}

/// An enterprise's revocation of one of its consents (domain `creditchain/consent-revocation/v1`).
public struct ConsentRevocation: Hashable, Sendable, CanonicalCodable {
    public var consentID: Hash
    public var subject: Hash
    public init(consentID: Hash, subject: Hash) {
        self.consentID = consentID
        self.subject = subject
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.hash(consentID)
        e.hash(subject)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("revocation.version", supported: 1...1)
        consentID = try d.hash("revocation.consent_id")
        subject = try d.hash("revocation.subject")
    }
}

/// Kind 41: a signed revocation, carried by any member.
public struct RevokeConsentPayload: CreditPayload {
    public static let kind = TransactionKind.revokeConsent
    public var revocation: ConsentRevocation
    public var signature: [UInt8]
    public init(revocation: ConsentRevocation, signature: [UInt8]) {
        self.revocation = revocation
        self.signature = signature
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(revocation)
        e.lengthPrefixed(signature, max: CreditLimits.signatureMax)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("revoke_consent.version", supported: 1...1)
        revocation = try d.value()
        signature = try d.lengthPrefixed("revoke_consent.signature", max: CreditLimits.signatureMax)
    }
}

/// Kind 50: a bank's query order under a consent, for a purpose (Art. 13, 18, 22).
public struct PlaceOrderPayload: CreditPayload {
    public static let kind = TransactionKind.placeOrder
    public var consentID: Hash
    public var purpose: Purpose
    /// The bank's loan-application reference (for `loan_application`).
    public var loanReference: String?
    /// The data types requested.
    public var types: [String]
    public init(consentID: Hash, purpose: Purpose, loanReference: String?, types: [String]) {
        self.consentID = consentID
        self.purpose = purpose
        self.loanReference = loanReference
        self.types = types
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.hash(consentID)
        e.u8(purpose.rawValue)
        e.optional(loanReference) { e, r in e.string(r, max: CreditLimits.referenceMax) }
        e.array(types, max: CreditLimits.orderTypesMax) { e, t in e.string(t, max: DataType.codeMax) }
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("place_order.version", supported: 1...1)
        consentID = try d.hash("place_order.consent_id")
        purpose = try d.tag("place_order.purpose")
        loanReference = try d.optional("place_order.loan_reference") {
            try $0.string("place_order.loan_reference", max: CreditLimits.referenceMax)
        }
        types = try d.array("place_order.types", max: CreditLimits.orderTypesMax, minElementSize: 4) {
            try $0.string("place_order.type", max: DataType.codeMax)
        }
    }
}

/// A record of an order, identified by type and record id.
public struct RecordRef: Hashable, Sendable, CanonicalCodable, Comparable {
    public var typeCode: String
    public var recordID: String
    public init(typeCode: String, recordID: String) {
        self.typeCode = typeCode
        self.recordID = recordID
    }
    public static func < (a: RecordRef, b: RecordRef) -> Bool { (a.typeCode, a.recordID) < (b.typeCode, b.recordID) }
    public func encode(to e: inout CanonicalEncoder) {
        e.string(typeCode, max: DataType.codeMax)
        e.string(recordID, max: CreditLimits.recordIDMax)
    }
    public init(from d: inout CanonicalDecoder) throws {
        typeCode = try d.string("record_ref.type", max: DataType.codeMax)
        recordID = try d.string("record_ref.record_id", max: CreditLimits.recordIDMax)
    }
}

/// One delivered record: the hash of the ciphertext the source sent off chain.
public struct DeliveredItem: Hashable, Sendable, CanonicalCodable {
    public var record: RecordRef
    public var ciphertextHash: Hash
    public init(record: RecordRef, ciphertextHash: Hash) {
        self.record = record
        self.ciphertextHash = ciphertextHash
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.value(record)
        e.hash(ciphertextHash)
    }
    public init(from d: inout CanonicalDecoder) throws {
        record = try d.value()
        ciphertextHash = try d.hash("delivered.ciphertext_hash")
    }
}

/// Kind 60: the source records what it delivered for an order.
public struct RecordDeliveryPayload: CreditPayload {
    public static let kind = TransactionKind.recordDelivery
    public var orderID: UInt64
    public var items: [DeliveredItem]
    public init(orderID: UInt64, items: [DeliveredItem]) {
        self.orderID = orderID
        self.items = items
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.u64(orderID)
        e.array(items, max: CreditLimits.listMax)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("delivery.version", supported: 1...1)
        orderID = try d.u64("delivery.order_id")
        items = try d.array("delivery.items", max: CreditLimits.listMax, minElementSize: 40)
    }
}

/// The bank's check of one delivered record against its commitment.
public struct ReceiptItem: Hashable, Sendable, CanonicalCodable {
    public var record: RecordRef
    public var verified: Bool
    public init(record: RecordRef, verified: Bool) {
        self.record = record
        self.verified = verified
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.value(record)
        e.bool(verified)
    }
    public init(from d: inout CanonicalDecoder) throws {
        record = try d.value()
        verified = try d.bool("receipt.verified")
    }
}

/// Kind 61: the bank's receipt; verified records pay the source at the type's price.
public struct RecordReceiptPayload: CreditPayload {
    public static let kind = TransactionKind.recordReceipt
    public var orderID: UInt64
    public var items: [ReceiptItem]
    public init(orderID: UInt64, items: [ReceiptItem]) {
        self.orderID = orderID
        self.items = items
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.u64(orderID)
        e.array(items, max: CreditLimits.listMax)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("receipt.version", supported: 1...1)
        orderID = try d.u64("receipt.order_id")
        items = try d.array("receipt.items", max: CreditLimits.listMax, minElementSize: 9)
    }
}
