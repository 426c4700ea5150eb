import COpenSSL
import ChainCore
import Foundation

/// SM2 (GB/T 32918) signatures with a distinguishing ID and SM2 public-key encryption, through
/// libcrypto's EVP_PKEY_SM2 keys. Signatures are DER SEQUENCE{r, s} as OpenSSL produces them;
/// `rawSignature(fromDER:)` and `derSignature(fromRaw:)` convert to and from the 64-byte r‖s form
/// other implementations use.
public enum SM2 {
    /// The default distinguishing ID of GB/T 32918 / GM/T 0009, hashed into every signature.
    public static let defaultID: [UInt8] = Array("1234567812345678".utf8)
    /// An uncompressed public key: 04‖x‖y.
    public static let publicKeySize = 65
    /// The longest DER signature (two 33-byte INTEGERs in a SEQUENCE).
    public static let maxSignatureSize = 72
    /// The raw r‖s signature size.
    public static let rawSignatureSize = 64

    /// A fresh key pair from OpenSSL's CSPRNG.
    static func generate() throws -> EVPKey {
        guard let pointer = cc_sm2_generate() else { throw ChainCryptoError.openSSL("SM2 key generation") }
        return EVPKey(taking: pointer)
    }

    /// A public key from 04‖x‖y; anything else (an Ed25519 or X25519 key, a compressed point, a
    /// point off the curve) is refused with a reason.
    static func publicKey(_ bytes: [UInt8]) throws -> EVPKey {
        guard bytes.count == publicKeySize, bytes.first == 0x04 else {
            throw ChainCryptoError.wrongSuite(
                "an SM2 public key is 65 bytes 04‖x‖y, got \(bytes.count) bytes"
                    + (bytes.count == 32 ? " (an Ed25519/X25519 key of the standard suite?)" : ""))
        }
        guard let pointer = cc_sm2_public_key(bytes, bytes.count) else {
            throw ChainCryptoError.invalidKey("not a point on the SM2 curve (\(OpenSSL.takeError()))")
        }
        return EVPKey(taking: pointer)
    }

    /// Signs `message` (SM3 over Z(id, key) ‖ message); the DER signature is randomised.
    static func sign(_ message: [UInt8], key: EVPKey, id: [UInt8]) throws -> [UInt8] {
        let md = try OpenSSL.requireAlgorithms().sm3
        var signature = [UInt8](repeating: 0, count: maxSignatureSize)
        var length = signature.count
        guard cc_sm2_sign(key.pointer, md, id, id.count, message, message.count, &signature, &length) == 1 else {
            throw ChainCryptoError.openSSL("SM2 signing")
        }
        return Array(signature.prefix(length))
    }

    /// Verifies a DER signature; false for any malformed input.
    static func verify(signature: [UInt8], message: [UInt8], key: EVPKey, id: [UInt8]) -> Bool {
        guard let md = OpenSSL.algorithms?.sm3 else { return false }
        guard signature.count >= 8, signature.count <= maxSignatureSize else { return false }
        return cc_sm2_verify(key.pointer, md, id, id.count, message, message.count, signature, signature.count) == 1
    }

    /// Verifies a DER signature under a 04‖x‖y public key; false for any malformed input.
    public static func verify(
        signature: [UInt8], message: [UInt8], publicKey: [UInt8], id: [UInt8] = defaultID
    ) -> Bool {
        guard signature.count >= 8, signature.count <= maxSignatureSize,
            let key = try? publicKeys.key(publicKey)
        else { return false }
        return verify(signature: signature, message: message, key: key, id: id)
    }

    /// Parsed verification keys: a consortium has few signers, and importing a point (with its
    /// on-curve check) costs about a tenth of a verification, so the mempool's hot path reuses them.
    static let publicKeys = PublicKeyCache(limit: 4096)

