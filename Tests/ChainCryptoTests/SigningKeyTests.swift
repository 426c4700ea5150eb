import ChainCore
import Testing

@testable import ChainCrypto

@Suite struct SigningKeyTests {
    @Test func ed25519SeedIsDeterministic() throws {
        let seed = [UInt8](repeating: 3, count: 32)
        let a = try SigningKey.ed25519(seed: seed)
        let b = try SigningKey.ed25519(seed: seed)
        #expect(a.suite == .standard)
        #expect(a.publicKey == b.publicKey)
        #expect(try a.sign([1, 2, 3]) == b.sign([1, 2, 3]))
        #expect(a.pkcs8PEM == b.pkcs8PEM)
        #expect(try SigningKey.ed25519(seed: [UInt8](repeating: 4, count: 32)).publicKey != a.publicKey)
    }

    @Test(arguments: [0, 31, 33, 64])
    func ed25519SeedOfWrongLengthIsRejected(length: Int) {
        let error = #expect(throws: ChainCryptoError.self) {
            try SigningKey.ed25519(seed: [UInt8](repeating: 1, count: length))
        }
        #expect(error?.code == "crypto.invalid_key")
    }

    @Test func sm2SignaturesAreDERAndRandomised() throws {
        let key = try GMSuite().generateSigningKey()
        #expect(key.publicKey.first == 0x04)
        let a = try key.sign([1])
        let b = try key.sign([1])
        #expect(a != b)
        #expect(a.first == 0x30)
        #expect(a.count <= SM2.maxSignatureSize)
    }

    /// The public-key PEM is SubjectPublicKeyInfo carrying the same raw key.
    @Test(arguments: SuiteID.allCases)
    func publicKeyPEMCarriesTheRawKey(id: SuiteID) throws {
        let key = try CryptoSuites.suite(id).generateSigningKey()
        let parsed = try EVPKey.publicKey(pem: key.publicKeyPEM)
        #expect(parsed.typeName == (id == .standard ? "ED25519" : "SM2"))
        #expect(try parsed.publicOctets() == key.publicKey)
    }

    /// The GM suite with a non-default distinguishing ID signs what only that ID verifies.
    @Test func distinguishingIDIsBoundIntoSignatures() throws {
        let custom = GMSuite(distinguishingID: Array("creditchain-bank".utf8))
        let key = try custom.generateSigningKey()
        let signature = try key.sign([9, 9])
        #expect(custom.verifier.verify(signature: signature, message: [9, 9], publicKey: key.publicKey))
        #expect(!GMSuite().verifier.verify(signature: signature, message: [9, 9], publicKey: key.publicKey))
    }
}
