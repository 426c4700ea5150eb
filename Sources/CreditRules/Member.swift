import ChainCore

/// A member's role: decides which transactions it may submit and what it may read.
public enum MemberRole: UInt8, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case bureau = 1
    case dataSource = 2
    case supervisor = 3
    case mediator = 4
    case bank = 5

    public var name: String {
        switch self {
        case .bureau: return "bureau"
        case .dataSource: return "data_source"
        case .supervisor: return "supervisor"
        case .mediator: return "mediator"
        case .bank: return "bank"
        }
    }

    public var description: String { name }

    public init?(name: String) {
        guard let r = MemberRole.allCases.first(where: { $0.name == name }) else { return nil }
        self = r
    }

    /// Governing members vote on proposals: bureaus and the supervisor (mission.md, Governance).
    public var isGoverning: Bool { self == .bureau || self == .supervisor }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let r = MemberRole(name: s) else { throw CreditRulesError("member.bad_role", s) }
        self = r
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}

/// Whether a member may act.
public enum MemberStatus: UInt8, Sendable, CaseIterable {
    case active = 1
    /// Frozen by the supervisor: every transaction it signs fails.
    case frozen = 2
    case removed = 3
}

/// A consortium member as the credit rules know it: role, attributes and keys.
public struct Member: Hashable, Sendable, Codable, CanonicalCodable {
    public static let keyMax = 128
    public static let locationMax = 64

    public var id: MemberID
    public var role: MemberRole
    /// The member's signing public key in the consortium's suite (transactions, votes).
    public var signingKey: [UInt8]
    /// The member's encryption public key (deliveries are encrypted to it).
    public var encryptionKey: [UInt8]
    /// Hash of the member's TLS certificate (DER), when bound.
    public var tlsCertificateHash: Hash?
    /// Where the node stores and processes data (e.g. `CN-GD`).
    public var location: String
    /// Data stays onshore (Art. 24); members must declare it.
    public var onshore: Bool
    /// May register enterprise keys after its own identity check.
    public var registrar: Bool
    public var status: MemberStatus

    enum CodingKeys: String, CodingKey {
        case id, role, signingKey, encryptionKey, tlsCertificateHash, location, onshore, registrar
    }

    public init(
        id: MemberID, role: MemberRole, signingKey: [UInt8], encryptionKey: [UInt8] = [],
        tlsCertificateHash: Hash? = nil, location: String = "CN-GD", onshore: Bool = true, registrar: Bool = false,
        status: MemberStatus = .active
    ) {
        self.id = id
        self.role = role
        self.signingKey = signingKey
        self.encryptionKey = encryptionKey
        self.tlsCertificateHash = tlsCertificateHash
        self.location = location
        self.onshore = onshore
        self.registrar = registrar
        self.status = status
    }

    /// JSON form (genesis): keys as lowercase hex, the member id as a string.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try MemberID(try c.decode(String.self, forKey: .id))
        role = try c.decode(MemberRole.self, forKey: .role)
        signingKey = try Self.hex(c.decode(String.self, forKey: .signingKey))
        encryptionKey = try Self.hex(c.decodeIfPresent(String.self, forKey: .encryptionKey) ?? "")
        tlsCertificateHash = try c.decodeIfPresent(String.self, forKey: .tlsCertificateHash).map { try Hash(hex: $0) }
        location = try c.decodeIfPresent(String.self, forKey: .location) ?? "CN-GD"
        onshore = try c.decodeIfPresent(Bool.self, forKey: .onshore) ?? true
        registrar = try c.decodeIfPresent(Bool.self, forKey: .registrar) ?? false
        status = .active
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id.value, forKey: .id)
        try c.encode(role, forKey: .role)
        try c.encode(Hex.encode(signingKey), forKey: .signingKey)
        try c.encode(Hex.encode(encryptionKey), forKey: .encryptionKey)
        try c.encodeIfPresent(tlsCertificateHash?.hex, forKey: .tlsCertificateHash)
        try c.encode(location, forKey: .location)
        try c.encode(onshore, forKey: .onshore)
        try c.encode(registrar, forKey: .registrar)
    }

    private static func hex(_ s: String) throws -> [UInt8] {
        guard let b = Hex.decode(s) else { throw CreditRulesError("member.bad_key", "keys are hexadecimal") }
        return b
    }

    /// Checks the attributes a member must have to join (Art. 24: onshore).
    public func validate() throws {
        guard signingKey.count > 0, signingKey.count <= Self.keyMax, encryptionKey.count <= Self.keyMax else {
            throw CreditRulesError("member.bad_key", "signing key 1 to 128 bytes, encryption key at most 128")
        }
        guard location.utf8.count <= Self.locationMax else { throw CreditRulesError("member.bad_location") }
        guard onshore else { throw CreditRulesError("member.offshore", "data must be processed onshore (Art. 24)") }
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(id)
        e.u8(role.rawValue)
        e.lengthPrefixed(signingKey, max: Self.keyMax)
        e.lengthPrefixed(encryptionKey, max: Self.keyMax)
        e.optional(tlsCertificateHash) { e, h in e.hash(h) }
        e.string(location, max: Self.locationMax)
        e.bool(onshore)
        e.bool(registrar)
        e.u8(status.rawValue)
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("member.version", supported: 1...1)
        id = try d.value()
        role = try d.tag("member.role")
        signingKey = try d.lengthPrefixed("member.signing_key", max: Self.keyMax)
        encryptionKey = try d.lengthPrefixed("member.encryption_key", max: Self.keyMax)
        tlsCertificateHash = try d.optional("member.tls_certificate_hash") {
            try $0.hash("member.tls_certificate_hash")
        }
        location = try d.string("member.location", max: Self.locationMax)
        onshore = try d.bool("member.onshore")
        registrar = try d.bool("member.registrar")
        status = try d.tag("member.status")
    }
}

/// Why a bank queries: a fixed set in code; genesis says which roles may use which (Art. 18).
public enum Purpose: UInt8, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case loanApplication = 1
    case postLoanManagement = 2
    case guaranteeReview = 3
    case accountDueDiligence = 4

    public var name: String {
        switch self {
        case .loanApplication: return "loan_application"
        case .postLoanManagement: return "post_loan_management"
        case .guaranteeReview: return "guarantee_review"
        case .accountDueDiligence: return "account_due_diligence"
        }
    }

    public var description: String { name }

    public init?(name: String) {
        guard let p = Purpose.allCases.first(where: { $0.name == name }) else { return nil }
        self = p
    }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let p = Purpose(name: s) else { throw CreditRulesError("consent.bad_purpose", s) }
        self = p
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}
