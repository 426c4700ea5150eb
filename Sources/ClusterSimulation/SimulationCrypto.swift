import ChainCore
import Crypto

/// SHA-256 as a `ChainHasher` (the standard suite's hash), for simulated blocks and headers.
public struct SimulationHasher: ChainHasher {
    public init() {}

    public func digest(_ data: [UInt8]) -> Hash {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        SHA256.hash(data: data).withUnsafeBytes { raw in
            func word(_ i: Int) -> UInt64 {
                var w: UInt64 = 0
                for j in 0..<8 { w = w << 8 | UInt64(raw[i * 8 + j]) }
                return w
            }
            words = (word(0), word(1), word(2), word(3))
        }
        return Hash(w0: words.0, w1: words.1, w2: words.2, w3: words.3)
    }
}

/// A fast, deterministic *test* signature scheme: the "public key" is the secret and a signature
/// is a 16-byte keyed digest of the message. It is forgeable by anyone who knows the key, which
/// in the simulator is only the replica that owns it (the Byzantine code only ever uses its own
/// key), and it makes a seed replay byte for byte at a fraction of Ed25519's cost.
public struct SimulationSigner: ChainSigner {
    public let secret: UInt64

    public init(secret: UInt64) { self.secret = secret }

    public var suite: SuiteID { .standard }
    public var publicKey: [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: secret >> (56 - 8 * UInt64($0))) } }

    public func sign(_ message: [UInt8]) throws -> [UInt8] { SimulationSigner.mac(secret, message) }

    static func mac(_ key: UInt64, _ message: [UInt8]) -> [UInt8] {
        var a: UInt64 = key ^ 0x243F_6A88_85A3_08D3
        var b: UInt64 = (key &* 0x9E37_79B9_7F4A_7C15) ^ 0x1319_8A2E_0370_7344
        var i = 0
        let n = message.count
        while i < n {
            var chunk: UInt64 = 0
            let end = min(i + 8, n)
            for j in i..<end { chunk = chunk << 8 | UInt64(message[j]) }
            a = (a ^ chunk) &* 0xBF58_476D_1CE4_E5B9
            a ^= a >> 31
            b = (b ^ chunk ^ a) &* 0x94D0_49BB_1331_11EB
            b ^= b >> 29
            i = end
        }
        a ^= UInt64(n)
        a = (a ^ (a >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        b = (b ^ a ^ (b >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        var out = [UInt8]()
        out.reserveCapacity(16)
        for w in [a ^ (a >> 29), b ^ (b >> 32)] {
            for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: w >> UInt64(s))) }
        }
        return out
    }
}

/// Verifies `SimulationSigner` signatures.
public struct SimulationVerifier: ChainVerifier {
    public init() {}
    public var suite: SuiteID { .standard }

    public func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard publicKey.count == 8, signature.count == 16 else { return false }
        let key = publicKey.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return SimulationSigner.mac(key, message) == signature
    }
}
