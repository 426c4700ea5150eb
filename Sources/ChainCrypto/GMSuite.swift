import ChainCore

/// The GM suite (Chinese national standards), all through OpenSSL 3's libcrypto: SM2 signatures
/// with a distinguishing ID, SM3, HMAC-SM3, SM2 public-key encryption and SM4-CTR + HMAC-SM3
/// encrypt-then-MAC with keys from HKDF-SM3.
///
/// Sealed layouts (see docs/crypto.md):
/// - delivery = 0x02 ‖ u16 n ‖ SM2 ciphertext (n bytes, DER SEQUENCE{x, y, C3, C2} of a fresh
///   32-byte secret K) ‖ iv (16) ‖ SM4-CTR ciphertext ‖ HMAC-SM3 tag (32), keys from
///   HKDF-SM3(K, salt: none, info: "creditchain/delivery/v1");
/// - at rest = 0x02 ‖ nonce (16, also the CTR iv) ‖ ciphertext ‖ tag (32), keys from
///   HKDF-SM3(key, salt: nonce, info: "creditchain/at-rest/v1").
/// The tag is HMAC-SM3(mac key, u64 len(aad) ‖ aad ‖ every sealed byte before the tag).
public struct GMSuite: CryptoSuite {
    /// The SM2 distinguishing ID used to sign and verify.
    public let distinguishingID: [UInt8]

    public init(distinguishingID: [UInt8] = SM2.defaultID) { self.distinguishingID = distinguishingID }

    public var id: SuiteID { .gm }
    public var hasher: any ChainHasher { SM3Hasher() }
    public var verifier: any ChainVerifier { SM2Verifier(id: distinguishingID) }

    public func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        guard let mac = try? SM3.hmac(key: key, message: message) else {
            preconditionFailure("HMAC-SM3 is unavailable in this libcrypto: \(OpenSSL.takeError())")
        }
        return mac
    }

    public func generateSigningKey() throws -> SigningKey {
        try SigningKey(sm2: try SM2.generate(), id: distinguishingID)
    }

    public func signingKey(pkcs8PEM: String) throws -> SigningKey {
        try SigningKey(sm2: try EVPKey.privateKey(pem: pkcs8PEM), id: distinguishingID)
    }

    public func generateEncryptionKey() throws -> EncryptionKey {
        try EncryptionKey(sm2: try SM2.generate())
    }

    public func encryptionKey(pkcs8PEM: String) throws -> EncryptionKey {
        try EncryptionKey(sm2: try EVPKey.privateKey(pem: pkcs8PEM))
    }

    /// Upper bound of the SM2 ciphertext of a 32-byte secret (DER of two coordinates, C3, C2).
    static let wrappedKeyLimit = 200
    static let secretSize = 32

    public func sealDelivery(_ plaintext: [UInt8], to recipientPublicKey: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        let recipient = try SM2.publicKey(recipientPublicKey)
        let secret = try OpenSSL.randomBytes(Self.secretSize)
        let wrapped = try SM2.encrypt(secret, to: recipient)
        precondition(wrapped.count <= Self.wrappedKeyLimit, "SM2 ciphertext of a 32-byte secret above its bound")
        var header: [UInt8] = [id.rawValue, UInt8(wrapped.count >> 8), UInt8(wrapped.count & 0xff)]
        header.append(contentsOf: wrapped)
        let keys = try SM3.hkdf(
            secret: secret, salt: [], info: SealedBytes.deliveryInfo, count: EncryptThenMAC.keysSize)
        return try EncryptThenMAC.seal(
            plaintext, header: header, iv: try OpenSSL.randomBytes(SM4.blockSize), keys: keys, aad: aad)
    }

    public func openDelivery(_ sealed: [UInt8], with key: EncryptionKey, aad: [UInt8]) throws -> [UInt8] {
        guard case .sm2(let privateKey) = key.material else {
            throw ChainCryptoError.wrongSuite("an X25519 encryption key cannot open a gm-suite delivery")
        }
        try SealedBytes.check(sealed, suite: id, minimumCount: 3 + EncryptThenMAC.overhead, what: "delivery")
        let wrappedCount = Int(sealed[1]) << 8 | Int(sealed[2])
        guard wrappedCount <= Self.wrappedKeyLimit, sealed.count >= 3 + wrappedCount + EncryptThenMAC.overhead else {
            throw ChainCryptoError.openFailed(
                "delivery truncated or its key field is over \(Self.wrappedKeyLimit) bytes")
        }
        let header = Array(sealed[0..<3 + wrappedCount])
        let secret = try SM2.decrypt(Array(header[3...]), with: privateKey)
        guard secret.count == Self.secretSize else {
            throw ChainCryptoError.openFailed("delivery key is \(secret.count) bytes, expected \(Self.secretSize)")
        }
        let keys = try SM3.hkdf(
            secret: secret, salt: [], info: SealedBytes.deliveryInfo, count: EncryptThenMAC.keysSize)
        return try EncryptThenMAC.open(sealed, headerCount: header.count, keys: keys, aad: aad, what: "delivery")
    }

    public func sealAtRest(_ plaintext: [UInt8], key: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        try SealedBytes.checkAtRestKey(key)
        let nonce = try OpenSSL.randomBytes(SM4.blockSize)
        let keys = try SM3.hkdf(secret: key, salt: nonce, info: SealedBytes.atRestInfo, count: EncryptThenMAC.keysSize)
        return try EncryptThenMAC.seal(plaintext, header: [id.rawValue], iv: nonce, keys: keys, aad: aad)
    }

    public func openAtRest(_ sealed: [UInt8], key: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        try SealedBytes.checkAtRestKey(key)
        try SealedBytes.check(sealed, suite: id, minimumCount: 1 + EncryptThenMAC.overhead, what: "sealed data")
        let nonce = Array(sealed[1..<1 + SM4.blockSize])
        let keys = try SM3.hkdf(secret: key, salt: nonce, info: SealedBytes.atRestInfo, count: EncryptThenMAC.keysSize)
        return try EncryptThenMAC.open(sealed, headerCount: 1, keys: keys, aad: aad, what: "sealed data")
    }
}

