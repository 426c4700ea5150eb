import ChainCore
import Foundation
import Ledger

/// `genesis.json`: the chain section (suite, CA, validators, members, consensus parameters) and the
/// application section. The chain id is H("creditchain/genesis/v1", canonical encoding of
/// everything but `chain_id`), docs/encoding.md "Genesis"; `chain_id` in the file is a
/// convenience that loading checks.
public struct Genesis: Codable, Sendable, Equatable {
    public static let version: UInt8 = 1
    public static let nameMax = 128
    public static let certificateMax = 16 << 10
    public static let validatorsMax = 256
    public static let membersMax = 4096
    public static let keyMax = 128

    public var chainID: String?
    /// The consortium's name.
    public var chainName: String
    /// `standard` or `gm`.
    public var suite: String
    /// Milliseconds since the epoch, UTC; the parent timestamp of block 1.
    public var genesisTimeMs: Int64
    /// The consortium root CA certificate, PEM.
    public var caCertificate: String
    /// The validator set at height 1, sorted by member id.
    public var validators: [GenesisValidator]
    /// Every member, sorted by id.
    public var members: [GenesisMember]
    public var parameters: ChainParameters
    public var application: ApplicationSection

    // JSON keys are snake_case through the coders' key strategy; "chain_id" converts to "chainId".
    enum CodingKeys: String, CodingKey {
        case chainID = "chainId"
        case chainName, suite, genesisTimeMs, caCertificate, validators, members, parameters, application
    }

    public init(
        chainName: String, suite: SuiteID, genesisTimeMs: Int64, caCertificate: String,
        validators: [GenesisValidator], members: [GenesisMember], parameters: ChainParameters,
        application: ApplicationSection
    ) {
        self.chainID = nil
        self.chainName = chainName
        self.suite = suite.name
        self.genesisTimeMs = genesisTimeMs
        self.caCertificate = caCertificate
        self.validators = validators.sorted { $0.member < $1.member }
        self.members = members.sorted { $0.id < $1.id }
        self.parameters = parameters
        self.application = application
    }

    public var suiteID: SuiteID {
        get throws {
            guard let s = SuiteID(name: suite) else {
                throw NodeError(code: "genesis.unknown_suite", reason: "suite must be standard or gm, got \(suite)")
            }
            return s
        }
    }

    /// The validator set in force at height 1, as Ledger values.
    public var ledgerValidators: [Validator] {
        get throws {
            try validators.map { v in
                guard let key = Hex.decode(v.publicKey) else {
                    throw NodeError(code: "genesis.bad_key", reason: "validator \(v.member): public key is not hex")
                }
                return Validator(member: try MemberID(v.member), publicKey: key)
            }
        }
    }

    /// Canonical bytes of everything but the chain id (the chain id's preimage).
    public func canonicalBytes() throws -> [UInt8] {
        var e = CanonicalEncoder(reservingCapacity: 4096)
        e.version(Self.version)
        guard chainName.utf8.count <= Self.nameMax else {
            throw NodeError(code: "genesis.too_long", reason: "chain name exceeds \(Self.nameMax) bytes")
        }
        e.string(chainName, max: Self.nameMax)
        e.value(try suiteID)
        e.i64(genesisTimeMs)
        let ca = try PEM.der(caCertificate, label: "CERTIFICATE")
        try Self.bound(ca.count, Self.certificateMax, "ca certificate")
        e.lengthPrefixed(ca, max: Self.certificateMax)
        try Self.bound(validators.count, Self.validatorsMax, "validators")
        let vs = try ledgerValidators
        guard vs.map(\.member) == vs.map(\.member).sorted(), Set(vs.map(\.member)).count == vs.count else {
            throw NodeError(code: "genesis.unsorted", reason: "validators must be sorted by member id, no duplicates")
        }
        for v in vs { try Self.bound(v.publicKey.count, Self.keyMax, "validator key") }
        e.array(vs, max: Self.validatorsMax)
        try Self.bound(members.count, Self.membersMax, "members")
        let ids = try members.map { try MemberID($0.id) }
        guard ids == ids.sorted(), Set(ids).count == ids.count else {
            throw NodeError(code: "genesis.unsorted", reason: "members must be sorted by id, no duplicates")
        }
        var encodedMembers: [[UInt8]] = []
        for m in members { encodedMembers.append(try m.canonicalBytes()) }
        e.array(encodedMembers, max: Self.membersMax) { enc, bytes in enc.raw(bytes) }
        try parameters.encode(to: &e)
        try application.encode(to: &e)
        return e.bytes
    }

    /// The chain id under the suite's hasher.
    public func computeChainID(hasher: any ChainHasher) throws -> ChainID {
        ChainID(hasher.hash(Domain.genesis, try canonicalBytes()))
    }

