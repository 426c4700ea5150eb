import ChainCore
import Ledger

/// The state keys of the credit rules (docs/encoding.md, "Credit state keys"). Each starts with
/// an ASCII tag and "/".
enum Keys {
    static func member(_ id: MemberID) -> [UInt8] { StateKey("member").member(id).bytes }
    static let memberTag: [UInt8] = StateKey("member").bytes
    static func type(_ code: String) -> [UInt8] { StateKey("type").text(code).bytes }
    static func publisher(_ source: String) -> [UInt8] { StateKey("publisher").text(source).bytes }
    static func purposes(_ p: Purpose) -> [UInt8] { StateKey("purpose").raw([p.rawValue]).bytes }
    static let parameters = StateKey("parameters").bytes
    static func enterprise(_ subject: Hash) -> [UInt8] { StateKey("enterprise").hash(subject).bytes }
    static func record(_ ref: RecordRef) -> [UInt8] { StateKey("record").text(ref.typeCode).text(ref.recordID).bytes }
    static func subjectRecords(_ subject: Hash, _ type: String) -> [UInt8] {
        StateKey("subject-records").hash(subject).text(type).bytes
    }
    static func expiryCount(_ day: Int64) -> [UInt8] { StateKey("expiry-count").i64(day).bytes }
    static func expiry(_ day: Int64, _ index: UInt64) -> [UInt8] { StateKey("expiry").i64(day).u64(index).bytes }
    static let expiryCursor = StateKey("expiry-cursor").bytes
    static func consent(_ id: Hash) -> [UInt8] { StateKey("consent").hash(id).bytes }
    static func consentNonce(_ subject: Hash, _ nonce: [UInt8]) -> [UInt8] {
        StateKey("consent-nonce").hash(subject).raw(nonce).bytes
    }
    static func order(_ id: UInt64) -> [UInt8] { StateKey("order").u64(id).bytes }
    static let orderCursor = StateKey("order-cursor").bytes
    static func recipients(_ ref: RecordRef) -> [UInt8] {
        StateKey("recipients").text(ref.typeCode).text(ref.recordID).bytes
    }
    static func points(_ m: MemberID) -> [UInt8] { StateKey("points").member(m).bytes }
    static func statement(_ m: MemberID, _ period: UInt32) -> [UInt8] {
        StateKey("statement").member(m).u64(UInt64(period)).bytes
    }
    static func auditHead(_ subject: Hash) -> [UInt8] { StateKey("audit-head").hash(subject).bytes }
    static func audit(_ subject: Hash, _ seq: UInt64) -> [UInt8] { StateKey("audit").hash(subject).u64(seq).bytes }
    static func auditIndex(_ seq: UInt64) -> [UInt8] { StateKey("audit-index").u64(seq).bytes }
    static func rejected(_ seq: UInt64) -> [UInt8] { StateKey("rejected").u64(seq).bytes }
    static func objection(_ id: UInt64) -> [UInt8] { StateKey("objection").u64(id).bytes }
    static func objectionNonce(_ subject: Hash, _ nonce: [UInt8]) -> [UInt8] {
        StateKey("objection-nonce").hash(subject).raw(nonce).bytes
    }
    static let objectionCursor = StateKey("objection-cursor").bytes
    static func mediationCase(_ id: UInt64) -> [UInt8] { StateKey("case").u64(id).bytes }
    static func notice(_ seq: UInt64) -> [UInt8] { StateKey("notice").u64(seq).bytes }
    static func alert(_ seq: UInt64) -> [UInt8] { StateKey("alert").u64(seq).bytes }
    static func proposal(_ id: UInt64) -> [UInt8] { StateKey("proposal").u64(id).bytes }
    static func counter(_ name: StaticString) -> [UInt8] { StateKey("counter").text(name.description).bytes }
    static func dailyOrders(_ bank: MemberID, _ day: Int64) -> [UInt8] {
        StateKey("daily-orders").member(bank).i64(day).bytes
    }
    static func dailyRejected(_ m: MemberID, _ day: Int64) -> [UInt8] {
        StateKey("daily-rejected").member(m).i64(day).bytes
    }
    /// The replay record of the envelopes one block remembered with one expiry height
    /// (`ReplayRecord`); the expiry height comes first so that the key alone says when it can be
    /// forgotten.
    static func replayRecord(expiry: UInt64, height: UInt64) -> [UInt8] {
        StateKey("tx").u64(expiry).u64(height).bytes
    }
    static let replayRecordTag: [UInt8] = StateKey("tx").bytes
    /// An envelope's id as the replay check looks it up (in memory, never a state key).
    static func replayID(_ signer: MemberID, _ uniqueID: [UInt8], expiry: UInt64) -> [UInt8] {
        StateKey("tx-id").u64(expiry).member(signer).raw(uniqueID).bytes
    }
}

/// The envelopes (signer and unique id) one block remembered with one expiry height, in the order
/// the block executed them.
struct ReplayRecord: CanonicalCodable, Hashable {
    struct Entry: Hashable {
        var signer: MemberID
        var uniqueID: [UInt8]
    }
    var entries: [Entry]

    func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.array(entries, max: Self.entriesMax) { e, x in
            e.value(x.signer)
            e.raw(x.uniqueID)
        }
    }
    init(entries: [Entry]) { self.entries = entries }
    init(from d: inout CanonicalDecoder) throws {
        try d.version("replay_record.version", supported: 1...1)
        entries = try d.array("replay_record.entries", max: Self.entriesMax, minElementSize: 17) { d in
            Entry(signer: try d.value(), uniqueID: try d.raw(TransactionEnvelope.uniqueIDLength, "unique_id"))
        }
    }
    /// Bounds decoding; a block holds far fewer transactions.
    static let entriesMax = 1 << 20
}

/// The purposes table entry: roles allowed for one purpose.
struct RoleList: CanonicalCodable, Hashable {
    var roles: [MemberRole]
    init(_ roles: [MemberRole]) { self.roles = roles }
    func encode(to e: inout CanonicalEncoder) {
        e.array(roles.map(\.rawValue).sorted(), max: MemberRole.allCases.count) { e, r in e.u8(r) }
    }
    init(from d: inout CanonicalDecoder) throws {
        roles = try d.array("roles", max: MemberRole.allCases.count) { try $0.tag("role") }
    }
}
