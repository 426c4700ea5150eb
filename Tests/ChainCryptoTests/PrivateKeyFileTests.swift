import Foundation
import Testing

@testable import ChainCrypto

@Suite struct PrivateKeyFileTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("chaincrypto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func writesMode0600AndReadsBack() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("signing.pem").path
        let key = try GMSuite().generateSigningKey()
        try PrivateKeyFile.write(pem: key.pkcs8PEM, to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let text = try PrivateKeyFile.read(path: path)
        #expect(text == key.pkcs8PEM)
        #expect(try GMSuite().signingKey(pkcs8PEM: text).publicKey == key.publicKey)
        // Rewriting replaces the file and keeps the mode.
        let next = try GMSuite().generateSigningKey()
        try PrivateKeyFile.write(pem: next.pkcs8PEM, to: path)
        #expect(try PrivateKeyFile.read(path: path) == next.pkcs8PEM)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["signing.pem"])
    }

    @Test(arguments: [0o640, 0o604, 0o644, 0o660, 0o666])
    func refusesGroupOrWorldReadableKeys(mode: Int) throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("key.pem").path
        try PrivateKeyFile.write(pem: try StandardSuite().generateSigningKey().pkcs8PEM, to: path)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        let error = #expect(throws: ChainCryptoError.self) { try PrivateKeyFile.read(path: path) }
        #expect(error?.code == "crypto.key_file_permissions")
        #expect(error?.reason.contains("chmod 600") == true)
    }

    @Test func missingFileIsAClearError() throws {
        let error = #expect(throws: ChainCryptoError.self) {
            try PrivateKeyFile.read(path: "/nonexistent/creditchain/key.pem")
        }
        #expect(error?.code == "crypto.key_file")
        #expect(error?.reason.contains("/nonexistent/creditchain/key.pem") == true)
    }
}
