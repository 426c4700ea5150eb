import ChainCore

// The values stored in the credit state. Each encodes canonically (docs/encoding.md, "Credit
// state"); the rules are the only writers.

/// A u64 counter or sequence number.
struct Counter: CanonicalCodable, Hashable {
    var value: UInt64
    init(_ value: UInt64) { self.value = value }
    func encode(to e: inout CanonicalEncoder) { e.u64(value) }
    init(from d: inout CanonicalDecoder) throws { value = try d.u64("counter") }
}

/// A points balance.
struct PointsBalance: CanonicalCodable, Hashable {
    var value: Int64
    init(_ value: Int64) { self.value = value }
    func encode(to e: inout CanonicalEncoder) { e.i64(value) }
    init(from d: inout CanonicalDecoder) throws { value = try d.i64("points") }
}

/// A catalog entry: the type, the member that publishes it, whether the supervisor suspended it.
public struct DataTypeEntry: Hashable, Sendable, CanonicalCodable {
    public var type: DataType
    public var publisher: MemberID
    public var suspended: Bool
    public func encode(to e: inout CanonicalEncoder) {
        e.value(type)
        e.value(publisher)
        e.bool(suspended)
    }
    public init(type: DataType, publisher: MemberID, suspended: Bool) {
        self.type = type
        self.publisher = publisher
        self.suspended = suspended
    }
    public init(from d: inout CanonicalDecoder) throws {
        type = try d.value()
        publisher = try d.value()
        suspended = try d.bool("type_entry.suspended")
    }
}

/// An enterprise's registered key.
public struct EnterpriseEntry: Hashable, Sendable, CanonicalCodable {
    public var subject: Hash
    public var publicKey: [UInt8]
    public var keyVersion: UInt32
    public var registeredBy: MemberID
    public var updatedAtMillis: Int64
    public init(subject: Hash, publicKey: [UInt8], keyVersion: UInt32, registeredBy: MemberID, updatedAtMillis: Int64) {
        self.subject = subject
        self.publicKey = publicKey
        self.keyVersion = keyVersion
        self.registeredBy = registeredBy
        self.updatedAtMillis = updatedAtMillis
    }
    public func encode(to e: inout CanonicalEncoder) {
        e.hash(subject)
        e.lengthPrefixed(publicKey, max: CreditLimits.publicKeyMax)
        e.u32(keyVersion)
        e.value(registeredBy)
        e.i64(updatedAtMillis)
    }
    public init(from d: inout CanonicalDecoder) throws {
        subject = try d.hash("enterprise.subject")
        publicKey = try d.lengthPrefixed("enterprise.public_key", max: CreditLimits.publicKeyMax)
        keyVersion = try d.u32("enterprise.key_version")
        registeredBy = try d.value()
        updatedAtMillis = try d.i64("enterprise.updated_at")
    }
}

/// A superseded version of a record, kept for the record's history (mediators read it).
public struct RecordVersion: Hashable, Sendable, CanonicalCodable {
    public var version: UInt32
    public var commitment: Hash
    public var publishedAtMillis: Int64
    public var objectionID: UInt64?
    public func encode(to e: inout CanonicalEncoder) {
        e.u32(version)
        e.hash(commitment)
        e.i64(publishedAtMillis)
        e.optional(objectionID) { e, v in e.u64(v) }
    }
    public init(version: UInt32, commitment: Hash, publishedAtMillis: Int64, objectionID: UInt64?) {
        self.version = version
        self.commitment = commitment
        self.publishedAtMillis = publishedAtMillis
        self.objectionID = objectionID
    }
    public init(from d: inout CanonicalDecoder) throws {
        version = try d.u32("record_version.version")
        commitment = try d.hash("record_version.commitment")
        publishedAtMillis = try d.i64("record_version.published_at")
        objectionID = try d.optional("record_version.objection_id") { try $0.u64("record_version.objection_id") }
    }
}

/// The enterprise's view recorded with a record after an `annotate` answer (Art. 25).
public struct Annotation: Hashable, Sendable, CanonicalCodable {
    public var objectionID: UInt64
    public var text: String
    public func encode(to e: inout CanonicalEncoder) {
        e.u64(objectionID)
        e.string(text, max: CreditLimits.textMax)
    }
    public init(objectionID: UInt64, text: String) {
        self.objectionID = objectionID
        self.text = text
    }
    public init(from d: inout CanonicalDecoder) throws {
        objectionID = try d.u64("annotation.objection_id")
        text = try d.string("annotation.text", max: CreditLimits.textMax)
    }
}

