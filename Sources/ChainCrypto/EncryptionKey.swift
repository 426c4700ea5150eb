import ChainCore
import Crypto
import _CryptoExtras

/// A member's private key for receiving deliveries: X25519 (standard, used by HPKE) or SM2 (GM,
/// used by SM2 public-key encryption). Share `publicKey`; keep `pkcs8PEM` in a `PrivateKeyFile`.
public struct EncryptionKey: Sendable {
    enum Material: Sendable {
        case x25519(Curve25519.KeyAgreement.PrivateKey)
        case sm2(EVPKey)
    }

    let material: Material
    public let suite: SuiteID
    /// X25519: 32 raw bytes; SM2: 65 bytes 04‖x‖y.
    public let publicKey: [UInt8]
    /// The private key as unencrypted PKCS#8 PEM.
    public let pkcs8PEM: String
    /// The public key as SubjectPublicKeyInfo PEM.
    public let publicKeyPEM: String

    init(x25519 key: Curve25519.KeyAgreement.PrivateKey) {
        material = .x25519(key)
        suite = .standard
        publicKey = Array(key.publicKey.rawRepresentation)
        pkcs8PEM = key.pemRepresentation
        publicKeyPEM = key.publicKey.pemRepresentation
    }

    init(sm2 key: EVPKey) throws {
        guard key.isSM2 else {
            throw ChainCryptoError.wrongSuite("the key is \(key.typeName), the gm suite encrypts with SM2")
        }
        material = .sm2(key)
        suite = .gm
        publicKey = try key.publicOctets()
        pkcs8PEM = try key.pem(privateKey: true)
        publicKeyPEM = try key.pem(privateKey: false)
    }
}
