import ChainCore

/// The cryptography a consortium chose at genesis (`SuiteID`): hashing, signatures, HMAC, key
/// generation and loading, delivery encryption to a member's public key and sealing at rest.
/// `StandardSuite` and `GMSuite` implement it and pass the same behavioural tests; input made for
/// the other suite (a key, a signature, sealed bytes) fails with a `ChainCryptoError`.
public protocol CryptoSuite: Sendable {
    var id: SuiteID { get }
    /// SHA-256 (standard) or SM3 (GM).
    var hasher: any ChainHasher { get }
    /// Ed25519 (standard) or SM2 with the distinguishing ID (GM).
    var verifier: any ChainVerifier { get }
    /// HMAC-SHA256 (standard) or HMAC-SM3 (GM).
    func hmac(key: [UInt8], message: [UInt8]) -> [UInt8]
    /// A fresh signing key from the system's CSPRNG.
    func generateSigningKey() throws -> SigningKey
    /// Loads an unencrypted PKCS#8 PEM signing key of this suite.
    func signingKey(pkcs8PEM: String) throws -> SigningKey
    /// A fresh encryption key: X25519 (standard) or SM2 (GM).
    func generateEncryptionKey() throws -> EncryptionKey
    /// Loads an unencrypted PKCS#8 PEM encryption key of this suite.
    func encryptionKey(pkcs8PEM: String) throws -> EncryptionKey
    /// Encrypts a delivery to a recipient's public encryption key. Standard: HPKE base mode,
    /// RFC 9180 A.1 suite, info "creditchain/delivery/v1". GM: SM2-encrypted fresh key, SM4-CTR +
    /// HMAC-SM3 encrypt-then-MAC with keys from HKDF-SM3. `aad` is authenticated, not encrypted.
    func sealDelivery(_ plaintext: [UInt8], to recipientPublicKey: [UInt8], aad: [UInt8]) throws -> [UInt8]
    /// Decrypts and authenticates a delivery; any altered byte, wrong key or aad fails.
    func openDelivery(_ sealed: [UInt8], with key: EncryptionKey, aad: [UInt8]) throws -> [UInt8]
    /// Encrypts data at rest under a 32-byte key: AES-256-GCM (standard) or SM4-CTR + HMAC-SM3 (GM).
    func sealAtRest(_ plaintext: [UInt8], key: [UInt8], aad: [UInt8]) throws -> [UInt8]
    /// Decrypts and authenticates data sealed by `sealAtRest`.
    func openAtRest(_ sealed: [UInt8], key: [UInt8], aad: [UInt8]) throws -> [UInt8]
}

extension CryptoSuite {
    /// The raw public key (Ed25519 or X25519: 32 bytes; SM2: 65 bytes 04‖x‖y) in SubjectPublicKeyInfo
    /// PEM text, refused with `crypto.wrong_suite` when it is a key of another suite or algorithm.
    public func publicKey(pem: String) throws -> [UInt8] {
        let key = try EVPKey.publicKey(pem: pem)
        let accepted = id == .standard ? ["ED25519", "X25519"] : ["SM2"]
        guard accepted.contains(key.typeName) else {
            throw ChainCryptoError.wrongSuite(
                "the key is \(key.typeName), the \(id) suite uses \(accepted.joined(separator: " or "))")
        }
        return try key.publicOctets()
    }
}

/// The suite implementations by id.
public enum CryptoSuites {
    public static func suite(_ id: SuiteID) -> any CryptoSuite {
        switch id {
        case .standard: return StandardSuite()
        case .gm: return GMSuite()
        }
    }
}

/// Layout shared by both suites' sealed bytes: the first byte names the suite that sealed them, so
/// bytes from the other suite are refused with a clear reason rather than a bare MAC failure.
enum SealedBytes {
    /// The `info` string of delivery encryption (HPKE info; HKDF-SM3 info in GM).
    static let deliveryInfo = Array("creditchain/delivery/v1".utf8)
    /// The HKDF info of GM at-rest key derivation.
    static let atRestInfo = Array("creditchain/at-rest/v1".utf8)
    /// Size of every at-rest key.
    static let atRestKeySize = 32

    /// Checks the suite byte of `sealed` and that at least `minimumCount` bytes are present.
    static func check(_ sealed: [UInt8], suite: SuiteID, minimumCount: Int, what: String) throws {
        guard let first = sealed.first else { throw ChainCryptoError.openFailed("empty \(what)") }
        guard first == suite.rawValue else {
            if let other = SuiteID(rawValue: first) {
                throw ChainCryptoError.wrongSuite("\(what) sealed with the \(other) suite, this is the \(suite) suite")
            }
            throw ChainCryptoError.openFailed("\(what) has unknown format byte \(first)")
        }
        guard sealed.count >= minimumCount else {
            throw ChainCryptoError.openFailed(
                "\(what) truncated: \(sealed.count) bytes, at least \(minimumCount) needed")
        }
    }

    static func checkAtRestKey(_ key: [UInt8]) throws {
        guard key.count == atRestKeySize else {
            throw ChainCryptoError.invalidKey("an at-rest key is 32 bytes, got \(key.count)")
        }
    }
}
