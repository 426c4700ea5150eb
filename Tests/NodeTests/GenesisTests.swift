import ChainCore
import Foundation
import Node
import Testing

struct GenesisTests {
    static let certificatePEM = PEM.encode([0x30, 0x03, 0x02, 0x01, 0x01], label: "CERTIFICATE")

    func sample() -> Genesis {
        let members = ["validator-2", "validator-1", "bank-1"].map { id in
            GenesisMember(
                id: id, name: id.uppercased(), role: id.hasPrefix("bank") ? "bank" : "bureau",
                signingKey: String(repeating: "ab", count: 32), encryptionKey: String(repeating: "cd", count: 32),
                tlsCertificate: Self.certificatePEM, validator: id.hasPrefix("validator"), location: "CN-GD")
        }
        return Genesis(
            chainName: "test", suite: .standard, genesisTimeMs: 1_700_000_000_000, caCertificate: Self.certificatePEM,
            validators: [
                GenesisValidator(member: "validator-2", publicKey: String(repeating: "02", count: 32)),
                GenesisValidator(member: "validator-1", publicKey: String(repeating: "01", count: 32)),
            ], members: members, parameters: ChainParameters(),
            application: ApplicationSection(
                name: "test-kv", parameters: .object(["b": .integer(2), "a": .array([.string("x"), .bool(true)])])))
    }

    @Test func chainIDIsTheDomainSeparatedHashOfTheCanonicalEncoding() throws {
        let g = sample()
        let bytes = try g.canonicalBytes()
        let id = try g.computeChainID(hasher: TestSHA256())
        #expect(id.hash == TestSHA256().digest(Domain.genesis.prefix + bytes))
        #expect(g.validators.map(\.member) == ["validator-1", "validator-2"])
        #expect(g.members.map(\.id) == ["bank-1", "validator-1", "validator-2"])
    }

    @Test func everyFieldChangesTheChainID() throws {
        let base = try sample().computeChainID(hasher: TestSHA256())
        var a = sample()
        a.chainName = "other"
        var b = sample()
        b.parameters.roundTimeoutMs += 1
        var c = sample()
        c.application.parameters = .object(["b": .integer(3)])
        var d = sample()
        d.members[0].role = "supervisor"
        var e = sample()
        e.validators[0].publicKey = String(repeating: "03", count: 32)
        for g in [a, b, c, d, e] { #expect(try g.computeChainID(hasher: TestSHA256()) != base) }
    }

    @Test func objectKeyOrderDoesNotMatter() throws {
        var a = sample()
        a.application.parameters = .object(["x": .integer(1), "y": .null])
        var b = sample()
        b.application.parameters = .object(["y": .null, "x": .integer(1)])
        #expect(try a.canonicalBytes() == b.canonicalBytes())
    }

    @Test func fileRoundTripChecksTheStatedChainID() throws {
        let dir = temporaryDirectory()
        let path = dir + "/genesis.json"
        let g = sample()
        let id = try g.computeChainID(hasher: TestSHA256())
        try g.write(to: path, chainID: id)
        let (loaded, loadedID) = try Genesis.load(path: path) { _ in TestSHA256() }
        #expect(loadedID == id)
        #expect(try loaded.canonicalBytes() == g.canonicalBytes())

        // Editing any field without recomputing the chain id is caught on load.
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(
            of: "\"test-kv\"", with: "\"test-kw\"")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: NodeError.self) { try Genesis.load(path: path) { _ in TestSHA256() } }
    }

    @Test func unsortedOrDuplicateMembersAreRefused() throws {
        var g = sample()
        g.members.append(g.members[0])
        #expect(throws: NodeError.self) { try g.canonicalBytes() }
    }

    @Test func floatingPointParametersAreRefused() throws {
        let json = Data(#"{"name":"x","parameters":{"a":1.5}}"#.utf8)
        #expect(throws: (any Error).self) { try JSONCoding.decoder.decode(ApplicationSection.self, from: json) }
    }
}
