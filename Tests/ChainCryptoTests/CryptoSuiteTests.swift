import ChainCore
import Testing

@testable import ChainCrypto

/// The behaviour both suites share, run once per suite.
@Suite struct CryptoSuiteTests {
    static let message = Array("creditchain/test message".utf8)

    /// Every byte position of `bytes` with one bit flipped (a different bit per position).
    static func oneBitFlips(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.indices.map { index in
            var copy = bytes
            copy[index] ^= UInt8(1 << (index % 8))
            return copy
        }
    }

    @Test(arguments: SuiteID.allCases)
    func suiteLookup(id: SuiteID) {
        let suite = CryptoSuites.suite(id)
        #expect(suite.id == id)
        #expect(suite.verifier.suite == id)
    }

    @Test(arguments: SuiteID.allCases)
    func hashIsThirtyTwoBytesAndDomainSeparated(id: SuiteID) {
        let hasher = CryptoSuites.suite(id).hasher
        let plain = hasher.digest(Self.message)
        #expect(plain == hasher.digest(Self.message))
        #expect(plain != hasher.digest(Self.message + [0]))
        #expect(hasher.hash(.record, Self.message) != hasher.hash(.subject, Self.message))
        #expect(hasher.hash(.record, Self.message) == hasher.digest(DomainSeparation.hashInput(.record, Self.message)))
    }

    @Test func suitesHashDifferently() {
        #expect(CryptoSuites.suite(.standard).hasher.digest([]) != CryptoSuites.suite(.gm).hasher.digest([]))
    }

    @Test(arguments: SuiteID.allCases)
    func hmacDependsOnKeyAndMessage(id: SuiteID) {
        let suite = CryptoSuites.suite(id)
        let mac = suite.hmac(key: [1, 2, 3], message: Self.message)
        #expect(mac.count == 32)
        #expect(mac == suite.hmac(key: [1, 2, 3], message: Self.message))
        #expect(mac != suite.hmac(key: [1, 2, 4], message: Self.message))
        #expect(mac != suite.hmac(key: [1, 2, 3], message: Self.message + [0]))
        #expect(suite.hmac(key: [], message: []).count == 32)
    }

    /// RFC 4231 test case 2 pins HMAC-SHA256; for HMAC-SM3 (no published vector in the shared
    /// set) the RFC 2104 construction is recomputed from SM3 itself.
    @Test func hmacMatchesItsDefinition() throws {
        let rfc4231 = StandardSuite().hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(rfc4231) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let key = Array("key".utf8)
        let data = Array("The quick brown fox jumps over the lazy dog".utf8)
        let block = key + [UInt8](repeating: 0, count: 64 - key.count)
        let inner = try SM3.hash(block.map { $0 ^ 0x36 } + data)
        let outer = try SM3.hash(block.map { $0 ^ 0x5c } + inner)
        #expect(GMSuite().hmac(key: key, message: data) == outer)
    }

    @Test(arguments: SuiteID.allCases)
    func signAndVerify(id: SuiteID) throws {
        let suite = CryptoSuites.suite(id)
        let key = try suite.generateSigningKey()
        #expect(key.suite == id)
        #expect(key.publicKey.count == (id == .standard ? 32 : 65))
        let signature = try key.sign(Self.message)
        #expect(suite.verifier.verify(signature: signature, message: Self.message, publicKey: key.publicKey))
        #expect(!suite.verifier.verify(signature: signature, message: Self.message + [0], publicKey: key.publicKey))
        let other = try suite.generateSigningKey()
        #expect(!suite.verifier.verify(signature: signature, message: Self.message, publicKey: other.publicKey))
        for tampered in Self.oneBitFlips(signature) {
            #expect(!suite.verifier.verify(signature: tampered, message: Self.message, publicKey: key.publicKey))
        }
        #expect(!suite.verifier.verify(signature: [], message: Self.message, publicKey: key.publicKey))
        #expect(!suite.verifier.verify(signature: signature + [0], message: Self.message, publicKey: key.publicKey))
        #expect(!suite.verifier.verify(signature: signature, message: Self.message, publicKey: []))
    }

