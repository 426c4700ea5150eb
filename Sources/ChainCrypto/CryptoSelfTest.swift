import ChainCore

/// Known-answer checks of both suites with the published vectors (FIPS 180-4 SHA-256, RFC 8032
/// Ed25519, GB/T 32905 SM3, GB/T 32907 SM4, the GB/T 32918.5 SM2 example), plus round trips where
/// randomness rules out a known answer. `creditchain crypto selftest` prints one line per check,
/// so an operator can confirm a node's libcrypto before joining a consortium.
public enum CryptoSelfTest {
    /// The outcome of one check.
    public struct Check: Sendable {
        public let name: String
        public let passed: Bool
        /// Why it failed (empty when it passed).
        public let detail: String

        /// `ok <name>` or `FAIL <name>: <detail>`.
        public var line: String { passed ? "ok \(name)" : "FAIL \(name): \(detail)" }
    }

    /// Runs every check (the 1,000,000-iteration SM4 check takes a fraction of a second).
    public static func run() -> [Check] {
        var checks = [Check]()
        func check(_ name: String, _ body: () throws -> String?) {
            do {
                if let problem = try body() {
                    checks.append(Check(name: name, passed: false, detail: problem))
                } else {
                    checks.append(Check(name: name, passed: true, detail: ""))
                }
            } catch {
                checks.append(Check(name: name, passed: false, detail: "\(error)"))
            }
        }
        func expectHex(_ got: [UInt8], _ expected: String) -> String? {
            Hex.encode(got) == expected ? nil : "expected \(expected), got \(Hex.encode(got))"
        }

        // Standard suite.
        check("sha256 abc") {
            expectHex(
                SHA256Hasher().digest(Array("abc".utf8)).bytes,
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        }
        check("hmac-sha256 rfc4231 test 2") {
            expectHex(
                StandardSuite().hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        }
        for (index, vector) in ed25519Vectors.enumerated() {
            check("ed25519 rfc8032 test \(index + 1)") {
                let key = try SigningKey.ed25519(seed: bytes(vector.seed))
                if let problem = expectHex(key.publicKey, vector.publicKey) { return "public key: \(problem)" }
                let signature = try key.sign(bytes(vector.message))
                if let problem = expectHex(signature, vector.signature) { return "signature: \(problem)" }
                let verifier = Ed25519Verifier()
                guard verifier.verify(signature: signature, message: bytes(vector.message), publicKey: key.publicKey)
                else { return "does not verify" }
                return verifier.verify(
                    signature: signature, message: bytes(vector.message) + [0], publicKey: key.publicKey)
                    ? "verifies for another message" : nil
            }
        }

        // GM suite.
        check("sm3 abc") {
            expectHex(
                try SM3.hash(Array("abc".utf8)), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
        }
        check("sm3 abcd*16") {
            expectHex(
                try SM3.hash(Array(String(repeating: "abcd", count: 16).utf8)),
                "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732")
        }
        check("hmac-sm3 rfc2104 construction") {
            // No HMAC-SM3 vector is published with the standards; recompute RFC 2104 from SM3.
            let key = Array("key".utf8)
            let message = Array("The quick brown fox jumps over the lazy dog".utf8)
            let block = key + [UInt8](repeating: 0, count: 64 - key.count)
            let inner = try SM3.hash(block.map { $0 ^ 0x36 } + message)
            return expectHex(
                GMSuite().hmac(key: key, message: message), Hex.encode(try SM3.hash(block.map { $0 ^ 0x5c } + inner)))
        }
        let sm4Key = "0123456789abcdeffedcba9876543210"
        check("sm4 ecb") {
            expectHex(try SM4.encryptECB(key: bytes(sm4Key), bytes(sm4Key)), "681edf34d206965e86b3e94f536e4246")
        }
        check("sm4 ecb 1000000 iterations") {
            expectHex(
                try SM4.encryptECB(key: bytes(sm4Key), block: bytes(sm4Key), iterations: 1_000_000),
                "595298c7c6fd271f0402f804c33d3f66")
        }
        check("sm2 verify gb/t 32918 example") {
            let signature = try SM2.derSignature(fromRaw: bytes(sm2Vector.r + sm2Vector.s))
            let message = Array("message digest".utf8)
            let publicKey = bytes(sm2Vector.publicKey)
            guard SM2Verifier().verify(signature: signature, message: message, publicKey: publicKey) else {
                return "the published signature does not verify with ID 1234567812345678"
            }
            if SM2Verifier(id: []).verify(signature: signature, message: message, publicKey: publicKey) {
                return "verifies with an empty ID: the distinguishing ID is not hashed"
            }
            return nil
        }

        // Round trips of both suites, where randomness rules out a known answer.
        for id in SuiteID.allCases {
            let suite = CryptoSuites.suite(id)
            check("\(id) sign and verify") {
                let key = try suite.generateSigningKey()
                let message = Array("creditchain selftest".utf8)
                let signature = try key.sign(message)
                guard suite.verifier.verify(signature: signature, message: message, publicKey: key.publicKey) else {
                    return "a fresh signature does not verify"
                }
                return suite.verifier.verify(signature: signature, message: message + [1], publicKey: key.publicKey)
                    ? "verifies for another message" : nil
            }
            check("\(id) delivery round trip") {
                let key = try suite.generateEncryptionKey()
                let plaintext = Array("record".utf8)
                let sealed = try suite.sealDelivery(plaintext, to: key.publicKey, aad: [7])
                guard try suite.openDelivery(sealed, with: key, aad: [7]) == plaintext else {
                    return "round trip differs"
                }
                var tampered = sealed
                tampered[tampered.count - 1] ^= 1
                return (try? suite.openDelivery(tampered, with: key, aad: [7])) == nil ? nil : "a flipped bit opens"
            }
            check("\(id) at-rest round trip") {
                let key = [UInt8](repeating: 0x42, count: 32)
                let plaintext = Array("vault".utf8)
                let sealed = try suite.sealAtRest(plaintext, key: key, aad: [])
                guard try suite.openAtRest(sealed, key: key, aad: []) == plaintext else { return "round trip differs" }
                var tampered = sealed
                tampered[tampered.count / 2] ^= 0x80
                return (try? suite.openAtRest(tampered, key: key, aad: [])) == nil ? nil : "a flipped bit opens"
            }
        }
        return checks
    }

    private static func bytes(_ hex: String) -> [UInt8] {
        guard let decoded = Hex.decode(hex) else { preconditionFailure("malformed built-in vector") }
        return decoded
    }

    private static let ed25519Vectors: [(seed: String, publicKey: String, message: String, signature: String)] = [
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        ),
    ]

    private static let sm2Vector = (
        publicKey:
            "0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13",
        r: "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3",
        s: "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa"
    )
}