/// A record's current commitment and metadata, its first publication (rights confirmation:
/// who contributed it first and when), retention and history.
public struct RecordEntry: Hashable, Sendable, CanonicalCodable {
    public static let historyMax = 32
    public static let annotationsMax = 16
    public var typeCode: String
    public var recordID: String
    public var subject: Hash
    public var version: UInt32
    public var commitment: Hash
    public var eventStart: Int32?
    public var eventEnd: Int32?
    public var negative: Bool
    public var publisher: MemberID
    public var publishedAtMillis: Int64
    public var firstPublisher: MemberID
    public var firstPublishedAtMillis: Int64
    public var firstHeight: UInt64
    /// When a negative record stops being deliverable; nil = never (or ongoing event).
    public var expiresAtMillis: Int64?
    public var expired: Bool
    public var history: [RecordVersion]
    public var annotations: [Annotation]

    public var ref: RecordRef { RecordRef(typeCode: typeCode, recordID: recordID) }

    /// Deliverable now: not marked expired and not past its expiry.
    public func isDeliverable(atMillis now: Int64) -> Bool {
        !expired && (expiresAtMillis.map { now < $0 } ?? true)
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.string(typeCode, max: DataType.codeMax)
        e.string(recordID, max: CreditLimits.recordIDMax)
        e.hash(subject)
        e.u32(version)
        e.hash(commitment)
        e.optional(eventStart) { e, v in e.u32(UInt32(bitPattern: v)) }
        e.optional(eventEnd) { e, v in e.u32(UInt32(bitPattern: v)) }
        e.bool(negative)
        e.value(publisher)
        e.i64(publishedAtMillis)
        e.value(firstPublisher)
        e.i64(firstPublishedAtMillis)
        e.u64(firstHeight)
        e.optional(expiresAtMillis) { e, v in e.i64(v) }
        e.bool(expired)
        e.array(history, max: Self.historyMax)
        e.array(annotations, max: Self.annotationsMax)
    }

    init(
        item: CommitmentItem, publisher: MemberID, nowMillis: Int64, height: UInt64, expiresAtMillis: Int64?
    ) {
        typeCode = item.typeCode
        recordID = item.recordID
        subject = item.subject
        version = item.version
        commitment = item.commitment
        eventStart = item.eventStart
        eventEnd = item.eventEnd
        negative = item.negative
        self.publisher = publisher
        publishedAtMillis = nowMillis
        firstPublisher = publisher
        firstPublishedAtMillis = nowMillis
        firstHeight = height
        self.expiresAtMillis = expiresAtMillis
        expired = false
        history = []
        annotations = []
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("record.version_byte", supported: 1...1)
        typeCode = try d.string("record.type", max: DataType.codeMax)
        recordID = try d.string("record.record_id", max: CreditLimits.recordIDMax)
        subject = try d.hash("record.subject")
        version = try d.u32("record.version")
        commitment = try d.hash("record.commitment")
        eventStart = try d.optional("record.event_start") { Int32(bitPattern: try $0.u32("record.event_start")) }
        eventEnd = try d.optional("record.event_end") { Int32(bitPattern: try $0.u32("record.event_end")) }
        negative = try d.bool("record.negative")
        publisher = try d.value()
        publishedAtMillis = try d.i64("record.published_at")
        firstPublisher = try d.value()
        firstPublishedAtMillis = try d.i64("record.first_published_at")
        firstHeight = try d.u64("record.first_height")
        expiresAtMillis = try d.optional("record.expires_at") { try $0.i64("record.expires_at") }
        expired = try d.bool("record.expired")
        history = try d.array("record.history", max: Self.historyMax, minElementSize: 45)
        annotations = try d.array("record.annotations", max: Self.annotationsMax, minElementSize: 12)
    }
}

/// Record ids of one subject and type (the index an order reads).
struct RecordIDList: CanonicalCodable, Hashable {
    static let max = 4096
    var ids: [String]
    init(_ ids: [String]) { self.ids = ids }
    func encode(to e: inout CanonicalEncoder) {
        e.array(ids, max: Self.max) { e, s in e.string(s, max: CreditLimits.recordIDMax) }
    }
    init(from d: inout CanonicalDecoder) throws {
        ids = try d.array("record_ids", max: Self.max, minElementSize: 4) {
            try $0.string("record_id", max: CreditLimits.recordIDMax)
        }
    }
}

