import ChainCore
import Foundation
import Testing

/// The published vectors of Vectors/crypto.json (GB/T 32905, GB/T 32907, GB/T 32918.5, RFC 8032,
/// FIPS 180-4).
struct CryptoVectors: Decodable {
    struct DigestVector: Decodable {
        let msgAscii: String
        let digest: String
    }

    struct SM4Vector: Decodable {
        let key: String
        let plaintext: String
        let ciphertext: String
        let iterations: Int?
    }

    struct SM2Vector: Decodable {
        let privateKey: String
        let publicKeyUncompressed: String
        let idAscii: String
        let msgAscii: String
        let r: String
        let s: String
    }

    struct Ed25519Vector: Decodable {
        let privateKey: String
        let publicKey: String
        let msg: String
        let signature: String
    }

    let sha256: [DigestVector]
    let sm3: [DigestVector]
    let sm4Ecb: [SM4Vector]
    let sm2Sign: [SM2Vector]
    let ed25519: [Ed25519Vector]

    static func load() throws -> CryptoVectors {
        let url = try #require(
            Bundle.module.url(forResource: "crypto", withExtension: "json", subdirectory: "Vectors"),
            "Vectors/crypto.json is missing from the test bundle")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(CryptoVectors.self, from: Data(contentsOf: url))
    }
}

/// Hex test input; a malformed literal is a broken test, so it fails the test rather than crash.
func hexBytes(_ hex: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
    try #require(Hex.decode(hex), "malformed hex in a test vector", sourceLocation: sourceLocation)
}
