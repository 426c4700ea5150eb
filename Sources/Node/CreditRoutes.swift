import API
import ChainCore
import CreditRules
import Foundation
import Hummingbird
import Storage

/// Read routes over the committed credit state (`credit-rules` chains): orders, consents,
/// points and a subject's audit trail. The reader is the member that runs this node (its staff
/// hold the tokens), and `ReadPolicy` decides what it may see: a bank its own orders and
/// consents, a source the orders concerning its records, the supervisor all metadata. Values
/// come from the state store (and the recorder's blocks not yet written), never from the replica,
/// so reads never wait on consensus.
public struct CreditRoutes: APIRouteProvider {
    public static let auditPageMax = 256

    let reads: CreditStateReads
    let reader: Reader
    let policy = ReadPolicy()

    public init(state: StateStore, member: MemberID, role: CreditRules.MemberRole) {
        self.init(reads: CreditStateReads { key in try state.get(key) }, member: member, role: role)
    }

    init(reads: CreditStateReads, member: MemberID, role: CreditRules.MemberRole) {
        self.reads = reads
        reader = .member(member, role)
    }

    /// The routes for a node of `chain`, or nil when the chain does not run the credit rules.
    public static func forNode(_ service: NodeService) throws -> CreditRoutes? {
        guard service.chain.genesis.application.name == CreditApplicationSection.applicationName else { return nil }
        let member = try MemberID(service.config.member)
        guard let entry = service.chain.genesis.member(member),
            let role = CreditApplicationSection.creditRole(of: entry)
        else { throw NodeError(code: "config.unknown_member", reason: "\(member) is not a genesis member") }
        // Through the recorder: a block committed but not yet written is read from memory.
        let recorder = service.recorder
        return CreditRoutes(reads: CreditStateReads { key in try recorder.value(key) }, member: member, role: role)
    }

    public func addRoutes(public router: Router<APIRequestContext>, authenticated: RouterGroup<APIRequestContext>) {
        authenticated.get("/v1/credit/orders/{id}") { _, context in
            try order(context.parameters.get("id") ?? "")
        }
        authenticated.get("/v1/credit/consents/{id}") { _, context in
            try consent(context.parameters.get("id") ?? "")
        }
        authenticated.get("/v1/credit/points/{member}") { _, context in
            try points(context.parameters.get("member") ?? "")
        }
        authenticated.get("/v1/credit/subjects/{subject}/audit") { request, context in
            try audit(
                context.parameters.get("subject") ?? "", from: request.uri.queryParameters.get("from"),
                limit: request.uri.queryParameters.get("limit"))
        }
    }

    func order(_ raw: String) throws -> Response {
        guard let id = UInt64(raw) else { throw APIError.badParameter("id", "expected a decimal order id") }
        guard let o = try reads.order(id) else { throw APIError.notFound("no order \(id)") }
        try allow(policy.order(o, reader: reader))
        return try JSONResponse.make(OrderView(o))
    }

    func consent(_ raw: String) throws -> Response {
        let id = try hash(raw, "id")
        guard let c = try reads.consent(id) else { throw APIError.notFound("no consent \(raw)") }
        try allow(policy.consent(c, reader: reader))
        return try JSONResponse.make(ConsentView(c))
    }

    func points(_ raw: String) throws -> Response {
        let member: MemberID
        do { member = try MemberID(raw) } catch { throw APIError.badParameter("member", "not a member id") }
        try allow(policy.points(of: member, reader: reader))
        return try JSONResponse.make(PointsView(member: member.value, points: try reads.points(member)))
    }

    func audit(_ raw: String, from: String?, limit: String?) throws -> Response {
        let subject = try hash(raw, "subject")
        var first: UInt64 = 0
        if let from {
            guard let v = UInt64(from) else { throw APIError.badParameter("from", "expected a decimal sequence") }
            first = v
        }
        var count = Self.auditPageMax
        if let limit {
            guard let v = Int(limit), (1...Self.auditPageMax).contains(v) else {
                throw APIError.badParameter("limit", "1 to \(Self.auditPageMax)")
            }
            count = v
        }
        try allow(policy.auditLog(subject: subject, reader: reader))
        let (total, entries) = try reads.auditLog(subject, from: first, limit: count)
        return try JSONResponse.make(AuditLogView(total: total, entries: entries.map(AuditEntryView.init)))
    }

    func hash(_ raw: String, _ name: String) throws -> Hash {
        guard raw.utf8.count == 64, let h = try? Hash(hex: raw.lowercased()) else {
            throw APIError.badParameter(name, "expected 64 hexadecimal characters")
        }
        return h
    }

    func allow(_ decision: ReadDecision) throws {
        if case .deny(let code) = decision {
            throw APIError(
                code: code, status: .forbidden, title: "The reading member is not a party to this value",
                detail: "ReadPolicy refused this read for the member running this node")
        }
    }
}

/// A query order as its parties see it (no credit data: record ids, commitments, states).
struct OrderView: Encodable {
    struct Item: Encodable {
        var type: String
        var record_id: String
        var version: UInt32
        var commitment: String
        var publisher: String
        var price: Int64
        var state: String
    }
    var id: UInt64
    var bank: String
    var subject: String
    var consent_id: String
    var purpose: String
    var status: String
    var reserved_points: Int64
    var placed_at_ms: Int64
    var expires_at_ms: Int64
    var height: UInt64
    var items: [Item]

    init(_ o: QueryOrder) {
        id = o.id
        bank = o.bank.value
        subject = o.subject.hex
        consent_id = o.consentID.hex
        purpose = o.purpose.name
        status = "\(o.status)"
        reserved_points = o.reservedPoints
        placed_at_ms = o.placedAtMillis
        expires_at_ms = o.expiresAtMillis
        height = o.height
        items = o.items.map {
            Item(
                type: $0.record.typeCode, record_id: $0.record.recordID, version: $0.version,
                commitment: $0.commitment.hex, publisher: $0.publisher.value, price: $0.price, state: "\($0.state)")
        }
    }
}

/// A consent's terms and standing.
struct ConsentView: Encodable {
    var id: String
    var subject: String
    var bank: String
    var purpose: String
    var categories: [String]
    var types: [String]
    var valid_from_ms: Int64
    var valid_until_ms: Int64
    var registered_by: String
    var revoked_at_ms: Int64?
    var orders: UInt64

    init(_ c: ConsentEntry) {
        id = c.id.hex
        subject = c.body.subject.hex
        bank = c.body.bank.value
        purpose = c.body.purpose.name
        categories = c.body.categories
        types = c.body.types
        valid_from_ms = c.body.validFromMillis
        valid_until_ms = c.body.validUntilMillis
        registered_by = c.registeredBy.value
        revoked_at_ms = c.revokedAtMillis
        orders = c.orders
    }
}

struct PointsView: Encodable {
    var member: String
    var points: Int64
}

/// One audit entry (Art. 22: who, when, what, why).
struct AuditEntryView: Encodable {
    var sequence: UInt64
    var actor: String
    var action: String
    var timestamp_ms: Int64
    var height: UInt64
    var purpose: String?
    var order_id: UInt64?
    var consent_id: String?
    var detail: String

    init(_ e: CreditRules.AuditEntry) {
        sequence = e.sequence
        actor = e.actor.value
        action = "\(e.action)"
        timestamp_ms = e.timestampMillis
        height = e.height
        purpose = e.purpose?.name
        order_id = e.orderID
        consent_id = e.consentID?.hex
        detail = e.detail
    }
}

struct AuditLogView: Encodable {
    var total: UInt64
    var entries: [AuditEntryView]
}
