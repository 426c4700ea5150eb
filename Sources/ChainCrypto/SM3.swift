import COpenSSL
import ChainCore

/// SM3 (GB/T 32905), HMAC-SM3 and HKDF-SM3 through libcrypto's EVP_MD "SM3".
public enum SM3 {
    /// Digest size in bytes.
    public static let digestSize = 32

    /// The SM3 digest of `data`.
    public static func hash(_ data: [UInt8]) throws -> [UInt8] {
        let md = try OpenSSL.requireAlgorithms().sm3
        var out = [UInt8](repeating: 0, count: digestSize)
        var length: UInt32 = 0
        guard EVP_Digest(data, data.count, &out, &length, md, nil) == 1, length == digestSize else {
            throw ChainCryptoError.openSSL("SM3")
        }
        return out
    }

    /// HMAC-SM3 (RFC 2104 with SM3) of `message` under `key`.
    public static func hmac(key: [UInt8], message: [UInt8]) throws -> [UInt8] {
        let md = try OpenSSL.requireAlgorithms().sm3
        var out = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        guard cc_hmac(md, key, key.count, message, message.count, &out, &length) == 1, length == digestSize else {
            throw ChainCryptoError.openSSL("HMAC-SM3")
        }
        return Array(out.prefix(digestSize))
    }

    /// HKDF (RFC 5869) with SM3: `count` bytes of key material from `secret`.
    static func hkdf(secret: [UInt8], salt: [UInt8], info: [UInt8], count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard cc_hkdf("SM3", secret, secret.count, salt, salt.count, info, info.count, &out, count) == 1 else {
            throw ChainCryptoError.openSSL("HKDF-SM3")
        }
        return out
    }
}

/// The GM suite's `ChainHasher`: SM3.
public struct SM3Hasher: ChainHasher {
    public init() {}

    public func digest(_ data: [UInt8]) -> Hash {
        // The hasher cannot throw; SM3 is missing only when libcrypto is not OpenSSL 3, which makes
        // the whole GM suite unusable, so this is an installation invariant.
        guard let bytes = try? SM3.hash(data) else {
            preconditionFailure("SM3 is unavailable in this libcrypto: \(OpenSSL.takeError())")
        }
        return Hash(digest: bytes)
    }
}

extension Hash {
    /// A hash from a digest that is 32 bytes by construction.
    init(digest bytes: [UInt8]) {
        guard let hash = try? Hash(bytes: bytes) else { preconditionFailure("a digest is 32 bytes") }
        self = hash
    }
}
