import ChainCore
import Testing

@testable import ChainCrypto

/// A small deterministic generator (SplitMix64) so a failing input replays exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random and truncated bytes given to every decoder-like entry point fail with an error or
/// `false`, never a crash.
@Suite struct MalformedInputTests {
    static func randomBlobs(seed: UInt64, count: Int, prefix: [UInt8] = []) -> [[UInt8]] {
        var rng = SplitMix64(state: seed)
        return (0..<count).map { _ in
            let length = Int.random(in: 0...300, using: &rng)
            return prefix + (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
    }

    @Test(arguments: SuiteID.allCases)
    func randomSealedBytesNeverOpen(id: SuiteID) throws {
        let suite = CryptoSuites.suite(id)
        let key = try suite.generateEncryptionKey()
        let restKey = [UInt8](repeating: 1, count: 32)
        // With the right suite byte, so the parsers past it are exercised too.
        for blob in Self.randomBlobs(seed: 1, count: 200) + Self.randomBlobs(seed: 2, count: 200, prefix: [id.rawValue])
        {
            #expect(throws: ChainCryptoError.self) { try suite.openDelivery(blob, with: key, aad: []) }
            #expect(throws: ChainCryptoError.self) { try suite.openAtRest(blob, key: restKey, aad: []) }
        }
    }

    @Test(arguments: SuiteID.allCases)
    func everyTruncationOfASealedDeliveryFails(id: SuiteID) throws {
        let suite = CryptoSuites.suite(id)
        let key = try suite.generateEncryptionKey()
        let sealed = try suite.sealDelivery(Array("truncate me".utf8), to: key.publicKey, aad: [])
        for length in 0..<sealed.count {
            #expect(throws: ChainCryptoError.self) {
                try suite.openDelivery(Array(sealed.prefix(length)), with: key, aad: [])
            }
        }
    }

    @Test(arguments: SuiteID.allCases)
    func randomSignaturesAndKeysNeverVerify(id: SuiteID) throws {
        let suite = CryptoSuites.suite(id)
        let key = try suite.generateSigningKey()
        let signature = try key.sign([1])
        for blob in Self.randomBlobs(seed: 3, count: 300) {
            #expect(!suite.verifier.verify(signature: blob, message: [1], publicKey: key.publicKey))
            #expect(!suite.verifier.verify(signature: signature, message: [1], publicKey: blob))
        }
        for blob in Self.randomBlobs(seed: 4, count: 300, prefix: [0x30]) {
            _ = try? SM2.rawSignature(fromDER: blob)
            #expect(!suite.verifier.verify(signature: blob, message: [1], publicKey: key.publicKey))
        }
    }

    @Test func randomPEMTextIsRejected() {
        var rng = SplitMix64(state: 5)
        for _ in 0..<100 {
            let body = (0..<Int.random(in: 0...200, using: &rng)).map { _ in
                Character(UnicodeScalar(UInt8.random(in: 0x2b...0x7a, using: &rng)))
            }
            let pem = "-----BEGIN PRIVATE KEY-----\n\(String(body))\n-----END PRIVATE KEY-----\n"
            for id in SuiteID.allCases {
                #expect(throws: ChainCryptoError.self) { try CryptoSuites.suite(id).signingKey(pkcs8PEM: pem) }
                #expect(throws: ChainCryptoError.self) { try CryptoSuites.suite(id).publicKey(pem: pem) }
            }
        }
    }
}
