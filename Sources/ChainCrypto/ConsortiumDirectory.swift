import ChainCore
import Crypto
import Foundation
import X509

/// A consortium directory on disk (docs/consortium.md): created by `consortium init`, extended by
/// `member add`. Private keys and secrets are written through `PrivateKeyFile` (0600, refused on
/// load when group- or world-readable); nothing is ever overwritten, so a second `init` cannot
/// replace a CA that already issued certificates.
public struct ConsortiumDirectory: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// An absolute or directory-relative file path.
    public func file(_ relative: String) -> String { path + "/" + relative }

    // MARK: init

    /// Creates the root CA, the pseudonym secrets and the genesis parameters in `path` (created
    /// when missing; it must not already hold a consortium).
    @discardableResult
    public static func initialize(
        path: String, name: String, suite: SuiteID, atSecondsSince1970 now: Int64,
        consensus: ConsensusParameters = ConsensusParameters(),
        governance: GovernanceParameters = GovernanceParameters()
    ) throws -> ConsortiumDirectory {
        let directory = ConsortiumDirectory(path: path)
        let parameters = ConsortiumParameters(
            name: name, suite: suite, createdAtSeconds: now, consensus: consensus, governance: governance)
        try parameters.validate()
        let fm = FileManager.default
        for existing in [
            ConsortiumLayout.parametersPath, ConsortiumLayout.rootKeyPath, ConsortiumLayout.rootCertificatePath,
        ]
        where fm.fileExists(atPath: directory.file(existing)) {
            throw ChainCryptoError(
                code: "consortium.exists",
                reason: "\(directory.file(existing)) exists; refusing to replace a consortium")
        }
        try makeDirectory(path, private: false)
        try makeDirectory(directory.file("ca"), private: true)
        try makeDirectory(directory.file("secrets"), private: true)
        try makeDirectory(directory.file(ConsortiumLayout.membersPath), private: false)

        let authority = try CertificateAuthority.create(name: name, atSecondsSince1970: now)
        try PrivateKeyFile.write(pem: authority.privateKeyPEM, to: directory.file(ConsortiumLayout.rootKeyPath))
        try writePublic(try authority.certificatePEM, to: directory.file(ConsortiumLayout.rootCertificatePath))
        var rng = SystemRandomNumberGenerator()
        let secrets = PseudonymSecrets(using: &rng)
        try PrivateKeyFile.write(pem: try json(secrets), to: directory.file(ConsortiumLayout.pseudonymSecretsPath))
        // Parameters last: their presence marks a complete consortium directory.
        try writePublic(try json(parameters), to: directory.file(ConsortiumLayout.parametersPath))
        return directory
    }

    // MARK: reading

    public func parameters() throws -> ConsortiumParameters {
        let parameters: ConsortiumParameters = try ConsortiumDirectory.decode(
            ConsortiumDirectory.readPublic(file(ConsortiumLayout.parametersPath)), what: "consortium.json")
        try parameters.validate()
        return parameters
    }

    public func rootCertificatePEM() throws -> String {
        try ConsortiumDirectory.readPublic(file(ConsortiumLayout.rootCertificatePath))
    }

    /// The CA with its private key (only the consortium operator's machine has it).
    public func authority() throws -> CertificateAuthority {
        try CertificateAuthority(
            certificatePEM: rootCertificatePEM(),
            privateKeyPEM: PrivateKeyFile.read(path: file(ConsortiumLayout.rootKeyPath)))
    }

    public func pseudonymSecrets() throws -> PseudonymSecrets {
        let secrets: PseudonymSecrets = try ConsortiumDirectory.decode(
            PrivateKeyFile.read(path: file(ConsortiumLayout.pseudonymSecretsPath)), what: "pseudonym secrets")
        _ = try secrets.keyBytes
        return secrets
    }

    public func member(_ id: MemberID) throws -> ConsortiumMember {
        try ConsortiumDirectory.decode(
            ConsortiumDirectory.readPublic(file(ConsortiumLayout.memberPath(id) + "/" + ConsortiumLayout.memberFile)),
            what: "member.json of \(id)")
    }

    /// Every member, sorted by id.
    public func members() throws -> [ConsortiumMember] {
        let dir = file(ConsortiumLayout.membersPath)
        guard FileManager.default.fileExists(atPath: dir) else { return [] }
        let entries = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        return try entries.compactMap { entry in
            guard let id = try? MemberID(entry) else { return nil }  // skips temporary directories
            return try member(id)
        }
    }

    // MARK: member add

    /// Adds a member: a P-256 TLS key and a certificate issued by the root, a signing and an
    /// encryption key in the consortium's suite, `member.json`, a copy of the root certificate and
    /// — for eligible roles — of the pseudonym secrets. Built in a temporary directory and renamed
    /// into place, so a failure leaves no half member.
    @discardableResult
    public func addMember(
        name: String, role: MemberRole, validator: Bool = false, registrar: Bool = false, location: String? = nil,
        sources: [String] = [], atSecondsSince1970 now: Int64
    ) throws -> ConsortiumMember {
        func invalid(_ reason: String) -> ChainCryptoError {
            ChainCryptoError(code: "consortium.invalid_member", reason: reason)
        }
        let parameters = try parameters()
        guard let suiteID = parameters.suiteID else { throw invalid("unknown suite") }
        guard !name.isEmpty, name.utf8.count <= ConsortiumMember.nameMax else {
            throw invalid("a member name has 1 to \(ConsortiumMember.nameMax) bytes")
        }
        if role == .bank && registrar {
            throw invalid("a bank cannot be a registrar: registrars hold the pseudonym key, banks never do")
        }
        if let location { try ConsortiumMember.validateLocation(location) }
        guard sources.count <= ConsortiumMember.sourcesMax else {
            throw invalid("at most \(ConsortiumMember.sourcesMax) sources")
        }
        for source in sources { try ConsortiumMember.validateSourceCode(source) }
        guard Set(sources).count == sources.count else { throw invalid("a source is listed twice") }

        let id = try ConsortiumMember.deriveID(fromName: name)
        let existing = try members()
        if existing.contains(where: { $0.id == id.value }) {
            throw ChainCryptoError(code: "consortium.member_exists", reason: "member \(id) already exists")
        }
        for other in existing {
            if let taken = other.sources.first(where: sources.contains) {
                throw invalid("source \(taken) already belongs to member \(other.id)")
            }
        }

        let authority = try authority()
        let rootPEM = try rootCertificatePEM()
        let suite = CryptoSuites.suite(suiteID)
        let tlsKey = P256.Signing.PrivateKey()
        let identity = MemberIdentity(member: id, role: role)
        let certificate = try authority.issue(
            publicKey: tlsKey.publicKey, identity: identity, displayName: name, atSecondsSince1970: now)
        let signingKey = try suite.generateSigningKey()
        let encryptionKey = try suite.generateEncryptionKey()
        let member = ConsortiumMember(
            id: id, name: name, role: role, validator: validator, registrar: registrar, location: location,
            sources: sources, suite: suiteID, signingPublicKey: signingKey.publicKey,
            encryptionPublicKey: encryptionKey.publicKey, tlsCertificateSerial: Array(certificate.serialNumber.bytes),
            createdAtSeconds: now)

        let final = file(ConsortiumLayout.memberPath(id))
        let staging = file(ConsortiumLayout.membersPath + "/.staging-\(id.value)-\(UUID().uuidString)")
        try ConsortiumDirectory.makeDirectory(staging, private: true)
        do {
            let put = { (name: String) in staging + "/" + name }
            try PrivateKeyFile.write(pem: tlsKey.pemRepresentation, to: put(ConsortiumLayout.memberTLSKeyFile))
            try PrivateKeyFile.write(pem: signingKey.pkcs8PEM, to: put(ConsortiumLayout.memberSigningKeyFile))
            try PrivateKeyFile.write(pem: encryptionKey.pkcs8PEM, to: put(ConsortiumLayout.memberEncryptionKeyFile))
            try ConsortiumDirectory.writePublic(
                try certificate.serializeAsPEM().pemString, to: put(ConsortiumLayout.memberCertificateFile))
            try ConsortiumDirectory.writePublic(rootPEM, to: put(ConsortiumLayout.memberRootCertificateFile))
            if member.receivesPseudonymSecrets {
                let secrets = try ConsortiumDirectory.json(try pseudonymSecrets())
                try PrivateKeyFile.write(pem: secrets, to: put(ConsortiumLayout.memberPseudonymSecretsFile))
            }
            try ConsortiumDirectory.writePublic(
                try ConsortiumDirectory.json(member), to: put(ConsortiumLayout.memberFile))
            try FileManager.default.moveItem(atPath: staging, toPath: final)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
        return member
    }

    // MARK: files

    /// Pretty, key-sorted JSON: stable output that diffs well under version control.
    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }

    static func decode<T: Decodable>(_ text: String, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw ChainCryptoError(code: "consortium.invalid_file", reason: "\(what): \(error)")
        }
    }

    static let publicFileLimit = 1 << 20

    static func readPublic(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ChainCryptoError(code: "consortium.missing_file", reason: "cannot read \(path)")
        }
        guard data.count <= publicFileLimit, let text = String(data: data, encoding: .utf8) else {
            throw ChainCryptoError(code: "consortium.invalid_file", reason: "\(path) is not a small UTF-8 file")
        }
        return text
    }

    static func writePublic(_ text: String, to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw ChainCryptoError(code: "consortium.exists", reason: "\(path) exists; refusing to overwrite it")
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .withoutOverwriting)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        } catch {
            throw ChainCryptoError(code: "consortium.write_failed", reason: "cannot write \(path): \(error)")
        }
    }

    static func makeDirectory(_ path: String, private isPrivate: Bool) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true,
                attributes: isPrivate ? [.posixPermissions: 0o700] : nil)
        } catch {
            throw ChainCryptoError(code: "consortium.write_failed", reason: "cannot create \(path): \(error)")
        }
    }
}
