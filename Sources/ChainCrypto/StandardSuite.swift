import COpenSSL
import ChainCore
import Crypto
import Foundation

/// The standard suite, all through swift-crypto: Ed25519, SHA-256, HMAC-SHA256, HPKE base mode
/// with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM (RFC 9180 A.1) for deliveries, and
/// AES-256-GCM at rest.
///
/// Sealed layouts: delivery = 0x01 ‖ enc (32) ‖ HPKE ciphertext; at rest = 0x01 ‖ nonce (12) ‖
/// ciphertext ‖ tag (16).
public struct StandardSuite: CryptoSuite {
    static let hpkeSuite = HPKE.Ciphersuite(kem: .Curve25519_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_128)

    public init() {}

    public var id: SuiteID { .standard }
    public var hasher: any ChainHasher { SHA256Hasher() }
    public var verifier: any ChainVerifier { Ed25519Verifier() }

    public func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    public func generateSigningKey() throws -> SigningKey {
        SigningKey(ed25519: Curve25519.Signing.PrivateKey())
    }

    public func signingKey(pkcs8PEM: String) throws -> SigningKey {
        let raw = try EVPKey.privateKey(pem: pkcs8PEM).rawPrivateKey(expecting: "ED25519", suite: id)
        return SigningKey(ed25519: try Curve25519.Signing.PrivateKey(rawRepresentation: raw))
    }

    public func generateEncryptionKey() throws -> EncryptionKey {
        EncryptionKey(x25519: Curve25519.KeyAgreement.PrivateKey())
    }

    public func encryptionKey(pkcs8PEM: String) throws -> EncryptionKey {
        let raw = try EVPKey.privateKey(pem: pkcs8PEM).rawPrivateKey(expecting: "X25519", suite: id)
        return EncryptionKey(x25519: try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw))
    }

    public func sealDelivery(_ plaintext: [UInt8], to recipientPublicKey: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        guard recipientPublicKey.count == 32 else {
            throw ChainCryptoError.wrongSuite(
                "an X25519 public key is 32 bytes, got \(recipientPublicKey.count)"
                    + (recipientPublicKey.count == SM2.publicKeySize ? " (an SM2 key of the gm suite?)" : ""))
        }
        do {
            let recipient = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: recipientPublicKey)
            var sender = try HPKE.Sender(
                recipientKey: recipient, ciphersuite: Self.hpkeSuite, info: Data(SealedBytes.deliveryInfo))
            let ciphertext = try sender.seal(plaintext, authenticating: aad)
            var out: [UInt8] = [id.rawValue]
            out.append(contentsOf: sender.encapsulatedKey)
            out.append(contentsOf: ciphertext)
            return out
        } catch {
            throw ChainCryptoError(code: "crypto.seal_failed", reason: "HPKE: \(error)")
        }
    }

    public func openDelivery(_ sealed: [UInt8], with key: EncryptionKey, aad: [UInt8]) throws -> [UInt8] {
        guard case .x25519(let privateKey) = key.material else {
            throw ChainCryptoError.wrongSuite("an SM2 encryption key cannot open a standard-suite delivery")
        }
        try SealedBytes.check(sealed, suite: id, minimumCount: 1 + 32 + 16, what: "delivery")
        do {
            var recipient = try HPKE.Recipient(
                privateKey: privateKey, ciphersuite: Self.hpkeSuite, info: Data(SealedBytes.deliveryInfo),
                encapsulatedKey: Data(sealed[1..<33]))
            return Array(try recipient.open(sealed[33...], authenticating: aad))
        } catch {
            throw ChainCryptoError.openFailed("delivery does not authenticate (wrong key, wrong aad or altered bytes)")
        }
    }

    public func sealAtRest(_ plaintext: [UInt8], key: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        try SealedBytes.checkAtRestKey(key)
        do {
            let box = try AES.GCM.seal(plaintext, using: SymmetricKey(data: key), authenticating: aad)
            guard let combined = box.combined else {
                throw ChainCryptoError(code: "crypto.seal_failed", reason: "AES-GCM produced no combined form")
            }
            return [id.rawValue] + Array(combined)
        } catch let error as ChainCryptoError {
            throw error
        } catch {
            throw ChainCryptoError(code: "crypto.seal_failed", reason: "AES-GCM: \(error)")
        }
    }

    public func openAtRest(_ sealed: [UInt8], key: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        try SealedBytes.checkAtRestKey(key)
        try SealedBytes.check(sealed, suite: id, minimumCount: 1 + 12 + 16, what: "sealed data")
        do {
            let box = try AES.GCM.SealedBox(combined: sealed[1...])
            return Array(try AES.GCM.open(box, using: SymmetricKey(data: key), authenticating: aad))
        } catch {
            throw ChainCryptoError.openFailed(
                "sealed data does not authenticate (wrong key, wrong aad or altered bytes)")
        }
    }
}

/// The standard suite's `ChainHasher`: SHA-256.
public struct SHA256Hasher: ChainHasher {
    public init() {}

    public func digest(_ data: [UInt8]) -> Hash { digest(data, []) }

    /// libcrypto's SHA-256 with its context on the stack: swift-crypto's `SHA256` allocates a
    /// context object per digest, which was a third of the state tree's hashing time.
    public func digest(_ head: [UInt8], _ tail: [UInt8]) -> Hash {
        var out: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &out) { buffer in
            cc_sha256(head, head.count, tail, tail.count, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self))
            return Hash(digestBuffer: UnsafeRawBufferPointer(buffer))
        }
    }
}

/// The standard suite's `ChainVerifier`: Ed25519 (RFC 8032) over raw 32-byte keys and 64-byte
/// signatures; anything of another length (an SM2 key or DER signature) does not verify.
public struct Ed25519Verifier: ChainVerifier {
    public init() {}

    public var suite: SuiteID { .standard }

    public func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == 64, publicKey.count == 32,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
        else { return false }
        return key.isValidSignature(signature, for: message)
    }
}
