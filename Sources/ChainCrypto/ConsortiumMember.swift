import ChainCore

/// The public description of a member that `member add` writes to `members/<id>/member.json`: the
/// genesis builder reads these to bind each member's keys, role and attributes on chain. Only
/// public material: private keys sit next to it in their own 0600 files.
public struct ConsortiumMember: Codable, Hashable, Sendable {
    public static let currentVersion = 1
    /// Limits of the attributes (the on-chain member record has the same).
    public static let nameMax = 256
    public static let sourcesMax = 64
    public static let sourceCodeMax = 32

    public var version: Int
    public var id: String
    /// Display name as given (any script, e.g. 广东省市场监督管理局).
    public var name: String
    public var role: MemberRole
    /// Takes part in consensus with its signing key.
    public var validator: Bool
    /// May register enterprises and their keys.
    public var registrar: Bool
    /// ISO 3166-2 region (e.g. `CN-GD`), when given.
    public var location: String?
    /// Source codes whose records this member publishes (e.g. `GD-AMR`).
    public var sources: [String]
    /// The consortium suite the keys belong to.
    public var suite: String
    /// Signing public key, hex (Ed25519: 32 bytes; SM2: 65 bytes 04‖x‖y).
    public var signingPublicKey: String
    /// Encryption public key, hex (X25519: 32 bytes; SM2: 65 bytes 04‖x‖y).
    public var encryptionPublicKey: String
    /// TLS certificate PEM, relative to the member's directory.
    public var tlsCertificate: String
    /// The TLS certificate's serial, hex (with the root's subject it identifies it for revocation).
    public var tlsCertificateSerial: String
    /// When the member was added, seconds since 1970 (UTC).
    public var createdAtSeconds: Int64

    public init(
        id: MemberID, name: String, role: MemberRole, validator: Bool, registrar: Bool, location: String?,
        sources: [String], suite: SuiteID, signingPublicKey: [UInt8], encryptionPublicKey: [UInt8],
        tlsCertificate: String = ConsortiumLayout.memberCertificateFile, tlsCertificateSerial: [UInt8],
        createdAtSeconds: Int64
    ) {
        version = Self.currentVersion
        self.id = id.value
        self.name = name
        self.role = role
        self.validator = validator
        self.registrar = registrar
        self.location = location
        self.sources = sources
        self.suite = suite.name
        self.signingPublicKey = Hex.encode(signingPublicKey)
        self.encryptionPublicKey = Hex.encode(encryptionPublicKey)
        self.tlsCertificate = tlsCertificate
        self.tlsCertificateSerial = Hex.encode(tlsCertificateSerial)
        self.createdAtSeconds = createdAtSeconds
    }

    /// The identity its certificate carries.
    public var identity: MemberIdentity {
        get throws { MemberIdentity(member: try MemberID(id), role: role) }
    }

    /// Whether the member receives the pseudonym secrets (architecture.md, "Decisions"): data
    /// sources, bureaus, the supervisor and registrars compute subject pseudonyms. Banks never get
    /// the key (they learn a pseudonym only from a consent), so a bank cannot be a registrar;
    /// a mediator gets it only as a registrar.
    public var receivesPseudonymSecrets: Bool {
        ConsortiumMember.receivesPseudonymSecrets(role: role, registrar: registrar)
    }

    public static func receivesPseudonymSecrets(role: MemberRole, registrar: Bool) -> Bool {
        switch role {
        case .dataSource, .bureau, .supervisor: return true
        case .mediator: return registrar
        case .bank: return false
        }
    }

    /// Derives a member id from a display name: ASCII letters and digits lower-cased, every other
    /// run of characters one `-`, at most 64 characters. A name with no ASCII letter or digit
    /// (e.g. only Chinese characters) gets `m-` and the first 12 hex digits of SHA-256(name), so
    /// the id is stable for the same name.
    public static func deriveID(fromName name: String) throws -> MemberID {
        var slug = ""
        var pendingDash = false
        for scalar in name.unicodeScalars {
            let isAlnum =
                scalar.isASCII
                && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                    || ("0"..."9").contains(scalar))
            if isAlnum {
                if pendingDash && !slug.isEmpty { slug.append("-") }
                pendingDash = false
                slug.append(Character(scalar).lowercased())
            } else {
                pendingDash = true
            }
        }
        if slug.count > MemberID.maxLength {
            slug = String(slug.prefix(MemberID.maxLength))
            while slug.hasSuffix("-") { slug.removeLast() }
        }
        if slug.isEmpty {
            let digest = StandardSuite().hasher.digest(Array(name.utf8))
            slug = "m-" + String(digest.hex.prefix(12))
        }
        return try MemberID(slug)
    }

    /// Checks an ISO 3166-2 style region code: two upper-case letters, optionally `-` and 1–3
    /// upper-case letters or digits.
    public static func validateLocation(_ location: String) throws {
        let parts = location.split(separator: "-", omittingEmptySubsequences: false)
        let upper = { (s: Substring) in s.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) } }
        let upperOrDigit = { (s: Substring) in
            s.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
        }
        let ok =
            (parts.count == 1 || parts.count == 2) && parts[0].count == 2 && upper(parts[0])
            && (parts.count == 1 || ((1...3).contains(parts[1].count) && upperOrDigit(parts[1])))
        guard ok else {
            throw ChainCryptoError(
                code: "consortium.invalid_location", reason: "'\(location)' is not an ISO 3166-2 code like CN-GD")
        }
    }

    /// Checks a source code: 1–32 of `A-Z`, `0-9`, `-`, starting with a letter or digit.
    public static func validateSourceCode(_ code: String) throws {
        let scalars = Array(code.unicodeScalars)
        let ok =
            !scalars.isEmpty && scalars.count <= sourceCodeMax && scalars[0] != "-"
            && scalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        guard ok else {
            throw ChainCryptoError(
                code: "consortium.invalid_source",
                reason: "source code '\(code)' must be 1–32 of A-Z, 0-9 and '-' (e.g. GD-AMR)")
        }
    }
}
