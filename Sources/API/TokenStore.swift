import ChainCore
import Crypto
import Foundation
import Logging

/// The bearer tokens of one node's API, in `<data dir>/api-tokens.json` (mode 0600).
///
/// Only SHA-256 of each token is stored: tokens carry 256 random bits, so a plain hash is enough
/// to make a stolen file useless for signing in, and lookup by hash needs no constant-time
/// comparison (an attacker cannot choose hash preimages). `token create` (the CLI) and the running
/// node share the file: the node re-reads it when it changes, checking at most once per
/// `refreshInterval`, so new and revoked tokens take effect without a restart. An unreadable or
/// corrupt file accepts no token at all (fail closed).
public final class TokenStore: @unchecked Sendable {
    // @unchecked: the mutable cache is only touched under `lock`.

    public static let fileName = "api-tokens.json"
    /// Every token starts with this, so a leaked one is recognisable in logs and by secret scanners.
    public static let tokenPrefix = "cct_"
    static let tokenRandomBytes = 32
    static let staffNameMax = 64

    /// Path of the token file.
    public let path: String
    public let refreshInterval: Duration
    private let logger: Logger
    private let lock = NSLock()
    private var activeByHash: [String: TokenRecord] = [:]
    private var loadedStamp: FileStamp?
    private var lastCheck: ContinuousClock.Instant?

    /// Opens the store of the data directory `directory` (the file may not exist yet).
    public init(directory: String, refreshInterval: Duration = .seconds(1), logger: Logger? = nil) {
        self.path = (directory as NSString).appendingPathComponent(TokenStore.fileName)
        self.refreshInterval = refreshInterval
        self.logger = logger ?? Logger(label: "creditchain.api.tokens")
    }

    // MARK: Checking tokens (the API)

    /// The staff identity of an active token, or nil for an unknown, revoked or malformed one.
    public func authenticate(bearer token: String) -> StaffIdentity? {
        guard TokenStore.isWellFormed(token) else { return nil }
        let digest = TokenStore.digest(token)
        return lock.withLock {
            refreshIfDue()
            return activeByHash[digest].map {
                StaffIdentity(
                    staff: $0.staff, tokenID: $0.id, scopes: Set($0.scopes.compactMap { try? TokenScope($0) }))
            }
        }
    }

    // MARK: Managing tokens (the CLI)

    /// Creates a token for `staff` with `scopes`, stores its hash and returns the token — the
    /// only time it exists in clear.
    public func create(
        staff: String, scopes: Set<TokenScope>, createdAt: Date, using generator: inout some RandomNumberGenerator
    ) throws -> IssuedToken {
        try TokenStore.validateStaff(staff)
        guard !scopes.isEmpty else { throw APIError.token("token.unknown_scope", "name at least one scope") }
        return try mutateFile { file in
            var token: String
            var digest: String
            repeat {
                var random = [UInt8](repeating: 0, count: TokenStore.tokenRandomBytes)
                for i in random.indices { random[i] = generator.next() }
                token = TokenStore.tokenPrefix + Hex.encode(random)
                digest = TokenStore.digest(token)
            } while file.tokens.contains(where: { $0.id == TokenStore.id(ofDigest: digest) })
            let record = TokenRecord(
                id: TokenStore.id(ofDigest: digest), sha256: digest, staff: staff, scopes: scopes.sorted().map(\.value),
                created: TokenStore.timestamp(createdAt), revoked: nil)
            file.tokens.append(record)
            return IssuedToken(token: token, record: record)
        }
    }

    /// Every token record, revoked ones included, oldest first.
    public func list() throws -> [TokenRecord] {
        try TokenStore.read(path: path)?.tokens ?? []
    }

    /// Marks the token `id` revoked at `revokedAt`; it stops working at the node's next refresh.
    @discardableResult
    public func revoke(id: String, revokedAt: Date) throws -> TokenRecord {
        try mutateFile { file in
            guard let i = file.tokens.firstIndex(where: { $0.id == id }) else {
                throw APIError.token("token.not_found", "no token with id \(id)", status: .notFound)
            }
            if file.tokens[i].revoked == nil { file.tokens[i].revoked = TokenStore.timestamp(revokedAt) }
            return file.tokens[i]
        }
    }

    // MARK: Internals

    static func isWellFormed(_ token: String) -> Bool {
        let utf8 = token.utf8
        guard utf8.count == tokenPrefix.utf8.count + 2 * tokenRandomBytes, token.hasPrefix(tokenPrefix) else {
            return false
        }
        return utf8.dropFirst(tokenPrefix.utf8.count).allSatisfy {
            ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f"))
        }
    }

    static func digest(_ token: String) -> String { Hex.encode(Array(SHA256.hash(data: Array(token.utf8)))) }