/// SM4-CTR then HMAC-SM3 over everything sealed (encrypt-then-MAC): header ‖ iv ‖ ciphertext ‖ tag.
enum EncryptThenMAC {
    /// 16 bytes of SM4 key then 32 bytes of HMAC-SM3 key.
    static let keysSize = SM4.keySize + SM3.digestSize
    /// iv + tag.
    static let overhead = SM4.blockSize + SM3.digestSize

    static func seal(_ plaintext: [UInt8], header: [UInt8], iv: [UInt8], keys: [UInt8], aad: [UInt8]) throws
        -> [UInt8]
    {
        precondition(keys.count == keysSize && iv.count == SM4.blockSize, "encrypt-then-MAC key material")
        var out = header
        out.reserveCapacity(header.count + overhead + plaintext.count)
        out.append(contentsOf: iv)
        out.append(contentsOf: try SM4.ctr(key: Array(keys[0..<SM4.keySize]), iv: iv, plaintext))
        out.append(contentsOf: try tag(macKey: Array(keys[SM4.keySize...]), aad: aad, body: out[...]))
        return out
    }

    static func open(_ sealed: [UInt8], headerCount: Int, keys: [UInt8], aad: [UInt8], what: String) throws
        -> [UInt8]
    {
        precondition(keys.count == keysSize, "encrypt-then-MAC key material")
        guard sealed.count >= headerCount + overhead else { throw ChainCryptoError.openFailed("\(what) truncated") }
        let tagStart = sealed.count - SM3.digestSize
        let expected = try tag(macKey: Array(keys[SM4.keySize...]), aad: aad, body: sealed[..<tagStart])
        guard OpenSSL.constantTimeEqual(expected, Array(sealed[tagStart...])) else {
            throw ChainCryptoError.openFailed("\(what) does not authenticate (wrong key, wrong aad or altered bytes)")
        }
        let iv = Array(sealed[headerCount..<headerCount + SM4.blockSize])
        return try SM4.ctr(
            key: Array(keys[0..<SM4.keySize]), iv: iv, Array(sealed[(headerCount + SM4.blockSize)..<tagStart]))
    }

    /// HMAC-SM3(macKey, u64 len(aad) ‖ aad ‖ body): the length prefix keeps aad and body apart.
    private static func tag(macKey: [UInt8], aad: [UInt8], body: ArraySlice<UInt8>) throws -> [UInt8] {
        var input = [UInt8]()
        input.reserveCapacity(8 + aad.count + body.count)
        let count = UInt64(aad.count)
        for shift in stride(from: 56, through: 0, by: -8) {
            input.append(UInt8(truncatingIfNeeded: count >> UInt64(shift)))
        }
        input.append(contentsOf: aad)
        input.append(contentsOf: body)
        return try SM3.hmac(key: macKey, message: input)
    }
}
