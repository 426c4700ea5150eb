import ChainCore
import Foundation
import Testing
import X509

@testable import ChainCrypto

private func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("creditchain-consortium-\(UUID())").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func mode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return try #require(attributes[.posixPermissions] as? Int)
}

private func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
}

@Suite struct ConsortiumDirectoryTests {
    @Test(arguments: [SuiteID.standard, .gm])
    func initAndAddWriteVerifiableKeysAndCertificates(suite: SuiteID) async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let now = Int64(Date().timeIntervalSince1970)
        let consortium = try ConsortiumDirectory.initialize(
            path: dir, name: "GBA Credit Consortium", suite: suite, atSecondsSince1970: now)
        let parameters = try consortium.parameters()
        #expect(parameters.suiteID == suite)
        #expect(parameters.name == "GBA Credit Consortium")
        #expect(parameters.governance.approvalNumerator == 2)
        #expect(try mode(consortium.file(ConsortiumLayout.rootKeyPath)) == 0o600)
        #expect(try mode(consortium.file(ConsortiumLayout.pseudonymSecretsPath)) == 0o600)
        #expect(try consortium.pseudonymSecrets().keyBytes.count == 32)

        let source = try consortium.addMember(
            name: "GD AMR", role: .dataSource, validator: true, registrar: true, location: "CN-GD",
            sources: ["GD-AMR", "GD-TAX"], atSecondsSince1970: now)
        let bank = try consortium.addMember(name: "Bank of Shenzhen", role: .bank, atSecondsSince1970: now)
        #expect(source.id == "gd-amr")
        #expect(bank.id == "bank-of-shenzhen")
        #expect(try consortium.members().map(\.id) == ["bank-of-shenzhen", "gd-amr"])

        let memberDir = consortium.file(ConsortiumLayout.memberPath(try MemberID("gd-amr")))
        for key in [
            ConsortiumLayout.memberTLSKeyFile, ConsortiumLayout.memberSigningKeyFile,
            ConsortiumLayout.memberEncryptionKeyFile, ConsortiumLayout.memberPseudonymSecretsFile,
        ] {
            #expect(try mode(memberDir + "/" + key) == 0o600, "\(key)")
        }
        // Banks never receive the pseudonym key.
        let bankDir = consortium.file(ConsortiumLayout.memberPath(try MemberID("bank-of-shenzhen")))
        #expect(!FileManager.default.fileExists(atPath: bankDir + "/" + ConsortiumLayout.memberPseudonymSecretsFile))

        // The public keys in member.json are those of the private key files.
        let cryptoSuite = CryptoSuites.suite(suite)
        let signing = try cryptoSuite.signingKey(
            pkcs8PEM: PrivateKeyFile.read(path: memberDir + "/" + ConsortiumLayout.memberSigningKeyFile))
        let encryption = try cryptoSuite.encryptionKey(
            pkcs8PEM: PrivateKeyFile.read(path: memberDir + "/" + ConsortiumLayout.memberEncryptionKeyFile))
        #expect(Hex.encode(signing.publicKey) == source.signingPublicKey)
        #expect(Hex.encode(encryption.publicKey) == source.encryptionPublicKey)

        // The certificate carries the identity and is trusted by the verifier.
        let pem = try String(contentsOfFile: memberDir + "/tls.pem", encoding: .utf8)
        let certificate = try Certificate(pemEncoded: pem)
        #expect(Hex.encode(certificate.serialNumber.bytes) == source.tlsCertificateSerial)
        let verifier = try ConsortiumCertificateVerifier(rootCertificatePEM: try consortium.rootCertificatePEM())
        let verdict = await verifier.verify(
            leafDER: try certificate.derBytes, intermediatesDER: [], expectedRole: .dataSource,
            expectedMember: try MemberID("gd-amr"), atSecondsSince1970: now)
        #expect(verdict == .trusted(MemberIdentity(member: try MemberID("gd-amr"), role: .dataSource)))

        // OpenSSL agrees, on the files as written.
        let openssl = try #require(CertificateOpenSSLTests.openssl, "openssl CLI not installed")
        let result = try run(
            openssl,
            ["verify", "-CAfile", consortium.file(ConsortiumLayout.rootCertificatePath), memberDir + "/tls.pem"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.hasSuffix(": OK\n"), "\(result.output)")
    }