    /// The public id of a token: the first 12 hex characters of its hash (safe to print and log).
    static func id(ofDigest digest: String) -> String { String(digest.prefix(12)) }

    static func timestamp(_ date: Date) -> String {
        date.ISO8601Format()
    }

    /// Staff names go into audit lines: printable, no quotes or backslashes, 1–64 characters.
    static func validateStaff(_ staff: String) throws {
        let ok =
            !staff.isEmpty && staff.count <= staffNameMax
            && staff.unicodeScalars.allSatisfy { scalar in
                !CharacterSet.controlCharacters.contains(scalar) && scalar != "\"" && scalar != "\\"
            }
            && staff.trimmingCharacters(in: .whitespaces) == staff
        guard ok else {
            throw APIError.token(
                "token.bad_staff", "a staff name is 1 to 64 printable characters, without quotes or backslashes")
        }
    }

    /// Re-reads the file when its identity, size or modification time changed. Caller holds `lock`.
    private func refreshIfDue() {
        let now = ContinuousClock.now
        if let lastCheck, now - lastCheck < refreshInterval { return }
        lastCheck = now
        let stamp = FileStamp(path: path)
        guard stamp != loadedStamp else { return }
        loadedStamp = stamp
        do {
            let records = try TokenStore.read(path: path)?.tokens ?? []
            activeByHash = Dictionary(
                records.filter { $0.revoked == nil }.map { ($0.sha256, $0) }, uniquingKeysWith: { first, _ in first })
        } catch {
            activeByHash = [:]
            logger.error("token file unreadable; no API token is accepted until it is fixed: \(error)")
        }
    }

    private static func read(path: String) throws -> TokenFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw APIError.token("token.file_unreadable", "cannot read \(path): \(error)", status: .internalServerError)
        }
        do {
            let file = try JSONDecoder().decode(TokenFile.self, from: data)
            guard file.version == TokenFile.currentVersion else {
                throw APIError.token(
                    "token.file_unreadable", "\(path) has version \(file.version)", status: .internalServerError)
            }
            return file
        } catch let error as APIError { throw error } catch {
            throw APIError.token(
                "token.file_unreadable", "\(path) is not a token file: \(error)", status: .internalServerError)
        }
    }

    /// Read-modify-write under an exclusive lock on `<file>.lock`, written to a temporary file
    /// created 0600 and renamed over the old one, so readers never see a partial file.
    private func mutateFile<T>(_ body: (inout TokenFile) throws -> T) throws -> T {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let lockFD = open(path + ".lock", O_CREAT | O_RDWR, 0o600)
        guard lockFD >= 0 else {
            throw APIError.token("token.file_unwritable", "cannot open \(path).lock", status: .internalServerError)
        }
        defer { close(lockFD) }
        guard flock(lockFD, LOCK_EX) == 0 else {
            throw APIError.token("token.file_unwritable", "cannot lock \(path).lock", status: .internalServerError)
        }
        defer { flock(lockFD, LOCK_UN) }

        var file = try TokenStore.read(path: path) ?? TokenFile(version: TokenFile.currentVersion, tokens: [])
        let result = try body(&file)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(file)
        let temporary = path + ".tmp"
        let fd = open(temporary, O_CREAT | O_TRUNC | O_WRONLY, 0o600)
        guard fd >= 0 else {
            throw APIError.token("token.file_unwritable", "cannot create \(temporary)", status: .internalServerError)
        }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == data.count, synced == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw APIError.token("token.file_unwritable", "cannot write \(path)", status: .internalServerError)
        }
        lock.withLock { lastCheck = nil }
        return result
    }
}

/// A token just created: the secret (shown once) and what was stored.
public struct IssuedToken: Sendable {
    public var token: String
    public var record: TokenRecord
}

/// One stored token: public id, SHA-256 of the token (hex), the staff member it names, its
/// scopes, and when it was created and revoked (ISO 8601, UTC).
public struct TokenRecord: Codable, Hashable, Sendable {
    public var id: String
    public var sha256: String
    public var staff: String
    public var scopes: [String]
    public var created: String
    public var revoked: String?
}

/// The token file's layout.
struct TokenFile: Codable {
    static let currentVersion = 1
    var version: Int
    var tokens: [TokenRecord]
}

/// Identity, size and modification time of a file (nil fields when it does not exist).
struct FileStamp: Equatable {
    var inode: UInt64?
    var size: UInt64?
    var modified: Date?

    init(path: String) {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        inode = (attributes?[.systemFileNumber] as? NSNumber)?.uint64Value
        size = (attributes?[.size] as? NSNumber)?.uint64Value
        modified = attributes?[.modificationDate] as? Date
    }
}
