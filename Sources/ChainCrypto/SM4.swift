import COpenSSL

/// SM4 (GB/T 32907) through libcrypto's EVP_CIPHER "SM4-ECB" and "SM4-CTR". ECB exists only for
/// the known-answer tests; payloads use CTR inside an encrypt-then-MAC construction.
public enum SM4 {
    /// Key size in bytes.
    public static let keySize = 16
    /// Block size (and CTR initial counter size) in bytes.
    public static let blockSize = 16

    /// ECB-encrypts whole blocks (no padding).
    public static func encryptECB(key: [UInt8], _ blocks: [UInt8]) throws -> [UInt8] {
        try checkKey(key)
        guard blocks.count % blockSize == 0 else {
            throw ChainCryptoError(code: "crypto.bad_length", reason: "SM4-ECB needs whole 16-byte blocks")
        }
        return try cipher(try OpenSSL.requireAlgorithms().sm4ECB, encrypt: true, key: key, iv: nil, blocks)
    }

    /// Encrypts one block `iterations` times with the same key (GB/T 32907's 1,000,000-round check).
    public static func encryptECB(key: [UInt8], block: [UInt8], iterations: Int) throws -> [UInt8] {
        try checkKey(key)
        guard block.count == blockSize, iterations >= 0 else {
            throw ChainCryptoError(code: "crypto.bad_length", reason: "expected one 16-byte block")
        }
        var state = block
        guard cc_block_iterate(try OpenSSL.requireAlgorithms().sm4ECB, key, &state, UInt(iterations)) == 1 else {
            throw ChainCryptoError.openSSL("SM4-ECB")
        }
        return state
    }

    /// SM4-CTR keystream XOR (encryption and decryption are the same operation). The 16-byte `iv`
    /// is the initial counter block; it must never repeat under one key.
    public static func ctr(key: [UInt8], iv: [UInt8], _ data: [UInt8]) throws -> [UInt8] {
        try checkKey(key)
        guard iv.count == blockSize else {
            throw ChainCryptoError(code: "crypto.bad_length", reason: "SM4-CTR needs a 16-byte initial counter")
        }
        return try cipher(try OpenSSL.requireAlgorithms().sm4CTR, encrypt: true, key: key, iv: iv, data)
    }

    private static func checkKey(_ key: [UInt8]) throws {
        guard key.count == keySize else {
            throw ChainCryptoError.invalidKey("an SM4 key is 16 bytes, got \(key.count)")
        }
    }

    private static func cipher(
        _ cipher: OpaquePointer, encrypt: Bool, key: [UInt8], iv: [UInt8]?, _ data: [UInt8]
    ) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: data.count)
        let mode: Int32 = encrypt ? 1 : 0
        let ok: Int32
        if let iv {
            ok = cc_cipher(cipher, mode, key, iv, data, data.count, &out)
        } else {
            ok = cc_cipher(cipher, mode, key, nil, data, data.count, &out)
        }
        guard ok == 1 else { throw ChainCryptoError.openSSL("SM4") }
        return out
    }
}
