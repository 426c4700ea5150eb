import ChainCore

/// Which member publishes for a catalog source code (genesis, or governance for bureau products).
public struct SourcePublisher: Hashable, Sendable, Codable, CanonicalCodable {
    public var source: String
    public var member: MemberID

    public init(source: String, member: MemberID) {
        self.source = source
        self.member = member
    }

    enum CodingKeys: String, CodingKey { case source, member }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        source = try c.decode(String.self, forKey: .source)
        member = try MemberID(try c.decode(String.self, forKey: .member))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encode(member.value, forKey: .member)
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.string(source, max: DataType.codeMax)
        e.value(member)
    }

    public init(from d: inout CanonicalDecoder) throws {
        source = try d.string("source_publisher.source", max: DataType.codeMax)
        member = try d.value()
    }
}

/// The roles allowed to query for a purpose (Art. 18: purpose-bound use).
public struct PurposeRoles: Hashable, Sendable, Codable, CanonicalCodable {
    public var purpose: Purpose
    public var roles: [MemberRole]

    public init(purpose: Purpose, roles: [MemberRole]) {
        self.purpose = purpose
        self.roles = roles
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.u8(purpose.rawValue)
        e.array(roles.map(\.rawValue).sorted(), max: MemberRole.allCases.count) { e, r in e.u8(r) }
    }

    public init(from d: inout CanonicalDecoder) throws {
        purpose = try d.tag("purpose_roles.purpose")
        roles = try d.array("purpose_roles.roles", max: MemberRole.allCases.count) { try $0.tag("purpose_roles.role") }
    }
}

/// A member's points at genesis.
public struct PointAllocation: Hashable, Sendable, Codable, CanonicalCodable {
    public var member: MemberID
    public var points: Int64

    public init(member: MemberID, points: Int64) {
        self.member = member
        self.points = points
    }

    enum CodingKeys: String, CodingKey { case member, points }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        member = try MemberID(try c.decode(String.self, forKey: .member))
        points = try c.decode(Int64.self, forKey: .points)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(member.value, forKey: .member)
        try c.encode(points, forKey: .points)
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.value(member)
        e.i64(points)
    }

    public init(from d: inout CanonicalDecoder) throws {
        member = try d.value()
        points = try d.i64("point_allocation.points")
    }
}

/// The application section of genesis, owned by CreditRules: catalog, source-to-member map,
/// members with roles and attributes (registrars among them), purposes per role, parameters
/// (governance threshold, alert rules…) and the initial points. The genesis builder decodes it
/// from JSON (snake_case keys) and includes its canonical bytes in the chain id.
public struct CreditGenesis: Hashable, Sendable, Codable, CanonicalCodable {
    public static let membersMax = 1024
    public static let typesMax = 4096

    public var members: [Member]
    public var catalog: [DataType]
    public var sourcePublishers: [SourcePublisher]
    public var purposes: [PurposeRoles]
    public var parameters: CreditParameters
    public var points: [PointAllocation]

    public init(
        members: [Member], catalog: [DataType], sourcePublishers: [SourcePublisher], purposes: [PurposeRoles],
        parameters: CreditParameters = CreditParameters(), points: [PointAllocation] = []
    ) {
        self.members = members
        self.catalog = catalog
        self.sourcePublishers = sourcePublishers
        self.purposes = purposes
        self.parameters = parameters
        self.points = points
    }

    /// The default purpose table: banks may use every purpose; bureaus due diligence and
    /// guarantee review.
    public static let defaultPurposes: [PurposeRoles] = [
        PurposeRoles(purpose: .loanApplication, roles: [.bank]),
        PurposeRoles(purpose: .postLoanManagement, roles: [.bank]),
        PurposeRoles(purpose: .guaranteeReview, roles: [.bank, .bureau]),
        PurposeRoles(purpose: .accountDueDiligence, roles: [.bank, .bureau]),
    ]

    /// Checks the section: unique members and types, every type's source mapped to a member,
    /// a supervisor, points only for members.
    public func validate() throws {
        var ids = Set<MemberID>()
        for m in members {
            try m.validate()
            guard ids.insert(m.id).inserted else { throw CreditRulesError("genesis.duplicate_member", m.id.value) }
        }
        guard members.contains(where: { $0.role == .supervisor }) else {
            throw CreditRulesError("genesis.no_supervisor", "a consortium has a supervisor")
        }
        var publishers: [String: MemberID] = [:]
        for p in sourcePublishers {
            guard ids.contains(p.member) else { throw CreditRulesError("genesis.unknown_member", p.member.value) }
            publishers[p.source] = p.member
        }
        var codes = Set<String>()
        for t in catalog {
            try t.validate()
            guard codes.insert(t.code).inserted else { throw CreditRulesError("genesis.duplicate_type", t.code) }
            guard publishers[t.source] != nil else {
                throw CreditRulesError("genesis.unmapped_source", "\(t.code): source \(t.source) has no member")
            }
        }
        for a in points {
            guard ids.contains(a.member), a.points >= 0 else {
                throw CreditRulesError("genesis.bad_points", a.member.value)
            }
        }
        guard parameters.governanceThreshold >= 1 else { throw CreditRulesError("genesis.bad_threshold") }
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.array(members.sorted { $0.id < $1.id }, max: Self.membersMax)
        e.array(catalog.sorted { $0.code < $1.code }, max: Self.typesMax)
        e.array(sourcePublishers.sorted { $0.source < $1.source }, max: Self.typesMax)
        e.array(purposes.sorted { $0.purpose.rawValue < $1.purpose.rawValue }, max: Purpose.allCases.count)
        e.value(parameters)
        e.array(points.sorted { $0.member < $1.member }, max: Self.membersMax)
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("credit_genesis.version", supported: 1...1)
        members = try d.array("credit_genesis.members", max: Self.membersMax)
        catalog = try d.array("credit_genesis.catalog", max: Self.typesMax)
        sourcePublishers = try d.array("credit_genesis.source_publishers", max: Self.typesMax)
        purposes = try d.array("credit_genesis.purposes", max: Purpose.allCases.count)
        parameters = try d.value()
        points = try d.array("credit_genesis.points", max: Self.membersMax)
    }
}