    /// Loads `genesis.json`, checks its structure and, when present, its `chain_id`.
    public static func load(path: String, hasher: (SuiteID) throws -> any ChainHasher) throws -> (Genesis, ChainID) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw NodeError(code: "genesis.unreadable", reason: "cannot read \(path)")
        }
        let genesis: Genesis
        do { genesis = try JSONCoding.decoder.decode(Genesis.self, from: data) } catch let e as NodeError {
            throw e
        } catch {
            throw NodeError(code: "genesis.invalid", reason: "\(path): \(error)")
        }
        guard genesis.application.parameters.depth <= JSONValue.depthMax else {
            throw NodeError(code: "genesis.too_deep", reason: "application parameters nest too deeply")
        }
        let id = try genesis.computeChainID(hasher: hasher(try genesis.suiteID))
        if let stated = genesis.chainID, stated != id.hash.hex {
            throw NodeError(
                code: "genesis.chain_id_mismatch",
                reason: "genesis.json states chain id \(stated) but its contents hash to \(id.hash.hex)")
        }
        return (genesis, id)
    }

    /// Writes the file with its chain id filled in.
    public func write(to path: String, chainID: ChainID) throws {
        var copy = self
        copy.chainID = chainID.hash.hex
        try JSONCoding.encoder.encode(copy).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    public func member(_ id: MemberID) -> GenesisMember? { members.first { $0.id == id.value } }

    static func bound(_ n: Int, _ max: Int, _ what: String) throws {
        guard n <= max else { throw NodeError(code: "genesis.too_large", reason: "\(what): \(n) exceeds \(max)") }
    }
}

/// A validator of the genesis set: member id and consensus public key (hex).
public struct GenesisValidator: Codable, Sendable, Equatable {
    public var member: String
    public var publicKey: String

    public init(member: String, publicKey: String) {
        self.member = member
        self.publicKey = publicKey
    }
}

/// A member as genesis binds it: role, keys (hex) and TLS certificate (PEM), attributes.
public struct GenesisMember: Codable, Sendable, Equatable {
    public static let roleMax = 32
    public static let attributeMax = 64
    public static let sourcesMax = 64

    public var id: String
    public var name: String
    /// `bureau`, `data-source`, `supervisor`, `mediator` or `bank`.
    public var role: String
    public var signingKey: String
    public var encryptionKey: String
    public var tlsCertificate: String
    public var validator: Bool
    public var registrar: Bool
    public var location: String?
    public var sources: [String]

    public init(
        id: String, name: String, role: String, signingKey: String, encryptionKey: String, tlsCertificate: String,
        validator: Bool, registrar: Bool = false, location: String? = nil, sources: [String] = []
    ) {
        self.id = id
        self.name = name
        self.role = role
        self.signingKey = signingKey
        self.encryptionKey = encryptionKey
        self.tlsCertificate = tlsCertificate
        self.validator = validator
        self.registrar = registrar
        self.location = location
        self.sources = sources
    }

    enum CodingKeys: String, CodingKey {
        case id, name, role, signingKey, encryptionKey, tlsCertificate, validator, registrar, location, sources
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        role = try c.decode(String.self, forKey: .role)
        signingKey = try c.decode(String.self, forKey: .signingKey)
        encryptionKey = try c.decode(String.self, forKey: .encryptionKey)
        tlsCertificate = try c.decode(String.self, forKey: .tlsCertificate)
        validator = try c.decodeIfPresent(Bool.self, forKey: .validator) ?? false
        registrar = try c.decodeIfPresent(Bool.self, forKey: .registrar) ?? false
        location = try c.decodeIfPresent(String.self, forKey: .location)
        sources = try c.decodeIfPresent([String].self, forKey: .sources) ?? []
    }

    public var signingKeyBytes: [UInt8] {
        get throws {
            guard let k = Hex.decode(signingKey) else {
                throw NodeError(code: "genesis.bad_key", reason: "member \(id): signing key is not hex")
            }
            return k
        }
    }

    func canonicalBytes() throws -> [UInt8] {
        var e = CanonicalEncoder(reservingCapacity: 1024)
        e.value(try MemberID(id))
        try Genesis.bound(name.utf8.count, Genesis.nameMax, "member name")
        e.string(name, max: Genesis.nameMax)
        try Genesis.bound(role.utf8.count, Self.roleMax, "member role")
        e.string(role, max: Self.roleMax)
        let sk = try signingKeyBytes
        guard let ek = Hex.decode(encryptionKey) else {
            throw NodeError(code: "genesis.bad_key", reason: "member \(id): encryption key is not hex")
        }
        try Genesis.bound(sk.count, Genesis.keyMax, "signing key")
        try Genesis.bound(ek.count, Genesis.keyMax, "encryption key")
        e.lengthPrefixed(sk, max: Genesis.keyMax)
        e.lengthPrefixed(ek, max: Genesis.keyMax)
        let cert = try PEM.der(tlsCertificate, label: "CERTIFICATE")
        try Genesis.bound(cert.count, Genesis.certificateMax, "tls certificate")
        e.lengthPrefixed(cert, max: Genesis.certificateMax)
        e.bool(validator)
        e.bool(registrar)
        if let location { try Genesis.bound(location.utf8.count, Self.attributeMax, "location") }
        e.optional(location) { enc, l in enc.string(l, max: Self.attributeMax) }
        try Genesis.bound(sources.count, Self.sourcesMax, "sources")
        for s in sources { try Genesis.bound(s.utf8.count, Self.attributeMax, "source") }
        e.array(sources, max: Self.sourcesMax) { enc, s in enc.string(s, max: Self.attributeMax) }
        return e.bytes
    }
}

