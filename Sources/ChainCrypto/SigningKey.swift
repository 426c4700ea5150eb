import COpenSSL
import ChainCore
import Crypto
import _CryptoExtras

/// A member's or enterprise's private signing key in its suite: Ed25519 (standard) or SM2 with
/// the distinguishing ID (GM). Ed25519 signatures are deterministic; SM2 signatures draw from
/// OpenSSL's CSPRNG and are DER SEQUENCE{r, s}.
public struct SigningKey: ChainSigner {
    enum Material: Sendable {
        case ed25519(Curve25519.Signing.PrivateKey)
        case sm2(EVPKey, id: [UInt8])
    }

    let material: Material
    public let suite: SuiteID
    /// Ed25519: 32 raw bytes; SM2: 65 bytes 04‖x‖y.
    public let publicKey: [UInt8]
    /// The private key as unencrypted PKCS#8 PEM (write it with `PrivateKeyFile`).
    public let pkcs8PEM: String
    /// The public key as SubjectPublicKeyInfo PEM.
    public let publicKeyPEM: String

    init(ed25519 key: Curve25519.Signing.PrivateKey) {
        material = .ed25519(key)
        suite = .standard
        publicKey = Array(key.publicKey.rawRepresentation)
        pkcs8PEM = key.pemRepresentation
        publicKeyPEM = key.publicKey.pemRepresentation
    }

    init(sm2 key: EVPKey, id: [UInt8]) throws {
        guard key.isSM2 else {
            throw ChainCryptoError.wrongSuite("the key is \(key.typeName), the gm suite signs with SM2")
        }
        material = .sm2(key, id: id)
        suite = .gm
        publicKey = try key.publicOctets()
        pkcs8PEM = try key.pem(privateKey: true)
        publicKeyPEM = try key.pem(privateKey: false)
    }

    /// The Ed25519 key with this 32-byte seed (RFC 8032's private key): deterministic, for the
    /// simulator, tests and reproducible fixtures.
    public static func ed25519(seed: [UInt8]) throws -> SigningKey {
        guard seed.count == 32 else {
            throw ChainCryptoError.invalidKey("an Ed25519 seed is 32 bytes, got \(seed.count)")
        }
        return SigningKey(ed25519: try Curve25519.Signing.PrivateKey(rawRepresentation: seed))
    }

    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        switch material {
        case .ed25519(let key):
            do {
                return Array(try key.signature(for: message))
            } catch {
                throw ChainCryptoError(code: "crypto.sign_failed", reason: "Ed25519: \(error)")
            }
        case .sm2(let key, let id):
            return try SM2.sign(message, key: key, id: id)
        }
    }
}

extension EVPKey {
    /// The raw private key of an Ed25519/X25519 key, after checking the type matches the suite.
    func rawPrivateKey(expecting type: String, suite: SuiteID) throws -> [UInt8] {
        guard EVP_PKEY_is_a(pointer, type) == 1 else {
            throw ChainCryptoError.wrongSuite("the key is \(typeName), the \(suite) suite expects \(type)")
        }
        var raw = [UInt8](repeating: 0, count: 32)
        var length = raw.count
        guard EVP_PKEY_get_raw_private_key(pointer, &raw, &length) == 1, length == 32 else {
            throw ChainCryptoError.invalidKey("cannot read the \(type) private key (\(OpenSSL.takeError()))")
        }
        return raw
    }
}
