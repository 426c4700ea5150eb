import COpenSSL

/// Access to OpenSSL 3's libcrypto for the GM suite: the algorithm objects fetched once (fetching
/// is a provider lookup, too slow to repeat per signature), the error queue, and key conversion.
enum OpenSSL {
    /// The earliest queued libcrypto error as text (the queue is emptied).
    static func takeError() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        cc_take_error(&buffer, buffer.count)
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.isEmpty ? "no detail from OpenSSL" : text
    }

    /// SM3, SM4-CTR and SM4-ECB, fetched once for the process; nil when this libcrypto lacks them.
    static let algorithms: Algorithms? = Algorithms()

    /// The fetched algorithms, or an error naming the missing support.
    static func requireAlgorithms() throws -> Algorithms {
        guard let algorithms else {
            throw ChainCryptoError(
                code: "crypto.unavailable", reason: "this OpenSSL has no SM3/SM4 (OpenSSL 3 with the default provider)")
        }
        return algorithms
    }

    /// Fetched EVP_MD / EVP_CIPHER objects. OpenSSL documents fetched algorithm objects as safe to
    /// share between threads; they live as long as the process.
    final class Algorithms: @unchecked Sendable {
        let sm3: OpaquePointer
        let sm4CTR: OpaquePointer
        let sm4ECB: OpaquePointer

        init?() {
            guard let sm3 = EVP_MD_fetch(nil, "SM3", nil) else { return nil }
            guard let ctr = EVP_CIPHER_fetch(nil, "SM4-CTR", nil) else {
                EVP_MD_free(sm3)
                return nil
            }
            guard let ecb = EVP_CIPHER_fetch(nil, "SM4-ECB", nil) else {
                EVP_MD_free(sm3)
                EVP_CIPHER_free(ctr)
                return nil
            }
            self.sm3 = sm3
            self.sm4CTR = ctr
            self.sm4ECB = ecb
        }

        deinit {
            EVP_MD_free(sm3)
            EVP_CIPHER_free(sm4CTR)
            EVP_CIPHER_free(sm4ECB)
        }
    }

    /// `count` bytes from OpenSSL's CSPRNG.
    static func randomBytes(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&out, Int32(count)) == 1 else { throw ChainCryptoError.openSSL("RAND_bytes") }
        return out
    }

    /// Constant-time equality of two byte strings of the same length.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return CRYPTO_memcmp(a, b, a.count) == 0
    }
}

/// An owned EVP_PKEY. OpenSSL 3 keys are safe for concurrent read-only use (every signature or
/// encryption creates its own operation context), so one key is shared between tasks.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    deinit { EVP_PKEY_free(pointer) }

    /// The provider's type name: "SM2", "ED25519", "X25519", "EC", "RSA"…
    var typeName: String {
        guard let name = EVP_PKEY_get0_type_name(pointer) else { return "unknown" }
        return String(cString: name)
    }

    var isSM2: Bool { EVP_PKEY_is_a(pointer, "SM2") == 1 }

    /// The encoded public key (04‖x‖y for SM2).
    func publicOctets() throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 133)
        var length = 0
        guard cc_pkey_public_octets(pointer, &out, out.count, &length) == 1 else {
            throw ChainCryptoError.openSSL("reading the public key")
        }
        return Array(out.prefix(length))
    }

    /// Unencrypted PKCS#8 PEM of the private key, or SubjectPublicKeyInfo PEM of the public key.
    func pem(privateKey: Bool) throws -> String {
        guard let bio = cc_key_to_pem(pointer, privateKey ? 1 : 0) else {
            throw ChainCryptoError.openSSL("writing the key as PEM")
        }
        defer { BIO_free(bio) }
        var data: UnsafePointer<CChar>? = nil
        let count = cc_bio_contents(bio, &data)
        guard let data, count > 0 else { throw ChainCryptoError.openSSL("writing the key as PEM") }
        let bytes = UnsafeRawBufferPointer(start: data, count: count)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses PEM private-key text of any type libcrypto knows (the caller checks the type).
    static func privateKey(pem: String) throws -> EVPKey {
        let utf8 = Array(pem.utf8)
        guard utf8.count <= PrivateKeyFile.sizeLimit else {
            throw ChainCryptoError.invalidKey("PEM text of \(utf8.count) bytes exceeds \(PrivateKeyFile.sizeLimit)")
        }
        let parsed = utf8.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { cc_private_key_from_pem($0.baseAddress, $0.count) }
        }
        guard let parsed else {
            throw ChainCryptoError.invalidKey("not a PEM private key (\(OpenSSL.takeError()))")
        }
        return EVPKey(taking: parsed)
    }

    /// Parses PEM SubjectPublicKeyInfo text of any type libcrypto knows.
    static func publicKey(pem: String) throws -> EVPKey {
        let utf8 = Array(pem.utf8)
        guard utf8.count <= PrivateKeyFile.sizeLimit else {
            throw ChainCryptoError.invalidKey("PEM text of \(utf8.count) bytes exceeds \(PrivateKeyFile.sizeLimit)")
        }
        let parsed = utf8.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { cc_public_key_from_pem($0.baseAddress, $0.count) }
        }
        guard let parsed else {
            throw ChainCryptoError.invalidKey("not a PEM public key (\(OpenSSL.takeError()))")
        }
        return EVPKey(taking: parsed)
    }
}