/// Position of the expiry sweep: a UTC+8 day and the next index within it.
struct ExpiryCursor: CanonicalCodable, Hashable {
    var day: Int64
    var index: UInt64
    func encode(to e: inout CanonicalEncoder) {
        e.i64(day)
        e.u64(index)
    }
    init(day: Int64, index: UInt64) {
        self.day = day
        self.index = index
    }
    init(from d: inout CanonicalDecoder) throws {
        day = try d.i64("expiry_cursor.day")
        index = try d.u64("expiry_cursor.index")
    }
}

/// A registered consent.
public struct ConsentEntry: Hashable, Sendable, CanonicalCodable {
    public var id: Hash
    public var body: ConsentBody
    public var signature: [UInt8]
    public var registeredBy: MemberID
    public var registeredAtMillis: Int64
    public var revokedAtMillis: Int64?
    /// Orders placed under it (supervision: consent reuse).
    public var orders: UInt64
    public func encode(to e: inout CanonicalEncoder) {
        e.hash(id)
        e.value(body)
        e.lengthPrefixed(signature, max: CreditLimits.signatureMax)
        e.value(registeredBy)
        e.i64(registeredAtMillis)
        e.optional(revokedAtMillis) { e, v in e.i64(v) }
        e.u64(orders)
    }
    public init(from d: inout CanonicalDecoder) throws {
        id = try d.hash("consent_entry.id")
        body = try d.value()
        signature = try d.lengthPrefixed("consent_entry.signature", max: CreditLimits.signatureMax)
        registeredBy = try d.value()
        registeredAtMillis = try d.i64("consent_entry.registered_at")
        revokedAtMillis = try d.optional("consent_entry.revoked_at") { try $0.i64("consent_entry.revoked_at") }
        orders = try d.u64("consent_entry.orders")
    }
    init(
        id: Hash, body: ConsentBody, signature: [UInt8], registeredBy: MemberID, registeredAtMillis: Int64
    ) {
        self.id = id
        self.body = body
        self.signature = signature
        self.registeredBy = registeredBy
        self.registeredAtMillis = registeredAtMillis
        self.revokedAtMillis = nil
        self.orders = 0
    }
}

/// Where one record of an order stands.
public enum OrderItemState: UInt8, Sendable, CaseIterable {
    case pending = 0
    case delivered = 1
    case verified = 2
    case mismatch = 3
    /// The order expired before a verified receipt; its points went back to the bank.
    case lapsed = 4
}

/// One record listed by an order: the version and commitment current when it was placed.
public struct OrderItem: Hashable, Sendable, CanonicalCodable {
    public var record: RecordRef
    public var version: UInt32
    public var commitment: Hash
    public var publisher: MemberID
    public var price: Int64
    public var state: OrderItemState
    public var ciphertextHash: Hash?
    public func encode(to e: inout CanonicalEncoder) {
        e.value(record)
        e.u32(version)
        e.hash(commitment)
        e.value(publisher)
        e.i64(price)
        e.u8(state.rawValue)
        e.optional(ciphertextHash) { e, h in e.hash(h) }
    }
    public init(from d: inout CanonicalDecoder) throws {
        record = try d.value()
        version = try d.u32("order_item.version")
        commitment = try d.hash("order_item.commitment")
        publisher = try d.value()
        price = try d.i64("order_item.price")
        state = try d.tag("order_item.state")
        ciphertextHash = try d.optional("order_item.ciphertext_hash") { try $0.hash("order_item.ciphertext_hash") }
    }
    init(record: RecordRef, version: UInt32, commitment: Hash, publisher: MemberID, price: Int64) {
        self.record = record
        self.version = version
        self.commitment = commitment
        self.publisher = publisher
        self.price = price
        self.state = .pending
        self.ciphertextHash = nil
    }
}

/// An order's life.
public enum OrderStatus: UInt8, Sendable, CaseIterable {
    case open = 1
    case fulfilled = 2
    case expired = 3
}

