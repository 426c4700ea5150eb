import ChainCore

/// File names inside a consortium directory (docs/consortium.md). One place, so the CLI, the
/// genesis builder and the node agree on where things are.
public enum ConsortiumLayout {
    /// Genesis parameters (public).
    public static let parametersPath = "consortium.json"
    /// Root CA certificate (public).
    public static let rootCertificatePath = "ca/ca.pem"
    /// Root CA private key (0600; stays with the consortium operator).
    public static let rootKeyPath = "ca/ca-key.pem"
    /// Pseudonym secrets (0600; copied only to eligible members).
    public static let pseudonymSecretsPath = "secrets/pseudonym.json"
    /// Directory of member directories.
    public static let membersPath = "members"

    /// Inside `members/<id>/`: what an operator hands to that member.
    public static let memberFile = "member.json"
    public static let memberCertificateFile = "tls.pem"
    public static let memberTLSKeyFile = "tls-key.pem"
    public static let memberSigningKeyFile = "signing-key.pem"
    public static let memberEncryptionKeyFile = "encryption-key.pem"
    /// A copy of the root certificate, so a member directory alone configures mutual TLS.
    public static let memberRootCertificateFile = "ca.pem"
    /// A copy of the pseudonym secrets, only for members that receive them.
    public static let memberPseudonymSecretsFile = "pseudonym.json"

    public static func memberPath(_ id: MemberID) -> String { membersPath + "/" + id.value }
}

/// The pseudonym secrets file: the HMAC key of subject pseudonyms (architecture.md,
/// "Decisions"). JSON `{"version": 1, "key": "<64 hex digits>"}`, written 0600. Never in
/// genesis, never given to banks.
public struct PseudonymSecrets: Codable, Hashable, Sendable {
    public static let keySize = 32

    public var version: Int
    /// The 32-byte key, hex.
    public var key: String

    /// A fresh key from `generator` (the CLI passes the system CSPRNG).
    public init<G: RandomNumberGenerator>(using generator: inout G) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(Self.keySize)
        for _ in 0..<Self.keySize { bytes.append(UInt8.random(in: 0...255, using: &generator)) }
        version = 1
        key = Hex.encode(bytes)
    }

    /// The key bytes; throws unless the file holds exactly 32 bytes of hex.
    public var keyBytes: [UInt8] {
        get throws {
            guard version == 1, let bytes = Hex.decode(key), bytes.count == Self.keySize else {
                throw ChainCryptoError(
                    code: "consortium.invalid_secrets", reason: "the pseudonym key must be 64 hexadecimal digits")
            }
            return bytes
        }
    }
}