    @Test func nothingIsOverwrittenAndBadInputIsRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let consortium = try ConsortiumDirectory.initialize(
            path: dir, name: "C", suite: .standard, atSecondsSince1970: 1_790_000_000)
        let rootBefore = try consortium.rootCertificatePEM()
        #expect(throws: ChainCryptoError.self) {
            try ConsortiumDirectory.initialize(
                path: dir, name: "C", suite: .standard, atSecondsSince1970: 1_790_000_001)
        }
        #expect(try consortium.rootCertificatePEM() == rootBefore)

        try consortium.addMember(
            name: "GD AMR", role: .dataSource, sources: ["GD-AMR"], atSecondsSince1970: 1_790_000_000)
        func code(_ body: () throws -> Void) -> String? {
            do {
                try body()
                return nil
            } catch let error as ChainCryptoError {
                return error.code
            } catch {
                return "unexpected \(error)"
            }
        }
        #expect(
            code { try consortium.addMember(name: "gd amr", role: .bank, atSecondsSince1970: 0) }
                == "consortium.member_exists")
        #expect(
            code {
                try consortium.addMember(name: "Other", role: .dataSource, sources: ["GD-AMR"], atSecondsSince1970: 0)
            }
                == "consortium.invalid_member")
        #expect(
            code { try consortium.addMember(name: "B", role: .bank, registrar: true, atSecondsSince1970: 0) }
                == "consortium.invalid_member")
        #expect(
            code { try consortium.addMember(name: "L", role: .bank, location: "Guangdong", atSecondsSince1970: 0) }
                == "consortium.invalid_location")
        #expect(
            code { try consortium.addMember(name: "S", role: .dataSource, sources: ["gd amr"], atSecondsSince1970: 0) }
                == "consortium.invalid_source")
        // Failed adds leave no member and no staging directory behind.
        let entries = try FileManager.default.contentsOfDirectory(atPath: consortium.file(ConsortiumLayout.membersPath))
        #expect(entries == ["gd-amr"])
    }

    @Test func aGroupReadableKeyIsRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let consortium = try ConsortiumDirectory.initialize(
            path: dir, name: "C", suite: .standard, atSecondsSince1970: 1_790_000_000)
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o640], ofItemAtPath: consortium.file(ConsortiumLayout.rootKeyPath))
        #expect(throws: ChainCryptoError.self) { _ = try consortium.authority() }
    }

    @Test func memberIDsAreDerivedFromNames() throws {
        #expect(try ConsortiumMember.deriveID(fromName: "Bank of Shenzhen").value == "bank-of-shenzhen")
        #expect(try ConsortiumMember.deriveID(fromName: "  GD-AMR (Guangdong) ").value == "gd-amr-guangdong")
        #expect(try ConsortiumMember.deriveID(fromName: "中国人民银行广州分行 PBoC").value == "pboc")
        let chinese = try ConsortiumMember.deriveID(fromName: "广东省市场监督管理局")
        #expect(chinese.value.hasPrefix("m-") && chinese.value.count == 14)
        #expect(try ConsortiumMember.deriveID(fromName: "广东省市场监督管理局") == chinese)
        #expect(try ConsortiumMember.deriveID(fromName: String(repeating: "ab ", count: 40)).value.count <= 64)
        #expect(!(try ConsortiumMember.deriveID(fromName: String(repeating: "ab ", count: 40)).value.hasSuffix("-")))
    }

    @Test func parametersRoundTripAndAreValidated() throws {
        let p = ConsortiumParameters(name: "C", suite: .gm, createdAtSeconds: 5)
        let text = try ConsortiumDirectory.json(p)
        let back: ConsortiumParameters = try ConsortiumDirectory.decode(text, what: "test")
        #expect(back == p)
        #expect(text.contains("\"suite\" : \"gm\""))
        var bad = p
        bad.governance.approvalNumerator = 4
        #expect(throws: ChainCryptoError.self) { try bad.validate() }
        bad = p
        bad.suite = "rsa"
        #expect(throws: ChainCryptoError.self) { try bad.validate() }
    }
}