    /// DER SEQUENCE{r, s} → r‖s (32 + 32 bytes, big-endian, left-padded).
    public static func rawSignature(fromDER der: [UInt8]) throws -> [UInt8] {
        guard der.count <= maxSignatureSize else {
            throw ChainCryptoError(code: "crypto.bad_signature", reason: "a DER SM2 signature is at most 72 bytes")
        }
        var raw = [UInt8](repeating: 0, count: rawSignatureSize)
        guard cc_sig_der_to_raw(der, der.count, &raw) == 1 else {
            _ = OpenSSL.takeError()
            throw ChainCryptoError(code: "crypto.bad_signature", reason: "not a DER SEQUENCE{r, s} of 256-bit integers")
        }
        return raw
    }

    /// r‖s (64 bytes) → DER SEQUENCE{r, s} as OpenSSL emits it.
    public static func derSignature(fromRaw raw: [UInt8]) throws -> [UInt8] {
        guard raw.count == rawSignatureSize else {
            throw ChainCryptoError(code: "crypto.bad_signature", reason: "a raw SM2 signature is 64 bytes r‖s")
        }
        var der = [UInt8](repeating: 0, count: maxSignatureSize)
        var length = 0
        guard cc_sig_raw_to_der(raw, &der, &length) == 1 else { throw ChainCryptoError.openSSL("encoding r‖s") }
        return Array(der.prefix(length))
    }

    /// SM2 public-key encryption (C1 from a fresh k, C3 = SM3, C2 = KDF-masked plaintext), stored as
    /// OpenSSL emits it: DER SEQUENCE{x, y, C3, C2} (GM/T 0009).
    static func encrypt(_ plaintext: [UInt8], to key: EVPKey) throws -> [UInt8] {
        var length = 0
        guard cc_pkey_encrypt(key.pointer, plaintext, plaintext.count, nil, &length) == 1 else {
            throw ChainCryptoError.openSSL("SM2 encryption")
        }
        var out = [UInt8](repeating: 0, count: length)
        guard cc_pkey_encrypt(key.pointer, plaintext, plaintext.count, &out, &length) == 1 else {
            throw ChainCryptoError.openSSL("SM2 encryption")
        }
        return Array(out.prefix(length))
    }

    /// Inverse of `encrypt`; fails on a wrong key or any altered byte (C3 is checked).
    static func decrypt(_ ciphertext: [UInt8], with key: EVPKey) throws -> [UInt8] {
        var length = 0
        guard cc_pkey_decrypt(key.pointer, ciphertext, ciphertext.count, nil, &length) == 1 else {
            throw ChainCryptoError.openFailed("SM2 decryption failed (\(OpenSSL.takeError()))")
        }
        var out = [UInt8](repeating: 0, count: length)
        guard cc_pkey_decrypt(key.pointer, ciphertext, ciphertext.count, &out, &length) == 1 else {
            throw ChainCryptoError.openFailed("SM2 decryption failed (\(OpenSSL.takeError()))")
        }
        return Array(out.prefix(length))
    }
}

/// The GM suite's `ChainVerifier`: SM2 with a distinguishing ID (default "1234567812345678") over
/// DER signatures. Wrong-length keys or signatures (e.g. Ed25519 ones) simply do not verify.
public struct SM2Verifier: ChainVerifier {
    public let id: [UInt8]
    public var suite: SuiteID { .gm }

    public init(id: [UInt8] = SM2.defaultID) { self.id = id }

    public func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        SM2.verify(signature: signature, message: message, publicKey: publicKey, id: id)
    }
}

/// A bounded map from 04‖x‖y to the imported key, shared by every verifier of the process. When
/// full it is emptied (members are few; an attacker cycling keys only costs re-imports).
final class PublicKeyCache: @unchecked Sendable {
    private let lock = NSLock()
    private var keys = [[UInt8]: EVPKey]()
    let limit: Int

    init(limit: Int) { self.limit = limit }

    func key(_ bytes: [UInt8]) throws -> EVPKey {
        if let cached = lock.withLock({ keys[bytes] }) { return cached }
        let key = try SM2.publicKey(bytes)
        lock.withLock {
            if keys.count >= limit { keys.removeAll(keepingCapacity: true) }
            keys[bytes] = key
        }
        return key
    }

    var count: Int { lock.withLock { keys.count } }
}
