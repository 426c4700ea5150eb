import ChainCore
import Testing

@testable import ChainCrypto

/// Published known answers for every primitive of both suites.
@Suite struct KnownAnswerTests {
    let vectors: CryptoVectors

    init() throws { vectors = try CryptoVectors.load() }

    @Test func sha256() throws {
        #expect(!vectors.sha256.isEmpty)
        for vector in vectors.sha256 {
            let message = Array(vector.msgAscii.utf8)
            #expect(SHA256Hasher().digest(message).hex == vector.digest)
            // The streamed two-part digest is the digest of the concatenation, at every split.
            for cut in Set([0, message.count / 2, message.count]) {
                let head = Array(message[..<cut])
                let tail = Array(message[cut...])
                #expect(SHA256Hasher().digest(head, tail).hex == vector.digest)
                #expect(SM3Hasher().digest(head, tail) == SM3Hasher().digest(message))
            }
        }
    }

    @Test func sm3() throws {
        #expect(vectors.sm3.count >= 2)
        for vector in vectors.sm3 {
            #expect(Hex.encode(try SM3.hash(Array(vector.msgAscii.utf8))) == vector.digest)
            #expect(SM3Hasher().digest(Array(vector.msgAscii.utf8)).hex == vector.digest)
        }
    }

    @Test func sm4ECB() throws {
        #expect(vectors.sm4Ecb.contains { $0.iterations == 1_000_000 })
        for vector in vectors.sm4Ecb {
            let key = try hexBytes(vector.key)
            let plaintext = try hexBytes(vector.plaintext)
            let ciphertext: [UInt8]
            if let iterations = vector.iterations {
                ciphertext = try SM4.encryptECB(key: key, block: plaintext, iterations: iterations)
            } else {
                ciphertext = try SM4.encryptECB(key: key, plaintext)
            }
            #expect(Hex.encode(ciphertext) == vector.ciphertext)
        }
    }

    /// OpenSSL cannot be given the vector's k, so the published signature is verified, not
    /// reproduced; it must fail without the distinguishing ID (OpenSSL 3.0 hashes an empty ID
    /// unless one is set) and for any other message.
    @Test func sm2SignatureVectorVerifies() throws {
        #expect(!vectors.sm2Sign.isEmpty)
        for vector in vectors.sm2Sign {
            let publicKey = try hexBytes(vector.publicKeyUncompressed)
            let raw = try hexBytes(vector.r + vector.s)
            let der = try SM2.derSignature(fromRaw: raw)
            let message = Array(vector.msgAscii.utf8)
            let verifier = SM2Verifier(id: Array(vector.idAscii.utf8))
            #expect(vector.idAscii == "1234567812345678")
            #expect(verifier.verify(signature: der, message: message, publicKey: publicKey))
            #expect(GMSuite().verifier.verify(signature: der, message: message, publicKey: publicKey))
            #expect(!SM2Verifier(id: []).verify(signature: der, message: message, publicKey: publicKey))
            #expect(!verifier.verify(signature: der, message: message + [0x20], publicKey: publicKey))
            #expect(try SM2.rawSignature(fromDER: der) == raw)
        }
    }

    @Test func ed25519RFC8032() throws {
        #expect(vectors.ed25519.count >= 2)
        for vector in vectors.ed25519 {
            let key = try SigningKey.ed25519(seed: try hexBytes(vector.privateKey))
            #expect(Hex.encode(key.publicKey) == vector.publicKey)
            let message = try hexBytes(vector.msg)
            let signature = try key.sign(message)
            #expect(Hex.encode(signature) == vector.signature)
            #expect(
                StandardSuite().verifier.verify(
                    signature: try hexBytes(vector.signature), message: message, publicKey: key.publicKey))
        }
    }
}
