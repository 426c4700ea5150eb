import ChainCore

/// Kind 10: a registrar binds an enterprise's signing key to its subject pseudonym after its own
/// identity check (the pseudonym is computed off chain; the USCC never reaches the chain).
/// `replace` re-registers a key for an enterprise that lost its old one.
public struct RegisterEnterprisePayload: CreditPayload {
    public static let kind = TransactionKind.registerEnterprise
    public var subject: Hash
    public var publicKey: [UInt8]
    public var replace: Bool
    public init(subject: Hash, publicKey: [UInt8], replace: Bool = false) {
        self.subject = subject
        self.publicKey = publicKey
        self.replace = replace
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.hash(subject)
        e.lengthPrefixed(publicKey, max: CreditLimits.publicKeyMax)
        e.bool(replace)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("register_enterprise.version", supported: 1...1)
        subject = try d.hash("register_enterprise.subject")
        publicKey = try d.lengthPrefixed("register_enterprise.public_key", max: CreditLimits.publicKeyMax)
        replace = try d.bool("register_enterprise.replace")
    }
}

/// An enterprise's own key rotation, signed with its current key (domain
/// `creditchain/enterprise-key/v1`). `keyVersion` is the current version + 1, so a rotation
/// cannot be replayed.
public struct EnterpriseKeyRotation: Hashable, Sendable, CanonicalCodable {
    public var subject: Hash
    public var newPublicKey: [UInt8]
    public var keyVersion: UInt32
    public init(subject: Hash, newPublicKey: [UInt8], keyVersion: UInt32) {
        self.subject = subject
        self.newPublicKey = newPublicKey
        self.keyVersion = keyVersion
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.hash(subject)
        e.lengthPrefixed(newPublicKey, max: CreditLimits.publicKeyMax)
        e.u32(keyVersion)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("key_rotation.version", supported: 1...1)
        subject = try d.hash("key_rotation.subject")
        newPublicKey = try d.lengthPrefixed("key_rotation.new_public_key", max: CreditLimits.publicKeyMax)
        keyVersion = try d.u32("key_rotation.key_version")
    }
}

/// Kind 11: an enterprise's signed key rotation, carried by any member.
public struct RotateEnterpriseKeyPayload: CreditPayload {
    public static let kind = TransactionKind.rotateEnterpriseKey
    public var rotation: EnterpriseKeyRotation
    public var signature: [UInt8]
    public init(rotation: EnterpriseKeyRotation, signature: [UInt8]) {
        self.rotation = rotation
        self.signature = signature
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(rotation)
        e.lengthPrefixed(signature, max: CreditLimits.signatureMax)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("rotate_enterprise_key.version", supported: 1...1)
        rotation = try d.value()
        signature = try d.lengthPrefixed("rotate_enterprise_key.signature", max: CreditLimits.signatureMax)
    }
}

/// One record commitment: the salted hash of a canonical record, with the metadata the chain
/// needs (version, event dates for retention, negative flag). Dates are days since 1970-01-01.
public struct CommitmentItem: Hashable, Sendable, CanonicalCodable {
    public var typeCode: String
    public var subject: Hash
    public var recordID: String
    public var version: UInt32
    /// H("creditchain/record/v1", salt ‖ canonical record).
    public var commitment: Hash
    public var eventStart: Int32?
    public var eventEnd: Int32?
    public var negative: Bool

    public init(
        typeCode: String, subject: Hash, recordID: String, version: UInt32, commitment: Hash, eventStart: Int32? = nil,
        eventEnd: Int32? = nil, negative: Bool = false
    ) {
        self.typeCode = typeCode
        self.subject = subject
        self.recordID = recordID
        self.version = version
        self.commitment = commitment
        self.eventStart = eventStart
        self.eventEnd = eventEnd
        self.negative = negative
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.string(typeCode, max: DataType.codeMax)
        e.hash(subject)
        e.string(recordID, max: CreditLimits.recordIDMax)
        e.u32(version)
        e.hash(commitment)
        e.optional(eventStart) { e, v in e.u32(UInt32(bitPattern: v)) }
        e.optional(eventEnd) { e, v in e.u32(UInt32(bitPattern: v)) }
        e.bool(negative)
    }

    public init(from d: inout CanonicalDecoder) throws {
        typeCode = try d.string("commitment.type", max: DataType.codeMax)
        subject = try d.hash("commitment.subject")
        recordID = try d.string("commitment.record_id", max: CreditLimits.recordIDMax)
        version = try d.u32("commitment.version")
        commitment = try d.hash("commitment.hash")
        eventStart = try d.optional("commitment.event_start") {
            Int32(bitPattern: try $0.u32("commitment.event_start"))
        }
        eventEnd = try d.optional("commitment.event_end") { Int32(bitPattern: try $0.u32("commitment.event_end")) }
        negative = try d.bool("commitment.negative")
    }
}

/// Kind 30: a batch of commitments from the types' publishing member.
public struct PublishCommitmentsPayload: CreditPayload {
    public static let kind = TransactionKind.publishCommitments
    public var items: [CommitmentItem]
    public init(items: [CommitmentItem]) { self.items = items }
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.array(items, max: CreditLimits.batchMax)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("publish.version", supported: 1...1)
        items = try d.array("publish.items", max: CreditLimits.batchMax, minElementSize: 82)
    }
}