/// A committed query order: who asked, about whom, under which consent and purpose, which
/// records per source, and the points still reserved for it.
public struct QueryOrder: Hashable, Sendable, CanonicalCodable {
    public var id: UInt64
    public var bank: MemberID
    public var subject: Hash
    public var consentID: Hash
    public var purpose: Purpose
    public var loanReference: String?
    public var types: [String]
    public var items: [OrderItem]
    public var reservedPoints: Int64
    public var placedAtMillis: Int64
    public var height: UInt64
    public var expiresAtMillis: Int64
    public var status: OrderStatus
    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.u64(id)
        e.value(bank)
        e.hash(subject)
        e.hash(consentID)
        e.u8(purpose.rawValue)
        e.optional(loanReference) { e, r in e.string(r, max: CreditLimits.referenceMax) }
        e.array(types, max: CreditLimits.orderTypesMax) { e, t in e.string(t, max: DataType.codeMax) }
        e.array(items, max: CreditLimits.listMax)
        e.i64(reservedPoints)
        e.i64(placedAtMillis)
        e.u64(height)
        e.i64(expiresAtMillis)
        e.u8(status.rawValue)
    }
    public init(from d: inout CanonicalDecoder) throws {
        try d.version("order.version", supported: 1...1)
        id = try d.u64("order.id")
        bank = try d.value()
        subject = try d.hash("order.subject")
        consentID = try d.hash("order.consent_id")
        purpose = try d.tag("order.purpose")
        loanReference = try d.optional("order.loan_reference") {
            try $0.string("order.loan_reference", max: CreditLimits.referenceMax)
        }
        types = try d.array("order.types", max: CreditLimits.orderTypesMax, minElementSize: 4) {
            try $0.string("order.type", max: DataType.codeMax)
        }
        items = try d.array("order.items", max: CreditLimits.listMax, minElementSize: 60)
        reservedPoints = try d.i64("order.reserved_points")
        placedAtMillis = try d.i64("order.placed_at")
        height = try d.u64("order.height")
        expiresAtMillis = try d.i64("order.expires_at")
        status = try d.tag("order.status")
    }
    init(
        id: UInt64, bank: MemberID, subject: Hash, consentID: Hash, purpose: Purpose, loanReference: String?,
        types: [String], items: [OrderItem], reservedPoints: Int64, placedAtMillis: Int64, height: UInt64,
        expiresAtMillis: Int64, status: OrderStatus
    ) {
        self.id = id
        self.bank = bank
        self.subject = subject
        self.consentID = consentID
        self.purpose = purpose
        self.loanReference = loanReference
        self.types = types
        self.items = items
        self.reservedPoints = reservedPoints
        self.placedAtMillis = placedAtMillis
        self.height = height
        self.expiresAtMillis = expiresAtMillis
        self.status = status
    }
}

/// A bank that received a version of a record (for correction notices).
struct Recipient: CanonicalCodable, Hashable {
    var bank: MemberID
    var version: UInt32
    var orderID: UInt64
    func encode(to e: inout CanonicalEncoder) {
        e.value(bank)
        e.u32(version)
        e.u64(orderID)
    }
    init(bank: MemberID, version: UInt32, orderID: UInt64) {
        self.bank = bank
        self.version = version
        self.orderID = orderID
    }
    init(from d: inout CanonicalDecoder) throws {
        bank = try d.value()
        version = try d.u32("recipient.version")
        orderID = try d.u64("recipient.order_id")
    }
}

/// The recipients of a record (bounded; the oldest are dropped beyond the bound, the audit log
/// keeps them all).
struct RecipientList: CanonicalCodable, Hashable {
    static let max = 256
    var items: [Recipient]
    func encode(to e: inout CanonicalEncoder) { e.array(items, max: Self.max) }
    init(_ items: [Recipient]) { self.items = items }
    init(from d: inout CanonicalDecoder) throws { items = try d.array("recipients", max: Self.max, minElementSize: 17) }
}

/// A member's points movements in one settlement period (UTC+8 calendar month, yyyymm).
public struct PointStatement: Hashable, Sendable, CanonicalCodable {
    public var period: UInt32
    public var earned: Int64
    public var spent: Int64
    public var refunded: Int64
    public var deliveries: UInt64
    public func encode(to e: inout CanonicalEncoder) {
        e.u32(period)
        e.i64(earned)
        e.i64(spent)
        e.i64(refunded)
        e.u64(deliveries)
    }
    public init(period: UInt32) {
        self.period = period
        earned = 0
        spent = 0
        refunded = 0
        deliveries = 0
    }
    public init(from d: inout CanonicalDecoder) throws {
        period = try d.u32("statement.period")
        earned = try d.i64("statement.earned")
        spent = try d.i64("statement.spent")
        refunded = try d.i64("statement.refunded")
        deliveries = try d.u64("statement.deliveries")
    }
}
