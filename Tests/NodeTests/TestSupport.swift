import ChainCore
import Crypto
import Foundation
import Ledger

/// SHA-256 as a `ChainHasher`, for tests that need real digests without a suite.
struct TestSHA256: ChainHasher {
    func digest(_ data: [UInt8]) -> Hash {
        // swift-format-ignore: NeverUseForceTry
        try! Hash(bytes: Array(SHA256.hash(data: data)))
    }
}

/// Ed25519 signer and verifier over swift-crypto, for admission tests.
struct TestEd25519Signer: ChainSigner {
    let key = Curve25519.Signing.PrivateKey()
    var suite: SuiteID { .standard }
    var publicKey: [UInt8] { Array(key.publicKey.rawRepresentation) }
    func sign(_ message: [UInt8]) throws -> [UInt8] { Array(try key.signature(for: message)) }
}

struct TestEd25519Verifier: ChainVerifier {
    var suite: SuiteID { .standard }
    func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}

func member(_ s: String) -> MemberID {
    // swift-format-ignore: NeverUseForceTry
    try! MemberID(s)
}

/// A fresh temporary directory.
func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "creditchain-node-test-" + UUID().uuidString
    // swift-format-ignore: NeverUseForceTry
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