/// Consensus, block and governance limits fixed at genesis (every replica must agree on them);
/// taken from the consortium's parameters file (`consortium.json`).
public struct ChainParameters: Codable, Sendable, Equatable {
    /// Target pause between blocks when there is nothing to propose.
    public var blockIntervalMs: Int64
    /// Base round timeout before a view change, its backoff (percent per timed-out round) and cap.
    public var roundTimeoutMs: Int64
    public var roundTimeoutBackoffPercent: Int64
    public var roundTimeoutMaxMs: Int64
    /// How far a proposer's timestamp may be ahead of a voter's clock.
    public var clockDriftMaxMs: Int64
    public var blockBytesMax: Int64
    public var blockTransactionsMax: Int64
    public var transactionBytesMax: Int64
    /// A validator-set change takes effect this many heights after the block that decides it.
    public var validatorChangeDelayBlocks: Int64
    /// Most heights ahead of the current one a transaction's expiry may be.
    public var transactionExpiryBlocks: Int64
    /// Governance: approvals needed (numerator / denominator of the validators) and proposal lifetime.
    public var approvalNumerator: Int64
    public var approvalDenominator: Int64
    public var proposalLifetimeBlocks: Int64

    public init(
        blockIntervalMs: Int64 = 1_000, roundTimeoutMs: Int64 = 3_000, roundTimeoutBackoffPercent: Int64 = 150,
        roundTimeoutMaxMs: Int64 = 60_000, clockDriftMaxMs: Int64 = 2_000, blockBytesMax: Int64 = 8 << 20,
        blockTransactionsMax: Int64 = 5_000, transactionBytesMax: Int64 = 1_114_112,
        validatorChangeDelayBlocks: Int64 = 10, transactionExpiryBlocks: Int64 = 600, approvalNumerator: Int64 = 2,
        approvalDenominator: Int64 = 3, proposalLifetimeBlocks: Int64 = 100_800
    ) {
        self.blockIntervalMs = blockIntervalMs
        self.roundTimeoutMs = roundTimeoutMs
        self.roundTimeoutBackoffPercent = roundTimeoutBackoffPercent
        self.roundTimeoutMaxMs = roundTimeoutMaxMs
        self.clockDriftMaxMs = clockDriftMaxMs
        self.blockBytesMax = blockBytesMax
        self.blockTransactionsMax = blockTransactionsMax
        self.transactionBytesMax = transactionBytesMax
        self.validatorChangeDelayBlocks = validatorChangeDelayBlocks
        self.transactionExpiryBlocks = transactionExpiryBlocks
        self.approvalNumerator = approvalNumerator
        self.approvalDenominator = approvalDenominator
        self.proposalLifetimeBlocks = proposalLifetimeBlocks
    }

    /// The fields in declaration order, each an `i64`.
    var encodedFields: [Int64] {
        [
            blockIntervalMs, roundTimeoutMs, roundTimeoutBackoffPercent, roundTimeoutMaxMs, clockDriftMaxMs,
            blockBytesMax, blockTransactionsMax, transactionBytesMax, validatorChangeDelayBlocks,
            transactionExpiryBlocks, approvalNumerator, approvalDenominator, proposalLifetimeBlocks,
        ]
    }

    func encode(to e: inout CanonicalEncoder) throws {
        for v in encodedFields {
            guard v >= 0 else {
                throw NodeError(code: "genesis.negative_parameter", reason: "parameters are never negative")
            }
            e.i64(v)
        }
    }
}

/// The application section: which application runs and its parameters. `CreditRules` owns the
/// meaning of `parameters`; the node only encodes them canonically.
public struct ApplicationSection: Codable, Sendable, Equatable {
    public static let nameMax = 64
    public var name: String
    public var parameters: JSONValue

    public init(name: String, parameters: JSONValue = .object([:])) {
        self.name = name
        self.parameters = parameters
    }

    func encode(to e: inout CanonicalEncoder) throws {
        try Genesis.bound(name.utf8.count, Self.nameMax, "application name")
        e.string(name, max: Self.nameMax)
        parameters.encode(to: &e)
    }
}

/// PEM armour (RFC 7468) to DER and back.
public enum PEM {
    public static func der(_ pem: String, label: String) throws -> [UInt8] {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        guard let b = pem.range(of: begin), let e = pem.range(of: end, range: b.upperBound..<pem.endIndex) else {
            throw NodeError(code: "pem.malformed", reason: "expected a \(label) PEM block")
        }
        let body = pem[b.upperBound..<e.lowerBound].filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: String(body)) else {
            throw NodeError(code: "pem.malformed", reason: "the \(label) PEM body is not base64")
        }
        return Array(data)
    }

    public static func encode(_ der: [UInt8], label: String) -> String {
        let b64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(b64)\n-----END \(label)-----\n"
    }
}
