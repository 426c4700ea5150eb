import ChainCore
import Crypto
import Ledger

/// SHA-256 as a `ChainHasher` (the standard suite's hash) for the tests.
struct SHA256Hasher: ChainHasher {
    func digest(_ data: [UInt8]) -> Hash {
        // swift-format-ignore: NeverUseForceTry
        try! Hash(bytes: Array(SHA256.hash(data: data)))
    }
}

/// Real Ed25519 (RFC 8032) through swift-crypto.
struct Ed25519TestSigner: ChainSigner {
    let key: Curve25519.Signing.PrivateKey
    init(seed: UInt8) {
        // swift-format-ignore: NeverUseForceTry
        key = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32))
    }
    var suite: SuiteID { .standard }
    var publicKey: [UInt8] { Array(key.publicKey.rawRepresentation) }
    func sign(_ message: [UInt8]) throws -> [UInt8] { Array(try key.signature(for: message)) }
}

struct Ed25519TestVerifier: ChainVerifier {
    var suite: SuiteID { .standard }
    func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}

let testChainID = ChainID(SHA256Hasher().hash(Domain.genesis, Array("ledger-tests".utf8)))

func member(_ s: String) -> MemberID {
    // swift-format-ignore: NeverUseForceTry
    try! MemberID(s)
}

func transaction(_ i: Int, kind: UInt16 = KeyValueTestApplication.putKind, payload: [UInt8]? = nil)
    -> TransactionEnvelope
{
    var id = [UInt8](repeating: 0, count: 16)
    id[15] = UInt8(truncatingIfNeeded: i)
    id[14] = UInt8(truncatingIfNeeded: i >> 8)
    return TransactionEnvelope(
        suite: .standard, signer: member("client"), uniqueID: id, expiry: Height(100), kind: kind,
        payload: payload
            ?? KeyValueTestApplication.putPayload(key: Array("k\(i % 7)".utf8), value: Array("v\(i)".utf8)))
}