    @Test(arguments: SuiteID.allCases)
    func domainSeparatedSignatures(id: SuiteID) throws {
        let suite = CryptoSuites.suite(id)
        let key = try suite.generateSigningKey()
        let chain = ChainID(Hash(w0: 1, w1: 2, w2: 3, w3: 4))
        let otherChain = ChainID(Hash(w0: 1, w1: 2, w2: 3, w3: 5))
        let signature = try key.sign(.transaction, chainID: chain, Self.message)
        #expect(
            suite.verifier.verify(
                signature: signature, domain: .transaction, chainID: chain, canonical: Self.message,
                publicKey: key.publicKey))
        #expect(
            !suite.verifier.verify(
                signature: signature, domain: .transaction, chainID: otherChain, canonical: Self.message,
                publicKey: key.publicKey))
        #expect(
            !suite.verifier.verify(
                signature: signature, domain: .record, chainID: chain, canonical: Self.message,
                publicKey: key.publicKey))
    }

    @Test(arguments: SuiteID.allCases)
    func signingKeyPEMRoundTrip(id: SuiteID) throws {
        let suite = CryptoSuites.suite(id)
        let key = try suite.generateSigningKey()
        #expect(key.pkcs8PEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(key.publicKeyPEM.hasPrefix("-----BEGIN PUBLIC KEY-----"))
        let loaded = try suite.signingKey(pkcs8PEM: key.pkcs8PEM)
        #expect(loaded.publicKey == key.publicKey)
        let signature = try loaded.sign(Self.message)
        #expect(suite.verifier.verify(signature: signature, message: Self.message, publicKey: key.publicKey))
    }

    @Test(arguments: SuiteID.allCases)
    func encryptionKeyPEMRoundTrip(id: SuiteID) throws {
        let suite = CryptoSuites.suite(id)
        let key = try suite.generateEncryptionKey()
        #expect(key.suite == id)
        #expect(key.publicKey.count == (id == .standard ? 32 : 65))
        let loaded = try suite.encryptionKey(pkcs8PEM: key.pkcs8PEM)
        #expect(loaded.publicKey == key.publicKey)
        let sealed = try suite.sealDelivery(Self.message, to: key.publicKey, aad: [])
        #expect(try suite.openDelivery(sealed, with: loaded, aad: []) == Self.message)
    }

    @Test(arguments: SuiteID.allCases)
    func publicKeyPEMParsesBackWithinItsSuite(id: SuiteID) throws {
        let suite = CryptoSuites.suite(id)
        let other = CryptoSuites.suite(id == .standard ? .gm : .standard)
        let signing = try suite.generateSigningKey()
        let encryption = try suite.generateEncryptionKey()
        #expect(try suite.publicKey(pem: signing.publicKeyPEM) == signing.publicKey)
        #expect(try suite.publicKey(pem: encryption.publicKeyPEM) == encryption.publicKey)
        let error = #expect(throws: ChainCryptoError.self) { try other.publicKey(pem: signing.publicKeyPEM) }
        #expect(error?.code == "crypto.wrong_suite")
        #expect(throws: ChainCryptoError.self) { try suite.publicKey(pem: signing.pkcs8PEM) }
    }

    /// One key shared by concurrent tasks (as the mempool and consensus do) signs and verifies
    /// correctly in every task.
    @Test(arguments: SuiteID.allCases)
    func concurrentUseOfOneKey(id: SuiteID) async throws {
        let suite = CryptoSuites.suite(id)
        let key = try suite.generateSigningKey()
        let encryption = try suite.generateEncryptionKey()
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var ok = true
                    for round in 0..<25 {
                        let message = [UInt8(task), UInt8(round)]
                        let signature = try key.sign(message)
                        if !suite.verifier.verify(signature: signature, message: message, publicKey: key.publicKey) {
                            ok = false
                        }
                        let sealed = try suite.sealDelivery(message, to: encryption.publicKey, aad: [])
                        let opened = try suite.openDelivery(sealed, with: encryption, aad: [])
                        if opened != message { ok = false }
                    }
                    return ok
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == [Bool](repeating: true, count: 8))
    }

    @Test(arguments: SuiteID.allCases)
    func deliveryRoundTripAndTamper(id: SuiteID) throws {
        let suite = CryptoSuites.suite(id)
        let key = try suite.generateEncryptionKey()
        let aad = Array("order 42".utf8)
        for plaintext in [[], Self.message, [UInt8](repeating: 0xab, count: 10_000)] {
            let sealed = try suite.sealDelivery(plaintext, to: key.publicKey, aad: aad)
            #expect(sealed.first == id.rawValue)
            #expect(try suite.openDelivery(sealed, with: key, aad: aad) == plaintext)
            // Fresh randomness per delivery: the same plaintext never seals to the same bytes.
            #expect(try suite.sealDelivery(plaintext, to: key.publicKey, aad: aad) != sealed)
        }
        let sealed = try suite.sealDelivery(Self.message, to: key.publicKey, aad: aad)
        for tampered in Self.oneBitFlips(sealed) {
            #expect(throws: ChainCryptoError.self) { try suite.openDelivery(tampered, with: key, aad: aad) }
        }
        #expect(throws: ChainCryptoError.self) { try suite.openDelivery(sealed, with: key, aad: aad + [0]) }
        #expect(throws: ChainCryptoError.self) { try suite.openDelivery(Array(sealed.dropLast()), with: key, aad: aad) }
        #expect(throws: ChainCryptoError.self) { try suite.openDelivery([], with: key, aad: aad) }
        let stranger = try suite.generateEncryptionKey()
        #expect(throws: ChainCryptoError.self) { try suite.openDelivery(sealed, with: stranger, aad: aad) }
    }

    @Test(arguments: SuiteID.allCases)
    func atRestRoundTripAndTamper(id: SuiteID) throws {
        let suite = CryptoSuites.suite(id)
        let key = [UInt8](repeating: 7, count: 32)
        let aad = Array("vault/record/1".utf8)
        for plaintext in [[], Self.message, [UInt8](repeating: 0xcd, count: 100_000)] {
            let sealed = try suite.sealAtRest(plaintext, key: key, aad: aad)
            #expect(sealed.first == id.rawValue)
            #expect(try suite.openAtRest(sealed, key: key, aad: aad) == plaintext)
            #expect(try suite.sealAtRest(plaintext, key: key, aad: aad) != sealed)
        }
        let sealed = try suite.sealAtRest(Self.message, key: key, aad: aad)
        for tampered in Self.oneBitFlips(sealed) {
            #expect(throws: ChainCryptoError.self) { try suite.openAtRest(tampered, key: key, aad: aad) }
        }
        var otherKey = key
        otherKey[31] ^= 1
        #expect(throws: ChainCryptoError.self) { try suite.openAtRest(sealed, key: otherKey, aad: aad) }
        #expect(throws: ChainCryptoError.self) { try suite.openAtRest(sealed, key: key, aad: []) }
        let shortKey = #expect(throws: ChainCryptoError.self) {
            try suite.sealAtRest(Self.message, key: [UInt8](repeating: 7, count: 16), aad: aad)
        }
        #expect(shortKey?.code == "crypto.invalid_key")
    }

    /// Keys, signatures and sealed bytes of one suite given to the other fail with a clear error.
    @Test(arguments: SuiteID.allCases)
    func wrongSuiteInputIsRejected(id: SuiteID) throws {
        let suite = CryptoSuites.suite(id)
        let other = CryptoSuites.suite(id == .standard ? .gm : .standard)

        let foreignSigning = try other.generateSigningKey()
        let loadSigning = #expect(throws: ChainCryptoError.self) {
            try suite.signingKey(pkcs8PEM: foreignSigning.pkcs8PEM)
        }
        #expect(loadSigning?.code == "crypto.wrong_suite")
        let foreignSignature = try foreignSigning.sign(Self.message)
        #expect(
            !suite.verifier.verify(
                signature: foreignSignature, message: Self.message, publicKey: foreignSigning.publicKey))

        let foreignEncryption = try other.generateEncryptionKey()
        let loadEncryption = #expect(throws: ChainCryptoError.self) {
            try suite.encryptionKey(pkcs8PEM: foreignEncryption.pkcs8PEM)
        }
        #expect(loadEncryption?.code == "crypto.wrong_suite")
        let sealTo = #expect(throws: ChainCryptoError.self) {
            try suite.sealDelivery(Self.message, to: foreignEncryption.publicKey, aad: [])
        }
        #expect(sealTo?.code == "crypto.wrong_suite")
        let foreignDelivery = try other.sealDelivery(Self.message, to: foreignEncryption.publicKey, aad: [])
        let open = #expect(throws: ChainCryptoError.self) {
            try suite.openDelivery(foreignDelivery, with: try suite.generateEncryptionKey(), aad: [])
        }
        #expect(open?.code == "crypto.wrong_suite")
        let openWithForeignKey = #expect(throws: ChainCryptoError.self) {
            try suite.openDelivery(foreignDelivery, with: foreignEncryption, aad: [])
        }
        #expect(openWithForeignKey?.code == "crypto.wrong_suite")

        let key = [UInt8](repeating: 9, count: 32)
        let foreignSealed = try other.sealAtRest(Self.message, key: key, aad: [])
        let openAtRest = #expect(throws: ChainCryptoError.self) {
            try suite.openAtRest(foreignSealed, key: key, aad: [])
        }
        #expect(openAtRest?.code == "crypto.wrong_suite")
    }

    @Test(arguments: SuiteID.allCases)
    func malformedPEMIsRejected(id: SuiteID) {
        let suite = CryptoSuites.suite(id)
        for text in ["", "not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"] {
            let error = #expect(throws: ChainCryptoError.self) { try suite.signingKey(pkcs8PEM: text) }
            #expect(error?.code == "crypto.invalid_key")
            #expect(throws: ChainCryptoError.self) { try suite.encryptionKey(pkcs8PEM: text) }
        }
    }
}
