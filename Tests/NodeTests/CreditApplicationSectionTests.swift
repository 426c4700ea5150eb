import API
import ChainCore
import ChainCrypto
import CreditRules
import Foundation
import Hummingbird
import Node
import Storage
import Testing

struct CreditApplicationSectionTests {
    static let certificatePEM = PEM.encode([0x30, 0x03, 0x02, 0x01, 0x01], label: "CERTIFICATE")

    func member(_ id: String, _ role: String, sources: [String] = [], registrar: Bool = false, key: UInt8)
        -> GenesisMember
    {
        GenesisMember(
            id: id, name: id, role: role, signingKey: Hex.encode([UInt8](repeating: key, count: 32)),
            encryptionKey: Hex.encode([UInt8](repeating: key &+ 1, count: 32)), tlsCertificate: Self.certificatePEM,
            validator: role != "bank", registrar: registrar, location: "CN-GD", sources: sources)
    }

    var members: [GenesisMember] {
        [
            member("bureau-1", "bureau", registrar: true, key: 1), member("pboc-gz", "supervisor", key: 3),
            member("gd-hub", "data-source", sources: ["GD-AMR", "GD-TAX"], key: 5), member("bank-1", "bank", key: 7),
        ]
    }

    func genesis(_ section: CreditApplicationSection, members: [GenesisMember]? = nil) throws -> Genesis {
        let ms = members ?? self.members
        return Genesis(
            chainName: "test", suite: .standard, genesisTimeMs: 1_767_196_800_000, caCertificate: Self.certificatePEM,
            validators: ms.filter(\.validator).map { GenesisValidator(member: $0.id, publicKey: $0.signingKey) },
            members: ms, parameters: ChainParameters(),
            application: ApplicationSection(name: "credit-rules", parameters: try section.jsonValue()))
    }

    @Test func theConsortiumsSourcesPickTheCatalogAndBanksGetStartingPoints() throws {
        let catalog = try BundledCatalog.load()
        let section = try CreditApplicationSection.forConsortium(members: members, catalog: catalog)
        #expect(Set(section.sourcePublishers.map(\.source)) == ["GD-AMR", "GD-TAX"])
        #expect(section.sourcePublishers.allSatisfy { $0.member.value == "gd-hub" })
        #expect(!section.catalog.isEmpty && section.catalog.count < catalog.dataTypes.count)
        #expect(section.catalog.allSatisfy { ["GD-AMR", "GD-TAX"].contains($0.source) })
        #expect(section.points.map(\.member.value) == ["bank-1"])
        #expect(section.points.map(\.points) == [CreditApplicationSection.bankStartingPoints])
    }

    @Test func theSectionSurvivesGenesisJSONAndKeepsTheChainID() throws {
        let section = try CreditApplicationSection.forConsortium(members: members, catalog: try BundledCatalog.load())
        let g = try genesis(section)
        #expect(try CreditApplicationSection.decode(g.application.parameters) == section)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("genesis-\(UUID().uuidString).json")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let id = try g.computeChainID(hasher: TestSHA256())
        try g.write(to: path, chainID: id)
        // Loading recomputes the id from the file and refuses a mismatch.
        let (loaded, loadedID) = try Genesis.load(path: path) { _ in TestSHA256() }
        #expect(loadedID == id)
        #expect(try CreditApplicationSection.decode(loaded.application.parameters) == section)
    }

    @Test func theNodeBuildsTheCreditRulesFromGenesis() throws {
        let catalog = try BundledCatalog.load()
        let section = try CreditApplicationSection.forConsortium(members: members, catalog: catalog)
        let suite = CryptoSuites.suite(.standard)
        let app = try ApplicationFactory.make(genesis: try genesis(section), suite: suite)
        #expect(app is CreditRulesApplication)
        let credit = try #require(app as? CreditRulesApplication)
        #expect(credit.member(try MemberID("gd-hub"))?.role == .dataSource)
        #expect(credit.member(try MemberID("bureau-1"))?.registrar == true)
        #expect(credit.points(try MemberID("bank-1")) == CreditApplicationSection.bankStartingPoints)
        // Another catalog is another state.
        var smaller = section
        smaller.catalog.removeLast()
        let other = try ApplicationFactory.make(genesis: try genesis(smaller), suite: suite)
        #expect(other.stateRoot != app.stateRoot)
    }

    @Test func aConsortiumTheRulesCannotRunIsRefusedWithItsReason() throws {
        let section = try CreditApplicationSection.forConsortium(members: members, catalog: try BundledCatalog.load())
        let suite = CryptoSuites.suite(.standard)
        let noSupervisor = members.filter { $0.role != "supervisor" }
        #expect(throws: NodeError.self) {
            _ = try ApplicationFactory.make(genesis: try genesis(section, members: noSupervisor), suite: suite)
        }
        do {
            _ = try ApplicationFactory.make(genesis: try genesis(section, members: noSupervisor), suite: suite)
        } catch let e as NodeError {
            #expect(e.code == "genesis.invalid_application" && e.reason.contains("genesis.no_supervisor"))
        }
        var bogus = members
        bogus[0].role = "auditor"
        do {
            _ = try ApplicationFactory.make(genesis: try genesis(section, members: bogus), suite: suite)
            Issue.record("an unknown role was accepted")
        } catch let e as NodeError {
            #expect(e.code == "genesis.bad_role")
        }
        // A section that does not decode names the application, not a crash.
        let broken = Genesis(
            chainName: "test", suite: .standard, genesisTimeMs: 0, caCertificate: Self.certificatePEM, validators: [],
            members: members, parameters: ChainParameters(),
            application: ApplicationSection(name: "credit-rules", parameters: .object(["catalog": .integer(3)])))
        do {
            _ = try ApplicationFactory.make(genesis: broken, suite: suite)
            Issue.record("a malformed section was accepted")
        } catch let e as NodeError {
            #expect(e.code == "genesis.invalid_application")
        }
    }
}

struct CreditRoutesTests {
    @Test func theCreditRoutesAreExactlyTheDocumentedOnes() throws {
        let text = String(decoding: try #require(OpenAPIDocument.load()), as: UTF8.self)
        let documented = OpenAPIDocument.documentedRoutes(text).filter {
            $0.key.hasPrefix(OpenAPIDocument.providedPathPrefix)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("credit-routes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StateStore(path: dir.path + "/state.sqlite")
        defer { try? store.close() }
        let router = Router(context: APIRequestContext.self)
        CreditRoutes(state: store, member: try MemberID("bank-1"), role: .bank)
            .addRoutes(public: router, authenticated: router.group())
        let served = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
        let expected = Set(documented.flatMap { path, methods in methods.map { "\($0) \(path)" } })
        #expect(served == expected)
        #expect(served.count == 4)
    }
}
