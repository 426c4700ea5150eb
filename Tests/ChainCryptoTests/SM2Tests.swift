import ChainCore
import Testing

@testable import ChainCrypto

@Suite struct SM2Tests {
    @Test func derAndRawSignaturesConvertBothWays() throws {
        let key = try GMSuite().generateSigningKey()
        for round in 0..<20 {
            let der = try key.sign([UInt8(round)])
            let raw = try SM2.rawSignature(fromDER: der)
            #expect(raw.count == 64)
            #expect(try SM2.derSignature(fromRaw: raw) == der)
        }
        // Leading zero bytes of r and s are dropped in DER and restored in r‖s.
        let small = [UInt8](repeating: 0, count: 31) + [5] + [UInt8](repeating: 0, count: 31) + [7]
        let der = try SM2.derSignature(fromRaw: small)
        #expect(der == [0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07])
        #expect(try SM2.rawSignature(fromDER: der) == small)
    }

    @Test func malformedSignaturesAreRejected() throws {
        #expect(throws: ChainCryptoError.self) { try SM2.derSignature(fromRaw: [UInt8](repeating: 1, count: 63)) }
        #expect(throws: ChainCryptoError.self) { try SM2.rawSignature(fromDER: []) }
        #expect(throws: ChainCryptoError.self) { try SM2.rawSignature(fromDER: [0x30, 0x00]) }
        #expect(throws: ChainCryptoError.self) { try SM2.rawSignature(fromDER: [UInt8](repeating: 0x30, count: 73)) }
        let der = try SM2.derSignature(fromRaw: [UInt8](repeating: 1, count: 64))
        #expect(throws: ChainCryptoError.self) { try SM2.rawSignature(fromDER: der + [0]) }
    }

    @Test func publicKeysMustBeUncompressedPointsOnTheCurve() throws {
        let key = try GMSuite().generateSigningKey()
        var offCurve = key.publicKey
        offCurve[64] ^= 1
        let notOnCurve = #expect(throws: ChainCryptoError.self) { try SM2.publicKey(offCurve) }
        #expect(notOnCurve?.code == "crypto.invalid_key")
        var compressedTag = key.publicKey
        compressedTag[0] = 0x02
        #expect(throws: ChainCryptoError.self) { try SM2.publicKey(compressedTag) }
        let ed25519 = #expect(throws: ChainCryptoError.self) { try SM2.publicKey([UInt8](repeating: 1, count: 32)) }
        #expect(ed25519?.code == "crypto.wrong_suite")
        let signature = try key.sign([1])
        #expect(!SM2Verifier().verify(signature: signature, message: [1], publicKey: offCurve))
    }

    @Test func publicKeyCacheStaysBoundedAndReturnsTheSameKey() throws {
        let cache = PublicKeyCache(limit: 2)
        let keys = try (0..<3).map { _ in try GMSuite().generateSigningKey().publicKey }
        let first = try cache.key(keys[0])
        #expect(try cache.key(keys[0]) === first)
        _ = try cache.key(keys[1])
        #expect(cache.count == 2)
        _ = try cache.key(keys[2])
        #expect(cache.count <= 2)
        #expect(throws: ChainCryptoError.self) { try cache.key([UInt8](repeating: 4, count: 65)) }
        #expect(cache.count <= 2)
    }

    /// A signature made by OpenSSL for an EC key on the SM2 curve would be ECDSA; keys created here
    /// are EVP_PKEY_SM2, and their signatures pass the SM2 verification of the published example's
    /// algorithm (checked against gmssl in SM2InteropTests).
    @Test func generatedKeysAreSM2Keys() throws {
        let key = try SM2.generate()
        #expect(key.isSM2)
        #expect(key.typeName == "SM2")
    }
}
