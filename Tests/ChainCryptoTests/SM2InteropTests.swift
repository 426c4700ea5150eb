import ChainCore
import Foundation
import Testing

@testable import ChainCrypto

/// SM2 against an independent implementation: Python `gmssl` (scripts/requirements.txt) verifies
/// our signatures in both forms (DER and r‖s) and decrypts our SM2 ciphertext. A missing
/// interpreter fails the test: the cross-check is part of the suite, not optional.
@Suite struct SM2InteropTests {
    /// The interpreter: $CREDITCHAIN_PYTHON, else `<package root>/.venv/bin/python`.
    static var pythonPath: String {
        if let path = ProcessInfo.processInfo.environment["CREDITCHAIN_PYTHON"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".venv/bin/python").path
    }

    /// gmssl's CryptSM2 constructor strips every leading '0' and '4' character when the key hex
    /// starts with "04" (`lstrip("04")`), so a key whose x‖y hex itself starts with "04" (or whose
    /// x starts with a 0/4 digit, when given as 04‖x‖y) is silently corrupted. The script passes
    /// the 128-hex x‖y form, reports whether the constructor kept it, and then sets it directly.
    static let script = """
        import json, sys
        from gmssl import sm2
        from Cryptodome.Util.asn1 import DerSequence, DerOctetString
        out = []
        for case in json.load(sys.stdin):
            xy = case["public_xy"]
            result = {}
            raw = sm2.CryptSM2(private_key="", public_key=xy, asn1=False)
            result["constructor_kept_key"] = raw.public_key == xy
            raw.public_key = xy
            der = sm2.CryptSM2(private_key="", public_key=xy, asn1=True)
            der.public_key = xy
            msg = bytes.fromhex(case["message"])
            if "raw" in case:
                result["raw"] = bool(raw.verify_with_sm3(case["raw"], msg))
                result["der"] = bool(der.verify_with_sm3(case["der"], msg))
            if "ciphertext" in case:
                # PKCS#8 -> ECPrivateKey -> d; DER SEQUENCE{x, y, C3, C2} -> C1(x||y) || C3 || C2.
                info = DerSequence().decode(bytes.fromhex(case["private_pkcs8"]))
                ec = DerSequence().decode(DerOctetString().decode(info[2]).payload)
                d = DerOctetString().decode(ec[1]).payload.hex()
                seq = DerSequence().decode(bytes.fromhex(case["ciphertext"]))
                c3 = DerOctetString().decode(seq[2]).payload
                c2 = DerOctetString().decode(seq[3]).payload
                blob = seq[0].to_bytes(32, "big") + seq[1].to_bytes(32, "big") + c3 + c2
                dec = sm2.CryptSM2(private_key=d, public_key=xy, mode=1)
                dec.public_key = xy
                result["decrypted"] = dec.decrypt(blob).hex()
            out.append(result)
        json.dump(out, sys.stdout)
        """

    /// Runs the script on `cases`; fails the test (not skips) when Python or gmssl is missing.
    static func runGmssl(_ cases: [[String: String]]) throws -> [[String: Any]] {
        let python = pythonPath
        guard FileManager.default.isExecutableFile(atPath: python) else {
            Issue.record(
                """
                Python interpreter for the gmssl cross-check not found at \(python). Create it with \
                `python3 -m venv .venv && .venv/bin/pip install -r scripts/requirements.txt` (.ci/run does) \
                or set CREDITCHAIN_PYTHON.
                """)
            throw ChainCryptoError(code: "test.python_missing", reason: python)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: cases))
        try input.fileHandleForWriting.close()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            Issue.record("gmssl script failed (is gmssl installed?): \(String(decoding: stderr, as: UTF8.self))")
            throw ChainCryptoError(code: "test.python_failed", reason: "exit \(process.terminationStatus)")
        }
        let decoded = try JSONSerialization.jsonObject(with: stdout) as? [[String: Any]]
        return try #require(decoded, "unexpected gmssl output: \(String(decoding: stdout, as: UTF8.self))")
    }

    static func signatureCase(key: SigningKey, message: [UInt8], der: [UInt8]) throws -> [String: String] {
        [
            "public_xy": Hex.encode(key.publicKey.dropFirst()),
            "message": Hex.encode(message),
            "der": Hex.encode(der),
            "raw": Hex.encode(try SM2.rawSignature(fromDER: der)),
        ]
    }

    @Test func gmsslVerifiesOurSignatures() throws {
        let suite = GMSuite()
        var cases = [[String: String]]()
        var expected = [Bool]()
        // A key whose x‖y hex starts with "04", the form gmssl's constructor corrupts.
        var awkward = try suite.generateSigningKey()
        var attempts = 0
        while awkward.publicKey[1] != 0x04 && attempts < 8192 {
            awkward = try suite.generateSigningKey()
            attempts += 1
        }
        #expect(awkward.publicKey[1] == 0x04)
        let keys = [try suite.generateSigningKey(), try suite.generateSigningKey(), awkward]
        for (index, key) in keys.enumerated() {
            let message = Array("creditchain interop \(index)".utf8)
            let der = try key.sign(message)
            cases.append(try Self.signatureCase(key: key, message: message, der: der))
            expected.append(true)
            // The same signature over another message must be refused by gmssl too.
            cases.append(try Self.signatureCase(key: key, message: message + [0x21], der: der))
            expected.append(false)
        }
        let results = try Self.runGmssl(cases)
        try #require(results.count == cases.count)
        for (index, result) in results.enumerated() {
            #expect(result["raw"] as? Bool == expected[index], "r‖s case \(index)")
            #expect(result["der"] as? Bool == expected[index], "DER case \(index)")
            let startsWith04 = cases[index]["public_xy"]?.hasPrefix("04") == true
            #expect(result["constructor_kept_key"] as? Bool == !startsWith04, "constructor behaviour, case \(index)")
        }
    }

    @Test func gmsslVerifiesThePublishedVector() throws {
        let vector = try #require(try CryptoVectors.load().sm2Sign.first)
        let raw = try hexBytes(vector.r + vector.s)
        let results = try Self.runGmssl([
            [
                "public_xy": String(vector.publicKeyUncompressed.dropFirst(2)),
                "message": Hex.encode(Array(vector.msgAscii.utf8)),
                "der": Hex.encode(try SM2.derSignature(fromRaw: raw)),
                "raw": Hex.encode(raw),
            ]
        ])
        #expect(results.first?["raw"] as? Bool == true)
        #expect(results.first?["der"] as? Bool == true)
    }

    /// gmssl decrypts the SM2 ciphertext OpenSSL emits (DER SEQUENCE{x, y, C3, C2}).
    @Test func gmsslDecryptsOurSM2Ciphertext() throws {
        let key = try GMSuite().generateEncryptionKey()
        guard case .sm2(let privateKey) = key.material else {
            Issue.record("GM encryption key is not SM2")
            return
        }
        let secret = try OpenSSL.randomBytes(32)
        let ciphertext = try SM2.encrypt(secret, to: privateKey)
        #expect(try SM2.decrypt(ciphertext, with: privateKey) == secret)
        let pemBody = key.pkcs8PEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let pkcs8 = try #require(Data(base64Encoded: pemBody))
        let results = try Self.runGmssl([
            [
                "public_xy": Hex.encode(key.publicKey.dropFirst()),
                "message": "",
                "ciphertext": Hex.encode(ciphertext),
                "private_pkcs8": Hex.encode(Array(pkcs8)),
            ]
        ])
        #expect(results.first?["decrypted"] as? String == Hex.encode(secret))
    }
}
